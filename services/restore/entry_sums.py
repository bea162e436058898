"""The books check's figures per journal entry, kept in PostgreSQL rather than in Python.

``BookCheck`` adds up, for each journal entry of a file, what its items make (balance, the
installments' residuals, untaxed amount, tax, total, taxes) and compares that at the end with
what the file says of the entry. A company of years holds hundreds of thousands of entries:
their figures go to two temporary tables a batch at a time (each entry's own values, and each
batch's sums per entry), and come back at the end added up per entry, a batch at a time, in
the order of the entries' ids. Python holds a batch, whatever the company's size.
"""

from odoo.tools import SQL

from ..sql import copy_rows, empty_temporary_table, fetched_in_batches

ENTRIES = "danger_zone_check_entries"
SUMS = "danger_zone_check_sums"
# an entry's values as the file has them (journal and residual: of an invoice or a bill only)
ENTRY_COLUMNS = ("id", "journal", "position", "residual", "untaxed", "tax", "total")
# what a batch of items makes of each entry (taxes: the code of the set of their taxes)
SUM_COLUMNS = ("id", "balance", "installments", "untaxed_made", "tax_made", "total_made", "taxes")
NUMBERS = ("balance", "installments", "untaxed_made", "tax_made", "total_made")


class EntrySums:
    def __init__(self, cr):
        self.cr = cr
        self.tax_sets = [frozenset()]  # code -> a set of taxes met (0: none)
        self._tax_codes = {frozenset(): 0}
        empty_temporary_table(
            cr,
            ENTRIES,
            "id integer, journal integer, position integer, residual float8, untaxed float8, tax float8,"
            " total float8",
        )
        empty_temporary_table(
            cr,
            SUMS,
            "id integer, balance float8, installments float8, untaxed_made float8, tax_made float8,"
            " total_made float8, taxes integer",
        )

    def add_entries(self, rows):
        """Rows of the values of ``ENTRY_COLUMNS`` (None where the entry has none)."""
        copy_rows(self.cr, ENTRIES, ENTRY_COLUMNS, rows)

    def add_sums(self, sums, taxes):
        """A batch's sums: entry id -> the numbers of ``NUMBERS``; entry id -> its items' taxes."""
        rows = ((move_id, *numbers, self._tax_code(taxes.get(move_id))) for move_id, numbers in sums.items())
        copy_rows(self.cr, SUMS, SUM_COLUMNS, rows)

    def totals(self):
        """Per entry met (in the file, or named by an item), in the order of their ids: its id,
        its values (``ENTRY_COLUMNS`` but the id; None for an entry only items name), what its
        items make (``NUMBERS``, 0.0 when none) and the set of its items' taxes."""
        query = SQL(
            """SELECT coalesce(entry.id, made.id), entry.journal, entry.position, entry.residual,
                      entry.untaxed, entry.tax, entry.total,
                      coalesce(made.balance, 0), coalesce(made.installments, 0),
                      coalesce(made.untaxed_made, 0), coalesce(made.tax_made, 0),
                      coalesce(made.total_made, 0), made.taxes
                 FROM %s entry
            FULL JOIN (SELECT id, sum(balance) AS balance, sum(installments) AS installments,
                              sum(untaxed_made) AS untaxed_made, sum(tax_made) AS tax_made,
                              sum(total_made) AS total_made, array_agg(DISTINCT taxes) AS taxes
                         FROM %s GROUP BY id) made ON made.id = entry.id
             ORDER BY 1""",
            SQL.identifier(ENTRIES),
            SQL.identifier(SUMS),
        )
        tax_sets = self.tax_sets
        for *values, codes in fetched_in_batches(self.cr, query):
            yield (*values, frozenset().union(*(tax_sets[code] for code in codes or ())))

    def _tax_code(self, tax_ids):
        """The code of a set of taxes, each distinct set kept once (a company has a few)."""
        tax_ids = tax_ids or frozenset()
        code = self._tax_codes.get(tax_ids)
        if code is None:
            code = self._tax_codes[tax_ids] = len(self.tax_sets)
            self.tax_sets.append(tax_ids)
        return code
