from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from ..services.sql import RANGES_AS_OR, fetched_in_batches, in_ranges


@tagged("post_install", "-at_install")
class TestSqlHelpers(TransactionCase):
    """The SQL helpers a large restore leans on to keep its memory flat: ids named by ranges,
    rows read a batch at a time."""

    def setUp(self):
        super().setUp()
        self.env.cr.execute(
            "CREATE TEMPORARY TABLE danger_zone_numbers AS SELECT n FROM generate_series(1, 1000) n"
        )

    def _numbers(self, condition):
        self.env.cr.execute(SQL("SELECT n FROM danger_zone_numbers WHERE %s ORDER BY n", condition))
        return [n for (n,) in self.env.cr.fetchall()]

    def test_ids_in_ranges_are_the_same_whether_named_one_by_one_or_joined_from_arrays(self):
        column = SQL.identifier("n")
        few = [(3, 5), (10, 10), (998, 1200)]
        self.assertEqual(self._numbers(in_ranges(column, few)), [3, 4, 5, 10, 998, 999, 1000])
        many = [(low, low + 1) for low in range(1, 10 * (RANGES_AS_OR + 1), 10)]
        self.assertGreater(len(many), RANGES_AS_OR)
        self.assertIn("unnest", in_ranges(column, many).code)
        expected = sorted(n for low, _high in many for n in (low, low + 1))
        self.assertEqual(self._numbers(in_ranges(column, many)), expected)
        self.assertEqual(self._numbers(in_ranges(column, [])), [])

    def test_rows_fetched_in_batches_are_every_row_in_order_and_the_cursor_is_closed(self):
        query = SQL("SELECT n, n * 2 FROM danger_zone_numbers ORDER BY n")
        rows = list(fetched_in_batches(self.env.cr, query, size=64))
        self.assertEqual(rows, [(n, 2 * n) for n in range(1, 1001)])
        self.env.cr.execute("SELECT count(*) FROM pg_cursors WHERE name = 'danger_zone_rows'")
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertEqual(list(fetched_in_batches(self.env.cr, SQL("SELECT 1 WHERE false"))), [])
