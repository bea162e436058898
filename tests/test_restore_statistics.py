from odoo.tests import TransactionCase, tagged

from ..services.restore.statistics import analyze_changed_tables


@tagged("post_install", "-at_install")
class TestRestoreStatistics(TransactionCase):
    """The planner's statistics of the tables a restore filled, updated inside its transaction."""

    def _rows_known(self, table):
        self.env.cr.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        return self.env.cr.fetchone()[0]

    def test_tables_that_grew_past_autovacuums_threshold_are_analyzed_with_the_new_rows(self):
        cr = self.env.cr
        cr.execute("ANALYZE res_partner_category, res_country")
        before = max(self._rows_known("res_partner_category"), 0)
        cr.execute(
            "INSERT INTO res_partner_category (name, active) "
            "SELECT jsonb_build_object('en_US', 'Tag ' || n), true FROM generate_series(1, 500) n"
        )
        countries = self._rows_known("res_country")
        self.assertGreater(countries, 100)
        analyzed = analyze_changed_tables(cr, {"res_partner_category": 500, "res_country": 1})
        # 500 rows are over 50 + a tenth of what the statistics knew; one country is not
        self.assertEqual(analyzed, ["res_partner_category"])
        self.assertEqual(self._rows_known("res_partner_category"), before + 500)
        self.assertEqual(self._rows_known("res_country"), countries)

    def test_nothing_written_nothing_analyzed(self):
        self.assertEqual(analyze_changed_tables(self.env.cr, {}), [])
        self.assertEqual(analyze_changed_tables(self.env.cr, {"res_country": 0}), [])
