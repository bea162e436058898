import json

import jsonschema
import referencing

from odoo import Command
from odoo.tests import tagged
from odoo.tools import SQL

from ..engine import verify_signature
from ..engine.schema import member_record_schema
from .backup_case import DOCS, BackupCase, read_backup, records_by_model


@tagged("post_install", "-at_install")
class TestBackupContent(BackupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.zip_backup = cls._build_backup()
        cls.reader = read_backup(cls.zip_backup)
        cls.data = records_by_model(cls.reader)
        cls.keys = records_by_model(cls.reader, "keys")

    def test_counts_match_the_database(self):
        env, company = self.env, self.company
        expected = {
            "account.move": env["account.move"].search_count([("company_id", "=", company.id)]),
            "account.move.line": env["account.move.line"].search_count([("company_id", "=", company.id)]),
            "account.partial.reconcile": env["account.partial.reconcile"].search_count(
                [("company_id", "=", company.id)]
            ),
            "account.payment": env["account.payment"].search_count([("company_id", "=", company.id)]),
            "account.tax": env["account.tax"]
            .with_context(active_test=False)
            .search_count([("company_id", "=", company.id)]),
            "account.account": env["account.account"]
            .with_context(active_test=False)
            .search_count([("company_ids", "in", company.id)]),
            "account.journal": env["account.journal"]
            .with_context(active_test=False)
            .search_count([("company_id", "=", company.id)]),
            "res.company": 1,
        }
        counts = {member["model"]: member["count"] for member in self.reader.manifest["members"]}
        for model, count in expected.items():
            self.assertEqual(counts[model], count, model)
            self.assertEqual(len(self.data[model]), count, model)
        self.assertEqual(self.zip_backup.record_count, sum(len(r) for r in self.data.values()))

    def test_every_model_holding_the_company_rows_is_carried_or_left_out_with_its_reason(self):
        """Whatever apps are installed: each table with rows of the company is a member of the
        file, or listed in the manifest as left out, with the count and a documented reason."""
        carried = {m["model"]: m["count"] for m in self.reader.manifest["members"] if m["kind"] == "data"}
        left_out = {item["model"]: item for item in self.reader.manifest["left_out"]}
        holding = company_rows_by_model(self.env, self.company)
        self.assertIn("product.supplierinfo", holding, "the vendor of a confirmed purchase, made by Odoo")
        for model, count in holding.items():
            with self.subTest(model=model):
                if model in carried:
                    self.assertNotIn(model, left_out)
                    self.assertGreaterEqual(carried[model], count, "every row of the company is carried")
                else:
                    self.assertEqual(left_out[model]["count"], count)
                    self.assertNotEqual(left_out[model]["reason"], "no rule carries it")
        self.assertIn("technical", left_out["ir.default"]["reason"])
        self.assertEqual(self.zip_backup.left_out, self.reader.manifest["left_out"])
        self.assertIn("ir.default: ", self.zip_backup.left_out_text)

    def test_natural_keys_name_the_module_that_provides_them(self):
        entry = next(m for m in self.reader.manifest["members"] if m["name"] == "keys/res.currency.jsonl")
        self.assertEqual(entry["modules"][str(self.company.currency_id.id)], "base")

    def test_other_company_is_absent(self):
        other_moves = set(self.env["account.move"].search([("company_id", "=", self.other_company.id)]).ids)
        self.assertFalse(other_moves & {move["id"] for move in self.data["account.move"]})
        names = {partner["name"] for partner in self.data["res.partner"]}
        self.assertIn("DZ Backup Co Customer 1", names)
        self.assertFalse([name for name in names if name.startswith("DZ Other Co")])
        self.assertFalse(
            {line["company_id"] for line in self.data["account.move.line"]} - {self.company.id},
            "every journal item belongs to the company",
        )

    def test_children_of_a_shared_record_come_with_their_own_parent_only(self):
        """Another company's product using the company's attribute (shared, as a restore into
        a second company makes it): its variant line is that company's, and stays out."""
        own_lines = self.env["product.template.attribute.line"].search(
            [("product_tmpl_id.company_id", "=", self.company.id)]
        )
        attribute = own_lines.attribute_id[:1]
        self.env["product.template"].create(
            {
                "name": "DZ Other Co Stool",
                "company_id": self.other_company.id,
                "attribute_line_ids": [
                    Command.create(
                        {"attribute_id": attribute.id, "value_ids": [Command.set(attribute.value_ids.ids)]}
                    )
                ],
            }
        )
        data = records_by_model(read_backup(self.backup()))
        self.assertEqual({line["id"] for line in data["product.template.attribute.line"]}, set(own_lines.ids))
        self.assertIn(attribute.id, {record["id"] for record in data["product.attribute"]})

    def test_every_reference_stays_inside_the_backup(self):
        """No raw id of anything outside the backup: each reference has its record in the file."""
        present = {}
        for kind in ("data", "keys"):
            for model, records in records_by_model(self.reader, kind).items():
                present.setdefault(model, set()).update(record["id"] for record in records)
        checked = 0
        for member in self.reader.manifest["members"]:
            relational = {
                name: field["relation"]
                for name, field in member["fields"].items()
                if field["type"] in ("many2one", "many2many", "one2many")
            }
            for record in self.reader.records(member["name"]):
                for name, relation in relational.items():
                    value = record[name]
                    ids = value if isinstance(value, list) else [value] if value else []
                    missing = set(ids) - present.get(relation, set())
                    self.assertFalse(
                        missing, f"{member['name']} {record['id']}.{name} -> {relation} {missing}"
                    )
                    checked += len(ids)
        self.assertGreater(checked, 500)

    def test_shared_records_are_natural_keys(self):
        currencies = {key["name"] for key in self.keys["res.currency"]}
        self.assertIn(self.company.currency_id.name, currencies)
        self.assertIn(self.owner.login, {key["login"] for key in self.keys["res.users"]})
        self.assertNotIn("res.currency", self.data)
        self.assertNotIn(self.owner.partner_id.id, {p["id"] for p in self.data["res.partner"]})
        owner_partner = next(k for k in self.keys["res.partner"] if k["id"] == self.owner.partner_id.id)
        self.assertEqual(owner_partner["user_ids"], [self.owner.id], "a user's partner is found by login")

    def test_company_settings_without_identity(self):
        [settings] = self.data["res.company"]
        self.assertEqual(settings["id"], self.company.id)
        self.assertEqual(settings["account_sale_tax_id"], self.company.account_sale_tax_id.id)
        self.assertEqual(settings["fiscalyear_last_month"], self.company.fiscalyear_last_month)
        for identity in ("name", "partner_id", "currency_id", "logo", "street", "danger_zone_owner_id"):
            self.assertNotIn(identity, settings)

    def test_business_details_are_carried(self):
        customer = next(p for p in self.data["res.partner"] if p["id"] == self.customer.id)
        self.assertEqual(customer["x_dz_loyalty"], "gold", "custom fields go in")
        visits = [(visit["x_name"], visit["x_partner_id"]) for visit in self.data["x_dz_visit"]]
        self.assertEqual(
            visits, [("Showroom visit", self.customer.id)], "custom models linked to the data go in"
        )
        self.assertTrue(customer["category_id"], "tags go in")
        self.assertIn(self.customer.bank_ids.id, {bank["id"] for bank in self.data["res.partner.bank"]})
        receivable = self.customer.with_company(self.company).property_account_receivable_id
        self.assertEqual(customer["property_account_receivable_id"], receivable.id, "company-dependent value")
        distributions = [line["analytic_distribution"] for line in self.data["account.move.line"]]
        analytic_ids = {a["id"] for a in self.data["account.analytic.account"]}
        keyed = {int(key) for distribution in distributions if distribution for key in distribution}
        self.assertTrue(keyed and keyed <= analytic_ids)
        self.assertTrue(self.data["account.full.reconcile"], "full reconciliations go in")
        variants = [p for p in self.data["product.product"] if p["product_tmpl_id"]]
        self.assertGreaterEqual(len(variants), 3, "product variants go in")

    def test_sales_purchases_and_expenses_go_in(self):
        """The test template installs sale_management, purchase and hr_expense."""
        [order] = self.data["sale.order"]
        self.assertEqual(order["state"], "sale")
        self.assertEqual(len(self.data["sale.order.line"]), 3)
        invoiced = [line for line in self.data["account.move.line"] if line.get("sale_line_ids")]
        self.assertTrue(invoiced, "invoice lines keep their sale order lines")
        [purchase] = self.data["purchase.order"]
        self.assertEqual(purchase["state"], "purchase")
        [sheet] = self.data["hr.expense.sheet"]
        [expense] = self.data["hr.expense"]
        self.assertEqual((expense["sheet_id"], expense["total_amount_currency"]), (sheet["id"], 36.0))
        [employee] = self.data["hr.employee"]
        self.assertEqual(employee["user_id"], self.owner.id)
        self.assertNotIn("private_street", employee, "fields of groups the owner lacks (HR officer) stay out")
        self.assertIn(employee["resource_id"], {r["id"] for r in self.data["resource.resource"]})

    def test_timeline_goes_in(self):
        bodies = [message["body"] for message in self.data["mail.message"]]
        self.assertTrue(any("delivery next week" in (body or "") for body in bodies))
        [tracking] = self.data["mail.tracking.value"]
        self.assertEqual(tracking["new_value_char"], "PO-4242")
        self.assertTrue(self.data["mail.followers"])
        summaries = [activity["summary"] for activity in self.data["mail.activity"]]
        self.assertIn("Call the customer", summaries)
        invoice_ids = {move["id"] for move in self.data["account.move"]}
        self.assertTrue(
            all(m["res_id"] in invoice_ids for m in self.data["mail.message"] if m["model"] == "account.move")
        )

    def test_file_validates_against_the_published_schema(self):
        manifest_schema = json.loads((DOCS / "backup-manifest.schema.json").read_text())
        record_schema = json.loads((DOCS / "backup-record.schema.json").read_text())
        jsonschema.Draft202012Validator(manifest_schema).validate(self.reader.manifest)
        registry = referencing.Registry().with_resource(
            record_schema["$id"], referencing.Resource.from_contents(record_schema)
        )
        for member in self.reader.manifest["members"]:
            validator = jsonschema.Draft202012Validator(member_record_schema(member), registry=registry)
            for line in self.reader.lines(member["name"]):
                validator.validate(json.loads(line))

    def test_manifest_is_signed_with_the_database_secret(self):
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        self.assertTrue(verify_signature(self.reader.manifest, secret))
        source = self.reader.manifest["source"]
        self.assertEqual(source["company_name"], self.company.name)
        self.assertEqual(source["currency"], self.company.currency_id.name)
        self.assertIn("account", source["modules"])

    def test_json_variant_has_the_same_content(self):
        backup = self.backup(file_format="json")
        self.assertTrue(backup.file_name.endswith(".json"))
        document = json.loads(backup.attachment_id.sudo().raw)
        self.assertEqual(document["manifest"]["members"], self.reader.manifest["members"])
        self.assertEqual(records_by_model(read_backup(backup)), self.data)

    def test_attachments_go_in_once_by_checksum(self):
        invoice = self.env["account.move"].search([("company_id", "=", self.company.id)], limit=2)
        content = b"%PDF-1.4 signed delivery note"
        for move in invoice:
            self.env["ir.attachment"].create(
                {"name": "note.pdf", "raw": content, "res_model": "account.move", "res_id": move.id}
            )
        reader = read_backup(self.backup(with_attachments=True))
        attachments = records_by_model(reader)["ir.attachment"]
        self.assertEqual(len([a for a in attachments if a["name"] == "note.pdf"]), 2)
        checksum = next(a["checksum"] for a in attachments if a["name"] == "note.pdf")
        self.assertEqual(reader.read_file(checksum), content)
        self.assertEqual([f["sha1"] for f in reader.manifest["files"]].count(checksum), 1)
        self.assertFalse({"store_fname", "url", "access_token", "db_datas"} & set(attachments[0]))
        self.assertNotIn("ir.attachment", self.data, "attachments only on request")


def company_rows_by_model(env, company):
    """model -> rows of ``company`` in its table, for every model with a company column."""
    counts = {}
    for model, Model in env.registry.items():
        if Model._abstract or Model._transient or not Model._auto or Model._table_query:
            continue
        field = Model._fields.get("company_id")
        if field and field.store and field.type == "many2one" and field.comodel_name == "res.company":
            env[model].flush_model()
            env.cr.execute(
                SQL("SELECT COUNT(*) FROM %s WHERE company_id = %s", SQL.identifier(Model._table), company.id)
            )
            if count := env.cr.fetchone()[0]:
                counts[model] = count
    return counts
