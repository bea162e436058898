from odoo.tests import TransactionCase, tagged

from ..services.restore.table_constraints import ConstraintRows


@tagged("post_install", "-at_install")
class TestTableConstraints(TransactionCase):
    """The constraints of any table, read from the catalog and evaluated on a file's values."""

    def test_check_constraints_and_unique_indexes_name_the_records_that_break_them(self):
        Model = self.env["ir.model.data"]  # a CHECK with a LIKE pattern, and a unique index
        member = {"fields": dict.fromkeys(("id", "name", "module", "model", "res_id"), {})}
        rows = ConstraintRows(self.env.cr, Model, member, constants={})
        names = {constraint.name for constraint in rows.constraints}
        self.assertEqual(names, {"ir_model_data_name_nospaces", "ir_model_data_module_name_uniq_index"})
        for file_id, name, res_id in ((7, "a b", 1), (8, "ab", 1), (2**40, "ab", 2), (9, "cd", None)):
            rows.add_record({"id": file_id, "name": name, "module": "m", "model": "x", "res_id": res_id})
        broken = {constraint.name: ids for constraint, ids in rows.broken()}
        self.assertEqual(
            broken, {"ir_model_data_name_nospaces": [7], "ir_model_data_module_name_uniq_index": [2**40]}
        )
        unchecked = ConstraintRows(self.env.cr, Model, member, {}, unchecked_columns={"name"})
        self.assertEqual([c.name for c in unchecked.constraints], ["ir_model_data_name_nospaces"])
