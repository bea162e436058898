from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..services.restore.company_consistency import CompanyConsistency
from ..services.restore.model_rules import ModelRules
from .restore_case import RestoreCase, fingerprint, rewrite_backup

PARTNERS = "data/res.partner.jsonl"
LOOP = ("DZ Loop North", "DZ Loop South")


def add_a_partner_loop(members, manifest):
    """Two new partners of the file, each the other's parent: Odoo refuses recursive hierarchies
    in a Python constraint, which no check of the file itself knows."""
    customer = next(p for p in members[PARTNERS] if " Customer " in (p.get("name") or ""))
    first_id = max(p["id"] for p in members[PARTNERS]) + 1
    ids = (first_id, first_id + 1)
    for name, own_id, parent_id in zip(LOOP, ids, reversed(ids), strict=True):
        partner = {
            key: value
            for key, value in customer.items()
            if manifest_type(manifest, key) not in ("one2many", "many2many")
        }
        partner.update(id=own_id, name=name, parent_id=parent_id, commercial_partner_id=own_id, email=None)
        members[PARTNERS].append(partner)


def manifest_type(manifest, field):
    member = next(m for m in manifest["members"] if m["name"] == PARTNERS)
    return member["fields"].get(field, {}).get("type")


@tagged("post_install", "-at_install")
class TestRestoredModelRules(RestoreCase):
    """A file from elsewhere that breaks a Python constraint of a restored model, or the company
    consistency the ORM keeps, fails its restore with the record and the rule named, and the
    company is left as it was; skipping invalid records leaves out those records and restores
    the rest."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.looped = rewrite_backup(cls.content, add_a_partner_loop)
        cls.foreign = rewrite_backup(cls.content, lambda members, manifest: None)

    def assert_failed_unchanged(self, content, message, target=None):
        target = target or self.new_company(f"DZ Rules Refused Co {self.id()[-12:]}")
        before = fingerprint(target)
        restore = self.restore(target, content)
        self.assertEqual(restore.state, "failed")
        self.assertRegex(restore.error, message)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), before)
        self.assertFalse(self.env["account.move"].search_count([("company_id", "=", target.id)]))
        return restore

    def test_a_record_that_breaks_a_constraint_of_its_model_fails_the_restore(self):
        self.assert_failed_unchanged(
            self.looped,
            r"The restored records break rules of their models, so nothing was restored:\n"
            r"res\.partner \d+: it breaks the rule _check_parent_id of res\.partner: "
            r"You cannot create recursive Partner hierarchies\.",
        )
        self.assertFalse(self.env["res.partner"].search_count([("name", "in", LOOP)]))

    def test_a_record_of_no_company_that_names_the_companys_records_fails_the_restore(self):
        def share_a_product(members, manifest):
            templates = members["data/product.template.jsonl"]
            chair = next(template for template in templates if template["name"] == {"en_US": "Chair"})
            service = next(template for template in templates if template["id"] != chair["id"])
            service.update(company_id=None, optional_product_ids=[chair["id"]])

        self.assert_failed_unchanged(
            rewrite_backup(self.content, share_a_product),
            r"product\.template \d+: it breaks the rule _check_company of product\.template: "
            r"Incompatible companies on records",
        )

    def test_the_company_check_by_pairs_suspects_exactly_what_odoo_refuses(self):
        """company_consistency.py asks Odoo's question once per distinct (companies, records)
        pair: on analytic lines (a many2one) and journal items (a many2many) of which some name
        another company's product or tax, it suspects those, as Odoo's own rule, run record by
        record, refuses them, and no other."""
        other = self.new_company("DZ Other Rules Co")
        product = self.env["product.product"].create({"name": "DZ Foreign Chair", "company_id": other.id})
        tax = other.account_sale_tax_id
        cr = self.env.cr
        for model, broken_value in (
            ("account.analytic.line", "UPDATE account_analytic_line SET product_id = %s WHERE id = ANY(%s)"),
            ("account.move.line", "INSERT INTO account_move_line_account_tax_rel SELECT unnest(%s), %s"),
        ):
            Model = self.env[model].sudo().with_context(active_test=False)
            records = Model.search([("company_id", "=", self.company.id)], order="id")
            broken = records[1:3]
            self.assertEqual(len(broken), 2, f"the test needs {model} records")
            if model == "account.analytic.line":
                cr.execute(broken_value, [product.id, broken.ids])
            else:
                cr.execute(broken_value, [broken.ids, tax.id])
            self.env.invalidate_all()
            fields = ModelRules.company_checked_fields(Model)
            consistency = CompanyConsistency(Model, fields)
            self.assertIn("product_id" if model == "account.analytic.line" else "tax_ids", consistency.fast)
            refused = []
            for record in records:
                try:
                    with cr.savepoint():
                        record._check_company(fields)
                except UserError:
                    refused.append(record.id)
            self.assertEqual(refused, broken.ids)
            self.assertEqual(consistency.suspects(records.ids), broken.ids)
        # Odoo's default question asked in SQL answers as filtered_domain does: own, shared, other
        Templates = self.env["product.template"].sudo()
        shared = Templates.create({"name": "DZ Shared Chair", "company_id": False})
        own = Templates.search([("company_id", "=", self.company.id)], limit=1)
        named = {product.product_tmpl_id.id, shared.id, own.id}
        for companies in ((self.company.id,), (other.id,), ()):
            in_sql = consistency._agreeing_in_sql(Templates, companies, named)
            self.assertEqual(in_sql, consistency._agreeing_in_orm(Templates, companies, named))
            self.assertIn(shared.id, in_sql)

    def test_an_item_mixing_cash_basis_taxes_that_share_a_tax_grid_fails_the_restore(self):
        """Odoo's _check_caba_non_caba_shared_tags, run on the items with a tax paid on payment:
        the source's sale tax and a cash-basis copy of it share a tax grid, and the file gives
        one invoice item both."""
        sale_tax = self.company.account_sale_tax_id
        grid = self.env["account.account.tag"].create(
            {"name": "DZ Shared Grid", "applicability": "taxes", "country_id": sale_tax.country_id.id}
        )
        cash_basis_tax = sale_tax.copy(
            {
                "tax_exigibility": "on_payment",
                "cash_basis_transition_account_id": sale_tax.invoice_repartition_line_ids.account_id[:1].id,
            }
        )
        base_lines = (sale_tax | cash_basis_tax).invoice_repartition_line_ids.filtered(
            lambda line: line.repartition_type == "base"
        )
        base_lines.tag_ids = grid
        content = self._build_backup().attachment_id.sudo().raw

        def give_an_item_both_taxes(members, manifest):
            items = members["data/account.move.line.jsonl"]
            item = next(item for item in items if item["tax_ids"] == [sale_tax.id])
            item["tax_ids"] = [sale_tax.id, cash_basis_tax.id]

        self.assert_failed_unchanged(
            rewrite_backup(content, give_an_item_both_taxes),
            r"account\.move\.line \d+: it breaks the rule _check_caba_non_caba_shared_tags of "
            r"account\.move\.line: Taxes exigible on payment and on invoice cannot be mixed",
        )

    def test_matching_numbers_are_made_from_the_restored_reconciliations(self):
        """Whatever matching numbers the file has, the restored items have those of their
        reconciliations, as Odoo's _constrains_matching_number wants them."""

        def drop_matching_numbers(members, manifest):
            for line in members["data/account.move.line.jsonl"]:
                line["matching_number"] = None

        target = self.new_company("DZ Rules Matching Co")
        restore = self.restore(target, rewrite_backup(self.content, drop_matching_numbers))
        self.assertEqual(restore.state, "done", restore.error)
        items = self.env["account.move.line"].search([("company_id", "=", target.id)])
        matched = items.filtered(lambda item: item.matched_debit_ids or item.matched_credit_ids)
        self.assertTrue(matched, "the test needs reconciled items")
        items._constrains_matching_number()  # raises on an item matched without its number
        self.assertTrue(all(matched.mapped("matching_number")))
        numbers = {item.id: item.matching_number for item in items}
        self.env["account.partial.reconcile"]._update_matching_number(items)  # Odoo's own numbering
        items.invalidate_recordset(["matching_number"])
        self.assertEqual({item.id: item.matching_number for item in items}, numbers)

    def test_with_skip_invalid_the_records_breaking_a_rule_are_left_out(self):
        target = self.new_company("DZ Rules Skipped Co")
        restore = self.restore(target, self.looped, skip_invalid=True)
        self.assertEqual(restore.state, "done", restore.error)
        skipped = {entry["model"]: entry["reason"] for entry in restore.report["skipped"]}
        self.assertEqual(len(restore.report["skipped"]), 2, restore.report["skipped"])
        self.assertRegex(skipped["res.partner"], r"_check_parent_id.*recursive Partner hierarchies")
        self.assertFalse(self.env["res.partner"].search_count([("name", "in", LOOP)]))
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), self.source_fingerprint)

    def test_a_file_signed_here_is_not_run_through_the_rules_again(self):
        """Its hashes prove it is what this database's ORM wrote: the fast path stays."""
        target = self.new_company("DZ Rules Signed Co")
        with patch.object(ModelRules, "faults", autospec=True, side_effect=ModelRules.faults) as run:
            restore = self.restore(target)
            self.assertEqual(restore.state, "done", restore.error)
            self.assertFalse(run.called)
            self.assertEqual(
                self.restore(self.new_company("DZ Rules Foreign Co"), self.foreign).state, "done"
            )
            self.assertTrue(run.called)
