"""Journal entries as Odoo keeps them, checked on the values of a file from elsewhere.

A restore writes rows in SQL, past the ORM, so none of the checks Odoo runs when an entry is
posted protect it: a file whose every reference is valid may still hold books that Odoo could
never have produced. The record check hands this class the journal entries and items of the
file a batch at a time; it keeps per entry only its state, number and running balance, and
says which entries break a rule of Odoo's:

- a journal item's ``balance`` is its ``debit`` minus its ``credit``;
- a posted entry is balanced: its items' balances add up to zero (in company currency).

Amounts are compared at the rounding of the company's currency, as Odoo compares them.
"""

from collections import defaultdict

from odoo.tools import float_compare, float_is_zero

MOVE, LINE = "account.move", "account.move.line"


class BookCheck:
    MODELS = (MOVE, LINE)

    def __init__(self, env, currency):
        self.env = env
        self.rounding, self.digits = currency.rounding, currency.decimal_places
        self.posted = {}  # posted entry id -> its number
        self.balances = defaultdict(float)  # entry id -> the sum of its items' balances
        self.faults = {}  # (model, file id) -> reason, and the entry that goes with it

    def add_columns(self, model, columns):
        """Take a checked batch of ``model``'s records, a column at a time."""
        if model == MOVE:
            for move_id, state, name in zip(
                columns["id"], *self._columns(columns, "state", "name"), strict=True
            ):
                if state == "posted":
                    self.posted[move_id] = name
        elif model == LINE:
            self._add_lines(columns["id"], *self._columns(columns, "move_id", "debit", "credit", "balance"))

    def add_record(self, model, record):
        """Take one checked record of ``model``."""
        self.add_columns(model, {name: [value] for name, value in record.items()} | {"id": [record["id"]]})

    def faulty_entries(self):
        """{(model, file id): reason} of the entries and items that break a rule; an item's
        entry is named too, by that item's fault, since without it the entry would not balance."""
        faults = dict(self.faults)
        for move_id, name in self.posted.items():
            total = self.balances.get(move_id, 0.0)
            if not float_is_zero(total, precision_rounding=self.rounding):
                faults.setdefault(
                    (MOVE, move_id),
                    self.env._(
                        "the posted entry %(name)s is unbalanced: "
                        "its debits minus its credits make %(amount)s",
                        name=name,
                        amount=self._amount(total),
                    ),
                )
        return faults

    def _add_lines(self, ids, move_ids, debit_column, credit_column, balance_column):
        """Add the items' balances to their entries', and note the items whose balance is not
        their debit minus their credit (a plain comparison first: 300,000 items are many)."""
        totals, half = self.balances, self.rounding / 2
        columns = zip(ids, move_ids, debit_column, credit_column, balance_column, strict=True)
        for line_id, move_id, debit, credit, balance in columns:
            debit_minus_credit = (debit or 0.0) - (credit or 0.0)
            if balance is None:  # a file without balances: the restore takes debit minus credit
                balance = debit_minus_credit
            totals[move_id] += balance
            if abs(balance - debit_minus_credit) >= half and float_compare(
                balance, debit_minus_credit, precision_rounding=self.rounding
            ):
                self._line_fault(line_id, move_id, debit or 0.0, credit or 0.0, balance)

    def _line_fault(self, line_id, move_id, debit, credit, balance):
        reason = self.env._(
            "its balance %(balance)s is not its debit %(debit)s minus its credit %(credit)s",
            balance=self._amount(balance),
            debit=self._amount(debit),
            credit=self._amount(credit),
        )
        self.faults[(LINE, line_id)] = reason
        self.faults.setdefault(
            (MOVE, move_id), self.env._("its journal item %(id)s: %(reason)s", id=line_id, reason=reason)
        )

    @staticmethod
    def _columns(columns, *names):
        """The columns ``names`` of a batch; a field the file lacks reads as empty."""
        size = len(columns["id"])
        return [columns.get(name) or [None] * size for name in names]

    def _amount(self, value):
        return f"{value:.{self.digits}f}"
