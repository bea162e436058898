"""Reconciliations as Odoo makes them, checked on the values of a file from elsewhere (see
book_check.py, which feeds this class and asks it for its faults at the end).

A partial reconciliation of the file must match two journal items of one account that allows
reconciliation, both of posted entries, and no item may be matched for more than it holds: its
balance for the debit side, minus its balance for the credit side (Odoo's
``_check_amls_exigibility_for_reconciliation`` and the amounts of ``_prepare_reconciliation``).

An item's residual and ``reconciled`` flag derive from its reconciliations, as Odoo's
``_compute_amount_residual`` has them: on an account that allows reconciliation, the residual
is the balance less what the item is matched for as the debit side, plus what it is matched for
as the credit side (and so in the item's own currency, with the partials' amounts in currency),
and an item claiming to be reconciled has none left; elsewhere both are empty. A file claiming
an invoice paid without the payment behind it is refused.

Only the items on accounts that allow reconciliation are kept (id, entry, account, balance);
an item met before its account is kept too, in case.
"""

from collections import defaultdict

from odoo.tools import float_compare

MOVE, LINE, PARTIAL = "account.move", "account.move.line", "account.partial.reconcile"
ALWAYS_RECONCILABLE = ("asset_cash", "liability_credit_card")


class ReconciliationCheck:
    def __init__(self, env, rounding, amount):
        self.env = env
        self.rounding = rounding
        self.amount = amount  # how an amount is written in a message
        self.items = {}  # item id -> (entry, account, balance, residual, reconciled): may be reconciled
        self.partials = []  # (partial id, debit item, credit item, amount)
        self.item_faults = {}  # (model, id) -> reason, of the items and their entries
        self.in_currency = {}  # kept item id -> (currency, amount in it, residual in it)
        self.partial_currency = {}  # partial id -> (debit amount, credit amount) in the items' currencies
        self.currency_rounding = {}  # currency id of the file -> its rounding (company's if unknown)

    def add_items(self, accounts, columns):
        """Keep the items that may be reconciled; check the others' residuals (``columns``: ids,
        entries, accounts, balances (debit minus credit if missing), residuals, reconciled)."""
        for item in zip(*columns, strict=True):
            account_id = item[2]
            if account_id not in accounts or reconcilable(accounts[account_id]):
                self.items[item[0]] = item[1:]
            else:
                self._check_not_reconcilable(*item)

    def _check_not_reconcilable(self, item_id, move_id, _account_id, _balance, residual, reconciled):
        if reconciled or float_compare(residual or 0.0, 0.0, precision_rounding=self.rounding):
            self._item_fault(
                item_id,
                move_id,
                self.env._(
                    "it claims a residual of %(residual)s or to be reconciled, on an account that does not"
                    " allow reconciliation",
                    residual=self.amount(residual or 0.0),
                ),
            )

    def _item_fault(self, item_id, move_id, reason):
        self.item_faults.setdefault(
            (MOVE, move_id), self.env._("its journal item %(id)s: %(reason)s", id=item_id, reason=reason)
        )
        self.item_faults[(LINE, item_id)] = reason

    def add_partials(self, ids, debit_ids, credit_ids, amounts):
        self.partials += zip(ids, debit_ids, credit_ids, amounts, strict=True)

    def add_currency_amounts(self, item_columns=None, partial_columns=None):
        """The amounts in the items' own currencies: (ids, currencies, amounts, residuals) of
        items, or (ids, debit amounts, credit amounts) of partial reconciliations."""
        if item_columns:
            for item_id, *values in zip(*item_columns, strict=True):
                if item_id in self.items:
                    self.in_currency[item_id] = values
        if partial_columns:
            for partial_id, *values in zip(*partial_columns, strict=True):
                self.partial_currency[partial_id] = values

    def faults(self, accounts, is_posted, line_ids):
        """{(PARTIAL, id): reason} of the partial reconciliations Odoo would not have made; the
        items whose residual is not what their reconciliations leave, and their entries, are
        added to ``item_faults``.
        ``line_ids``: every item of the file (an item not kept is on an account that does not
        allow reconciliation)."""
        for item_id, item in list(self.items.items()):  # items met before their account
            if item[1] in accounts and not reconcilable(accounts[item[1]]):
                del self.items[item_id]
                self._check_not_reconcilable(item_id, *item)
        faults, matched = {}, defaultdict(list)
        for partial_id, debit_id, credit_id, amount in self.partials:
            if reason := self._pair_fault(accounts, is_posted, line_ids, debit_id, credit_id):
                faults[(PARTIAL, partial_id)] = reason
                continue
            matched[debit_id, 1].append((partial_id, amount or 0.0))
            matched[credit_id, -1].append((partial_id, amount or 0.0))
        for (item_id, sign), partials in matched.items():
            held = sign * self.items[item_id][2]
            total = sum(amount for _partial_id, amount in partials)
            if float_compare(total, held, precision_rounding=self.rounding) > 0:
                reason = self.env._(
                    "journal item %(id)s is matched for %(total)s, more than the %(held)s it holds",
                    id=item_id,
                    total=self.amount(total),
                    held=self.amount(held),
                )
                faults.update({(PARTIAL, partial_id): reason for partial_id, _amount in partials})
        self._check_residuals(accounts, matched)
        self._check_residuals_in_currency(accounts, matched)
        return faults

    def _check_residuals(self, accounts, matched):
        """The residual each kept item claims, against what its valid reconciliations leave."""
        for item_id, (move_id, account_id, balance, residual, reconciled) in self.items.items():
            if account_id not in accounts or residual is None:
                continue  # an account the file does not describe, or a file without residuals
            as_debit = sum(amount for _partial_id, amount in matched.get((item_id, 1), ()))
            as_credit = sum(amount for _partial_id, amount in matched.get((item_id, -1), ()))
            left = balance - as_debit + as_credit
            if float_compare(residual, left, precision_rounding=self.rounding):
                reason = self.env._(
                    "its residual is %(residual)s, but its reconciliations leave %(left)s",
                    residual=self.amount(residual),
                    left=self.amount(left),
                )
            elif reconciled and float_compare(left, 0.0, precision_rounding=self.rounding):
                reason = self.env._(
                    "it claims to be reconciled, but %(left)s is left", left=self.amount(left)
                )
            else:
                continue
            self._item_fault(item_id, move_id, reason)

    def _check_residuals_in_currency(self, accounts, matched):
        """The residual each kept item claims in its own currency, against what its valid
        reconciliations leave there (Odoo's _compute_amount_residual: the amount in currency,
        less the partials' debit amounts in currency where the item is the debit side, plus
        their credit amounts in currency where it is the credit side)."""
        for item_id, (currency_id, amount, residual) in self.in_currency.items():
            if item_id not in self.items or residual is None or amount is None:
                continue
            move_id, account_id = self.items[item_id][:2]
            if account_id not in accounts:
                continue
            as_debit = sum(
                self.partial_currency.get(p, (0.0, 0.0))[0] or 0.0 for p, _a in matched.get((item_id, 1), ())
            )
            as_credit = sum(
                self.partial_currency.get(p, (0.0, 0.0))[1] or 0.0 for p, _a in matched.get((item_id, -1), ())
            )
            left = amount - as_debit + as_credit
            rounding = self.currency_rounding.get(currency_id, self.rounding)
            if float_compare(residual, left, precision_rounding=rounding):
                self._item_fault(
                    item_id,
                    move_id,
                    self.env._(
                        "its residual in its currency is %(residual)s, but its reconciliations leave"
                        " %(left)s",
                        residual=self.amount(residual),
                        left=self.amount(left),
                    ),
                )

    def _pair_fault(self, accounts, is_posted, line_ids, debit_id, credit_id):
        for item_id in (debit_id, credit_id):
            if item_id not in self.items and item_id in line_ids:
                return self.env._(
                    "journal item %(id)s is on an account that does not allow reconciliation", id=item_id
                )
        if debit_id not in self.items or credit_id not in self.items:
            return None  # an item the file lacks: a dangling reference, refused as such
        debit_move, debit_account = self.items[debit_id][:2]
        credit_move, credit_account = self.items[credit_id][:2]
        if debit_account != credit_account:
            return self.env._(
                "it reconciles journal items %(debit)s and %(credit)s of different accounts (%(accounts)s)",
                debit=debit_id,
                credit=credit_id,
                accounts=", ".join(
                    str(accounts.get(a, (None, a))[1]) for a in (debit_account, credit_account)
                ),
            )
        if debit_account in accounts and not reconcilable(accounts[debit_account]):
            return self.env._(
                "account %(code)s does not allow reconciliation", code=accounts[debit_account][1]
            )
        if not (is_posted(debit_move) and is_posted(credit_move)):
            return self.env._("it reconciles journal items of an entry that is not posted")
        return None


def reconcilable(account):
    """Whether an account (type, code, reconcile) allows reconciliation, as Odoo has it."""
    account_type, _code, reconcile = account
    return bool(reconcile) or account_type in ALWAYS_RECONCILABLE
