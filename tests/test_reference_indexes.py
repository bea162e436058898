from odoo.tests import TransactionCase, tagged

from ..hooks import uninstall_hook
from ..services.reference_indexes import MARK, company_tables, index_references, missing_indexes


def marked_indexes(cr):
    """{(table, column)} of the indexes that carry Danger Zone's mark."""
    cr.execute(
        """SELECT t.relname, a.attname FROM pg_index i
             JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_class t ON t.oid = i.indrelid
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
             JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
            WHERE d.description = %s""",
        [MARK],
    )
    return set(cr.fetchall())


@tagged("post_install", "-at_install")
class TestReferenceIndexes(TransactionCase):
    def test_every_reference_to_company_data_is_indexed(self):
        cr = self.env.cr
        transient = {Model._table for Model in self.env.registry.values() if Model._transient}
        tables = company_tables(self.env)
        self.assertIn("account_tax_repartition_line", tables)
        self.assertNotIn("res_users", tables, "users stay: what points to them needs no index")
        self.assertEqual([key for key in missing_indexes(cr, tables) if key[0] not in transient], [])
        ours = marked_indexes(cr)
        # columns Odoo leaves without an index, read whole for each deleted tax line otherwise
        self.assertLessEqual(
            {("account_move_line", "tax_repartition_line_id"), ("account_move_line", "tax_line_id")}, ours
        )

        uninstall_hook(self.env)
        self.assertEqual(marked_indexes(cr), set(), "uninstalling drops them")
        self.assertLessEqual(ours, set(missing_indexes(cr, tables)), "and only them")

        created = index_references(self.env)
        self.assertEqual(set(created), ours)
        self.assertEqual(marked_indexes(cr), ours)
        cr.execute(
            """SELECT pg_get_indexdef(indexrelid) FROM pg_index
                WHERE indrelid = 'account_move_line'::regclass AND indkey[0] = (
                      SELECT attnum FROM pg_attribute WHERE attrelid = 'account_move_line'::regclass
                         AND attname = 'tax_line_id')"""
        )
        self.assertRegex(cr.fetchone()[0], r"\(tax_line_id\) WHERE \(tax_line_id IS NOT NULL\)")
