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

Only the items on accounts that allow reconciliation are kept (entry, account, balance,
residuals, what the valid partials match of it, a row each); an item met before its account is
kept too, in case. The partials are a row each too (their items and amounts).
"""

from odoo.tools import float_compare

from ...engine.record_table import RecordTable

MOVE, LINE, PARTIAL = "account.move", "account.move.line", "account.partial.reconcile"
ALWAYS_RECONCILABLE = ("asset_cash", "liability_credit_card")
# flags of an item's row: kept, reconciled, its amounts in its currency are known, and matched
# by a valid partial as the debit side, as the credit side
KEPT, RECONCILED, IN_CURRENCY, AS_DEBIT, AS_CREDIT = 1, 2, 4, 8, 16
SIDES = ((AS_DEBIT, 1), (AS_CREDIT, -1))  # the flag and sign of an item's side in a partial


class ReconciliationCheck:
    def __init__(self, env, rounding, amount):
        self.env = env
        self.rounding = rounding
        self.amount = amount  # how an amount is written in a message
        # the items that may be reconciled; residuals None where the file has none; what the
        # valid partials match of each, as the debit side and as the credit side, in company
        # currency and in the item's
        self.items = RecordTable(
            numbers=(
                "balance",
                "residual",
                "amount_currency",
                "residual_currency",
                "as_debit",
                "as_credit",
                "as_debit_currency",
                "as_credit_currency",
            ),
            ids=("entry",),
            values=("account", "currency"),
        )
        # the partial reconciliations: their items, amount, and amounts in the items' currencies
        self.partials = RecordTable(
            numbers=("amount", "debit_amount_currency", "credit_amount_currency"), ids=("debit", "credit")
        )
        self.item_faults = {}  # (model, id) -> reason, of the items and their entries
        self.currency_rounding = {}  # currency id of the file -> its rounding (company's if unknown)

    def add_items(self, accounts, columns):
        """Keep the items that may be reconciled; check the others' residuals (``columns``: ids,
        entries, accounts, balances (debit minus credit if missing), residuals, reconciled)."""
        items = self.items
        for item_id, move_id, account_id, balance, residual, reconciled in zip(*columns, strict=True):
            if account_id not in accounts or reconcilable(accounts[account_id]):
                row = items.row(item_id)
                items.flags[row] = KEPT | (RECONCILED if reconciled else 0)
                items.balance[row] = balance
                items.set_id("entry", row, move_id)
                items.set_value("account", row, account_id)
                items.set_number("residual", row, residual)
            else:
                self._check_not_reconcilable(item_id, move_id, account_id, balance, residual, reconciled)

    def _kept(self, item_id):
        """The row of an item that may be reconciled, or None."""
        row = self.items.find(item_id)
        return row if row is not None and self.items.flags[row] & KEPT else None

    def _item(self, row):
        """(entry, account, balance, residual, reconciled) of the item of ``row``."""
        items = self.items
        return (
            items.id_of("entry", row),
            items.value("account", row),
            items.balance[row],
            items.number("residual", row),
            bool(items.flags[row] & RECONCILED),
        )

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
        partials = self.partials
        for partial_id, debit_id, credit_id, amount in zip(ids, debit_ids, credit_ids, amounts, strict=True):
            row = partials.row(partial_id)
            partials.set_id("debit", row, debit_id)
            partials.set_id("credit", row, credit_id)
            partials.amount[row] = amount or 0.0

    def add_currency_amounts(self, item_columns=None, partial_columns=None):
        """The amounts in the items' own currencies: (ids, currencies, amounts, residuals) of
        items, or (ids, debit amounts, credit amounts) of partial reconciliations."""
        if item_columns:
            items = self.items
            for item_id, currency_id, amount, residual in zip(*item_columns, strict=True):
                if (row := self._kept(item_id)) is not None:
                    items.flags[row] |= IN_CURRENCY
                    items.set_value("currency", row, currency_id)
                    items.set_number("amount_currency", row, amount)
                    items.set_number("residual_currency", row, residual)
        if partial_columns:
            partials = self.partials
            for partial_id, debit_amount, credit_amount in zip(*partial_columns, strict=True):
                row = partials.row(partial_id)
                partials.debit_amount_currency[row] = debit_amount or 0.0
                partials.credit_amount_currency[row] = credit_amount or 0.0

    def faults(self, accounts, is_posted, line_ids):
        """{(PARTIAL, id): reason} of the partial reconciliations Odoo would not have made; the
        items whose residual is not what their reconciliations leave, and their entries, are
        added to ``item_faults``.
        ``line_ids``: every item of the file (an item not kept is on an account that does not
        allow reconciliation)."""
        for item_id, row in self.items.rows.items():  # items met before their account
            item = self._item(row)
            if item[1] in accounts and not reconcilable(accounts[item[1]]):
                self.items.flags[row] &= ~KEPT
                self._check_not_reconcilable(item_id, *item)
        faults = {}
        for partial_id, row in self.partials.rows.items():
            debit_id, credit_id = self.partials.id_of("debit", row), self.partials.id_of("credit", row)
            if reason := self._pair_fault(accounts, is_posted, line_ids, debit_id, credit_id):
                faults[(PARTIAL, partial_id)] = reason
            else:
                self._match(row, debit_id, credit_id)
        faults.update(self._overmatched(faults))
        self._check_residuals(accounts)
        self._check_residuals_in_currency(accounts)
        return faults

    def _match(self, partial_row, debit_id, credit_id):
        """Add what a valid partial matches to its items' rows (an item the file lacks is a
        dangling reference, refused as such)."""
        items, partials = self.items, self.partials
        amount = partials.amount[partial_row]
        if (debit := self._kept(debit_id)) is not None:
            items.flags[debit] |= AS_DEBIT
            items.as_debit[debit] += amount
            items.as_debit_currency[debit] += partials.debit_amount_currency[partial_row]
        if (credit := self._kept(credit_id)) is not None:
            items.flags[credit] |= AS_CREDIT
            items.as_credit[credit] += amount
            items.as_credit_currency[credit] += partials.credit_amount_currency[partial_row]

    def _overmatched(self, faults):
        """{(PARTIAL, id): reason} of the valid partials of an item matched for more than it
        holds on that side: its balance as the debit side, minus it as the credit side. The
        partials are read again only for such items."""
        items, reasons = self.items, {}
        for item_id, row in items.rows.items():
            for flag, sign in SIDES:
                if not items.flags[row] & flag:
                    continue
                held = sign * items.balance[row]
                total = items.as_debit[row] if sign == 1 else items.as_credit[row]
                if float_compare(total, held, precision_rounding=self.rounding) > 0:
                    reasons[item_id, sign] = self.env._(
                        "journal item %(id)s is matched for %(total)s, more than the %(held)s it holds",
                        id=item_id,
                        total=self.amount(total),
                        held=self.amount(held),
                    )
        overmatched = {}
        if reasons:
            partials = self.partials
            for partial_id, row in partials.rows.items():
                if (PARTIAL, partial_id) in faults:
                    continue
                for name, sign in (("debit", 1), ("credit", -1)):
                    if reason := reasons.get((partials.id_of(name, row), sign)):
                        overmatched[(PARTIAL, partial_id)] = reason
        return overmatched

    def _check_residuals(self, accounts):
        """The residual each kept item claims, against what its valid reconciliations leave."""
        items = self.items
        for item_id, row in items.rows.items():
            if not items.flags[row] & KEPT:
                continue
            move_id, account_id, balance, residual, reconciled = self._item(row)
            if account_id not in accounts or residual is None:
                continue  # an account the file does not describe, or a file without residuals
            left = balance - items.as_debit[row] + items.as_credit[row]
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

    def _check_residuals_in_currency(self, accounts):
        """The residual each kept item claims in its own currency, against what its valid
        reconciliations leave there (Odoo's _compute_amount_residual: the amount in currency,
        less the partials' debit amounts in currency where the item is the debit side, plus
        their credit amounts in currency where it is the credit side)."""
        items = self.items
        for item_id, row in items.rows.items():
            if items.flags[row] & (KEPT | IN_CURRENCY) != KEPT | IN_CURRENCY:
                continue
            currency_id = items.value("currency", row)
            amount, residual = items.number("amount_currency", row), items.number("residual_currency", row)
            move_id, account_id = items.id_of("entry", row), items.value("account", row)
            if residual is None or amount is None or account_id not in accounts:
                continue
            left = amount - items.as_debit_currency[row] + items.as_credit_currency[row]
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
        debit, credit = self._kept(debit_id), self._kept(credit_id)
        for item_id, row in ((debit_id, debit), (credit_id, credit)):
            if row is None and item_id in line_ids:
                return self.env._(
                    "journal item %(id)s is on an account that does not allow reconciliation", id=item_id
                )
        if debit is None or credit is None:
            return None  # an item the file lacks: a dangling reference, refused as such
        debit_move, debit_account = self._item(debit)[:2]
        credit_move, credit_account = self._item(credit)[:2]
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
