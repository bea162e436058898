"""Reconciliations as Odoo makes them, checked on the values of a file from elsewhere (see
book_check.py, which feeds this class and asks it for its faults at the end).

A partial reconciliation of the file must match two journal items of one account that allows
reconciliation, both of posted entries, and no item may be matched for more than it holds: its
balance for the debit side, minus its balance for the credit side (Odoo's
``_check_amls_exigibility_for_reconciliation`` and the amounts of ``_prepare_reconciliation``).

Only the items on accounts that allow reconciliation are kept (id, entry, account, balance);
an item met before its account is kept too, in case.
"""

from collections import defaultdict

from odoo.tools import float_compare

LINE, PARTIAL = "account.move.line", "account.partial.reconcile"
ALWAYS_RECONCILABLE = ("asset_cash", "liability_credit_card")


class ReconciliationCheck:
    def __init__(self, env, rounding, amount):
        self.env = env
        self.rounding = rounding
        self.amount = amount  # how an amount is written in a message
        self.items = {}  # item id -> (entry, account, balance): items that may be reconciled
        self.partials = []  # (partial id, debit item, credit item, amount)

    def add_items(self, accounts, ids, move_ids, account_ids, balances):
        """Keep the items that may be reconciled (``balances``: debit minus credit if missing)."""
        for item_id, move_id, account_id, balance in zip(ids, move_ids, account_ids, balances, strict=True):
            if account_id not in accounts or reconcilable(accounts[account_id]):
                self.items[item_id] = (move_id, account_id, balance)

    def add_partials(self, ids, debit_ids, credit_ids, amounts):
        self.partials += zip(ids, debit_ids, credit_ids, amounts, strict=True)

    def faults(self, accounts, posted, line_ids):
        """{(PARTIAL, id): reason} of the partial reconciliations Odoo would not have made.
        ``line_ids``: every item of the file (an item not kept is on an account that does not
        allow reconciliation)."""
        faults, matched = {}, defaultdict(list)
        for partial_id, debit_id, credit_id, amount in self.partials:
            if reason := self._pair_fault(accounts, posted, line_ids, debit_id, credit_id):
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
        return faults

    def _pair_fault(self, accounts, posted, line_ids, debit_id, credit_id):
        for item_id in (debit_id, credit_id):
            if item_id not in self.items and item_id in line_ids:
                return self.env._(
                    "journal item %(id)s is on an account that does not allow reconciliation", id=item_id
                )
        if debit_id not in self.items or credit_id not in self.items:
            return None  # an item the file lacks: a dangling reference, refused as such
        (debit_move, debit_account, _balance), (credit_move, credit_account, _balance2) = (
            self.items[debit_id],
            self.items[credit_id],
        )
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
        if debit_move not in posted or credit_move not in posted:
            return self.env._("it reconciles journal items of an entry that is not posted")
        return None


def reconcilable(account):
    """Whether an account (type, code, reconcile) allows reconciliation, as Odoo has it."""
    account_type, _code, reconcile = account
    return bool(reconcile) or account_type in ALWAYS_RECONCILABLE
