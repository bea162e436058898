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

The items on accounts that allow reconciliation (an item met before its account too, in case)
and the partials go to two temporary tables a batch at a time; the checks read them back at
the end joined and added up, a batch at a time. Python holds a batch and the faults, whatever
the company's size.
"""

from odoo.tools import SQL, float_compare

from ..sql import copy_rows, empty_temporary_table, fetched_in_batches
from .context import id_array

MOVE, LINE, PARTIAL = "account.move", "account.move.line", "account.partial.reconcile"
ALWAYS_RECONCILABLE = ("asset_cash", "liability_credit_card")
ITEMS, PARTIALS = "danger_zone_check_items", "danger_zone_check_partials"
ITEM_COLUMNS = (
    "id",
    "entry",
    "account",
    "reconciled",
    "balance",
    "residual",
    "currency",
    "amount_currency",
    "residual_currency",
)
PARTIAL_COLUMNS = ("id", "debit", "credit", "amount", "debit_amount_currency", "credit_amount_currency")
# what the valid partials match of each item kept, as the debit side (d) and the credit side (c)
MATCHED = """
    LEFT JOIN (SELECT debit AS item, sum(amount) AS amount, sum(debit_amount_currency) AS in_currency
                 FROM danger_zone_check_partials WHERE valid GROUP BY debit) d ON d.item = i.id
    LEFT JOIN (SELECT credit AS item, sum(amount) AS amount, sum(credit_amount_currency) AS in_currency
                 FROM danger_zone_check_partials WHERE valid GROUP BY credit) c ON c.item = i.id"""


class ReconciliationCheck:
    def __init__(self, env, rounding, amount):
        self.env = env
        self.cr = env.cr
        self.rounding = rounding
        self.amount = amount  # how an amount is written in a message
        self.item_faults = {}  # (model, id) -> reason, of the items and their entries
        self.currency_rounding = {}  # currency id of the file -> its rounding (company's if unknown)
        empty_temporary_table(
            self.cr,
            ITEMS,
            """id integer, entry integer, account integer, reconciled boolean, balance float8,
               residual float8, currency integer, amount_currency float8, residual_currency float8""",
        )
        empty_temporary_table(
            self.cr,
            PARTIALS,
            """id integer, debit integer, credit integer, amount float8, debit_amount_currency float8,
               credit_amount_currency float8, valid boolean DEFAULT true""",
        )

    def add_items(self, accounts, columns):
        """Keep the items that may be reconciled; check the others' residuals (``columns``: ids,
        entries, accounts, balances (debit minus credit if missing), residuals, reconciled, then
        currencies, amounts and residuals in currency)."""
        kept = []
        for item_id, move_id, account_id, balance, residual, reconciled, *in_currency in zip(
            *columns, strict=True
        ):
            if account_id not in accounts or reconcilable(accounts[account_id]):
                kept.append((item_id, move_id, account_id, bool(reconciled), balance, residual, *in_currency))
            else:
                self._check_not_reconcilable(item_id, move_id, account_id, balance, residual, reconciled)
        copy_rows(self.cr, ITEMS, ITEM_COLUMNS, kept)

    def add_partials(self, *columns):
        """``columns``: ids, debit items, credit items, amounts, debit and credit amounts in the
        items' currencies."""
        rows = (
            (partial_id, debit_id, credit_id, *(amount or 0.0 for amount in amounts))
            for partial_id, debit_id, credit_id, *amounts in zip(*columns, strict=True)
        )
        copy_rows(self.cr, PARTIALS, PARTIAL_COLUMNS, rows)

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

    def faults(self, accounts, is_posted, line_ids):
        """{(PARTIAL, id): reason} of the partial reconciliations Odoo would not have made; the
        items whose residual is not what their reconciliations leave, and their entries, are
        added to ``item_faults``.
        ``line_ids``: every item of the file (an item not kept is on an account that does not
        allow reconciliation)."""
        self.cr.execute("ANALYZE danger_zone_check_items, danger_zone_check_partials")
        self._leave_out_unreconcilable(accounts)
        faults = self._pair_faults(accounts, is_posted, line_ids)
        if faults:
            self.cr.execute(
                "UPDATE danger_zone_check_partials SET valid = false WHERE id = ANY(%s::int[])",
                [id_array(partial_id for _model, partial_id in faults)],
            )
        faults.update(self._overmatched())
        self._check_residuals(accounts)
        return faults

    def _leave_out_unreconcilable(self, accounts):
        """The items kept before their account was met, whose account does not allow
        reconciliation: checked as such, and no longer kept."""
        unreconcilable = [account_id for account_id, account in accounts.items() if not reconcilable(account)]
        if not unreconcilable:
            return
        query = SQL(
            """SELECT id, entry, account, balance, residual, reconciled FROM danger_zone_check_items
                WHERE account = ANY(%s) ORDER BY id""",
            unreconcilable,
        )
        for item in fetched_in_batches(self.cr, query):
            self._check_not_reconcilable(*item)
        self.cr.execute("DELETE FROM danger_zone_check_items WHERE account = ANY(%s)", [unreconcilable])

    def _pair_faults(self, accounts, is_posted, line_ids):
        """{(PARTIAL, id): reason} of the partials whose two items Odoo would not reconcile."""
        query = SQL(
            """SELECT p.id, p.debit, d.id IS NOT NULL, d.entry, d.account,
                      p.credit, c.id IS NOT NULL, c.entry, c.account
                 FROM danger_zone_check_partials p
            LEFT JOIN danger_zone_check_items d ON d.id = p.debit
            LEFT JOIN danger_zone_check_items c ON c.id = p.credit
             ORDER BY p.id"""
        )
        faults = {}
        for partial_id, *debit_and_credit in fetched_in_batches(self.cr, query):
            debit, credit = debit_and_credit[:4], debit_and_credit[4:]
            if reason := self._pair_fault(accounts, is_posted, line_ids, debit, credit):
                faults[(PARTIAL, partial_id)] = reason
        return faults

    def _overmatched(self):
        """{(PARTIAL, id): reason} of the valid partials of an item matched for more than it
        holds on that side: its balance as the debit side, minus it as the credit side. The
        partials are read again only for such items."""
        query = SQL(
            """SELECT i.id, side.sign, side.total, i.balance
                 FROM (SELECT debit AS item, 1 AS sign, sum(amount) AS total
                         FROM danger_zone_check_partials WHERE valid GROUP BY debit
                       UNION ALL
                       SELECT credit, -1, sum(amount)
                         FROM danger_zone_check_partials WHERE valid GROUP BY credit
                      ) side
                 JOIN danger_zone_check_items i ON i.id = side.item
                WHERE side.total - side.sign * i.balance > %s
                ORDER BY i.id, side.sign DESC""",
            self.rounding / 4,  # candidates: float_compare decides
        )
        reasons = {}
        for item_id, sign, total, balance in fetched_in_batches(self.cr, query):
            held = sign * balance
            if float_compare(total, held, precision_rounding=self.rounding) > 0:
                reasons[item_id, sign] = self.env._(
                    "journal item %(id)s is matched for %(total)s, more than the %(held)s it holds",
                    id=item_id,
                    total=self.amount(total),
                    held=self.amount(held),
                )
        overmatched = {}
        if reasons:
            query = SQL("SELECT id, debit, credit FROM danger_zone_check_partials WHERE valid ORDER BY id")
            for partial_id, debit_id, credit_id in fetched_in_batches(self.cr, query):
                for item_id, sign in ((debit_id, 1), (credit_id, -1)):
                    if reason := reasons.get((item_id, sign)):
                        overmatched[(PARTIAL, partial_id)] = reason
        return overmatched

    def _check_residuals(self, accounts):
        """The residual each kept item claims, in company currency and in its own, against what
        its valid reconciliations leave (Odoo's _compute_amount_residual: in its currency, the
        amount in currency less the partials' debit amounts in currency where the item is the
        debit side, plus their credit amounts in currency where it is the credit side). The
        faults in company currency come first, as when each was a pass over every item."""
        query = SQL(
            """SELECT i.id, i.entry, i.account, i.balance, i.residual, i.reconciled, i.currency,
                      i.amount_currency, i.residual_currency, coalesce(d.amount, 0), coalesce(c.amount, 0),
                      coalesce(d.in_currency, 0), coalesce(c.in_currency, 0)
                 FROM danger_zone_check_items i %s
                ORDER BY i.id""",
            SQL(MATCHED),
        )
        in_company, in_currency = [], []
        for (
            item_id,
            move_id,
            account_id,
            balance,
            residual,
            reconciled,
            currency_id,
            *amounts,
        ) in fetched_in_batches(self.cr, query):
            if account_id not in accounts:
                continue  # an account the file does not describe
            amount, residual_currency, as_debit, as_credit, as_debit_currency, as_credit_currency = amounts
            if residual is not None:
                reason = self._residual_fault(balance - as_debit + as_credit, residual, reconciled)
                if reason:
                    in_company.append((item_id, move_id, reason))
            if residual_currency is not None and amount is not None:
                left = amount - as_debit_currency + as_credit_currency
                rounding = self.currency_rounding.get(currency_id, self.rounding)
                if float_compare(residual_currency, left, precision_rounding=rounding):
                    reason = self.env._(
                        "its residual in its currency is %(residual)s, but its reconciliations leave"
                        " %(left)s",
                        residual=self.amount(residual_currency),
                        left=self.amount(left),
                    )
                    in_currency.append((item_id, move_id, reason))
        for fault in in_company + in_currency:
            self._item_fault(*fault)

    def _residual_fault(self, left, residual, reconciled):
        if float_compare(residual, left, precision_rounding=self.rounding):
            return self.env._(
                "its residual is %(residual)s, but its reconciliations leave %(left)s",
                residual=self.amount(residual),
                left=self.amount(left),
            )
        if reconciled and float_compare(left, 0.0, precision_rounding=self.rounding):
            return self.env._("it claims to be reconciled, but %(left)s is left", left=self.amount(left))
        return None

    def _pair_fault(self, accounts, is_posted, line_ids, debit, credit):
        """Why Odoo would not reconcile two items (each: id, kept, entry, account), or None."""
        (debit_id, debit_kept, debit_move, debit_account) = debit
        (credit_id, credit_kept, credit_move, credit_account) = credit
        for item_id, kept in ((debit_id, debit_kept), (credit_id, credit_kept)):
            if not kept and item_id in line_ids:
                return self.env._(
                    "journal item %(id)s is on an account that does not allow reconciliation", id=item_id
                )
        if not (debit_kept and credit_kept):
            return None  # an item the file lacks: a dangling reference, refused as such
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
