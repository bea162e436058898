import io
import json
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import jsonschema
import referencing
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..demo.sample_company import create_sample_company
from ..engine import BackupFormatError, open_backup, verify_signature
from ..engine.schema import member_record_schema
from ..services import company_scope

DOCS = Path(__file__).resolve().parent.parent / "docs"


def read_backup(backup):
    """The reader of a done backup's file, verified."""
    reader = open_backup(io.BytesIO(backup.attachment_id.sudo().raw))
    reader.verify()
    return reader


def records_by_model(reader, kind="data"):
    return {
        member["model"]: list(reader.records(member["name"]))
        for member in reader.manifest["members"]
        if member["kind"] == kind
    }


class BackupCase(TransactionCase):
    """Company A (rich, owned by ``owner``) and company B (rich, owned by ``other_owner``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = (
            "base.group_system,base.group_partner_manager,account.group_account_manager,"
            "sales_team.group_sale_manager,purchase.group_purchase_manager,hr_expense.group_hr_expense_manager"
        )
        cls.owner = new_test_user(cls.env, "dz_backup_owner", groups=groups, name="Bea Backup")
        cls.other_owner = new_test_user(cls.env, "dz_other_owner", groups=groups, name="Otto Other")
        cls.admin = new_test_user(
            cls.env, "dz_backup_admin", groups="base.group_system,base.group_erp_manager"
        )
        cls.env["ir.model.fields"].create(
            {
                "name": "x_dz_loyalty",
                "field_description": "Loyalty level",
                "model_id": cls.env.ref("base.model_res_partner").id,
                "ttype": "char",
            }
        )
        cls.company = create_sample_company(cls.env, "DZ Backup Co", cls.owner)
        cls.other_company = create_sample_company(cls.env, "DZ Other Co", cls.other_owner)
        cls.customer = cls.env["res.partner"].search(
            [("company_id", "=", cls.company.id), ("name", "like", "Customer 1")]
        )
        cls.customer.x_dz_loyalty = "gold"
        cls.env["ir.model"].create(
            {
                "name": "Customer visit",
                "model": "x_dz_visit",
                "field_id": [
                    Command.create({"name": "x_name", "field_description": "Subject", "ttype": "char"}),
                    Command.create(
                        {
                            "name": "x_partner_id",
                            "field_description": "Customer",
                            "ttype": "many2one",
                            "relation": "res.partner",
                        }
                    ),
                ],
            }
        )
        other_customer = cls.env["res.partner"].search([("company_id", "=", cls.other_company.id)], limit=1)
        cls.env["x_dz_visit"].create(
            [
                {"x_name": "Showroom visit", "x_partner_id": cls.customer.id},
                {"x_name": "Other company's visit", "x_partner_id": other_customer.id},
            ]
        )
        cls.admin.company_ids = [Command.link(cls.company.id), Command.link(cls.other_company.id)]

    @classmethod
    def _build_backup(cls, **options):
        """Request a backup as the owner and build it as the cron would."""
        backup_id = cls.company.with_user(cls.owner).danger_zone_backup(**options)
        cls.env["danger.zone.backup"]._cron_process_queue()
        return cls.env["danger.zone.backup"].browse(backup_id)

    def backup(self, **options):
        backup = self._build_backup(**options)
        self.assertEqual(backup.state, "done", backup.error)
        return backup


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


@tagged("post_install", "-at_install")
class TestBackupJob(BackupCase):
    def test_one_backup_at_a_time(self):
        self.company.with_user(self.owner).danger_zone_backup()
        with self.assertRaisesRegex(UserError, "already queued or running"):
            self.company.with_user(self.owner).danger_zone_backup()
        self.other_company.with_user(self.other_owner).danger_zone_backup()  # another company is free

    def test_non_owners_get_nothing(self):
        backup = self.backup()
        for user in (self.admin, self.other_owner):
            with self.assertRaises(AccessError):
                self.company.with_user(user).danger_zone_backup()
            with self.assertRaises(AccessError):
                backup.with_user(user).read(["state"])
            with self.assertRaises(AccessError):
                backup.attachment_id.with_user(user).read(["raw"])
            with self.assertRaises(AccessError):
                backup.with_user(user).action_download()
        with self.assertRaises(AccessError):
            self.env["danger.zone.backup"].with_user(self.admin).search([])
        self.assertFalse(self.env["danger.zone.backup"].with_user(self.other_owner).search([]))
        self.assertNotIn("danger_zone_backup_ids", self.env["res.company"].with_user(self.admin).fields_get())

    def test_bad_requests_write_nothing(self):
        with self.assertRaisesRegex(UserError, "'zip' or 'json'"):
            self.company.with_user(self.owner).danger_zone_backup(file_format="xml")
        self.assertFalse(self.env["danger.zone.backup"].search([("company_id", "=", self.company.id)]))

    def test_download_for_24_hours_then_expired(self):
        now = fields.Datetime.now()
        with freeze_time(now):
            backup = self.backup()
            action = backup.with_user(self.owner).action_download()
            self.assertEqual(action["url"], f"/web/content/{backup.attachment_id.id}?download=true")
            self.assertEqual(backup.expires_at, now + timedelta(hours=24))
        attachment = backup.attachment_id
        with freeze_time(now + timedelta(hours=23)):
            self.env["danger.zone.backup"]._cron_expire()
            self.assertEqual(backup.state, "done")
        with freeze_time(now + timedelta(hours=25)):
            with self.assertRaisesRegex(UserError, "cannot be downloaded"):
                backup.with_user(self.owner).action_download()
            self.env["danger.zone.backup"]._cron_expire()
        self.assertEqual(backup.state, "expired")
        self.assertFalse(backup.attachment_id)
        self.assertFalse(attachment.exists())

    def test_daily_backups_follow_the_owner_settings(self):
        with self.assertRaises(AccessError):
            self.company.with_user(self.admin).danger_zone_daily_backup = True
        self.company.with_user(self.owner).write(
            {"danger_zone_daily_backup": True, "danger_zone_backup_retention_days": 3}
        )
        self.env["danger.zone.backup"]._cron_daily()
        daily = self.env["danger.zone.backup"].search([("company_id", "=", self.company.id)])
        self.assertEqual((daily.trigger, daily.state, daily.requested_by_id), ("daily", "queued", self.owner))
        self.assertFalse(self.env["danger.zone.backup"].search([("company_id", "=", self.other_company.id)]))
        self.env["danger.zone.backup"]._cron_process_queue()
        self.assertEqual(daily.state, "done")
        self.assertAlmostEqual(
            daily.expires_at, fields.Datetime.now() + timedelta(days=3), delta=timedelta(minutes=5)
        )

    def test_progress_reaches_100(self):
        backup = self.backup()
        self.assertEqual(backup.progress, 100)
        self.assertTrue(backup.started_at <= backup.finished_at)
        self.assertEqual(len(backup.checksum), 64)
        self.assertGreater(backup.model_counts["account.move.line"], 20)

    def test_verification_refuses_a_wrong_count(self):
        backup = self.backup()
        data = backup.attachment_id.sudo().raw
        path = Path(self.env["ir.attachment"].sudo()._full_path(backup.attachment_id.store_fname))
        with self.assertRaisesRegex(BackupFormatError, "record counts differ"):
            self.env["danger.zone.backup"]._verify(str(path), {"data/res.partner.jsonl": -1})
        self.assertTrue(data)

    def test_failure_marks_the_job_failed_with_its_reason(self):
        self.company.with_user(self.owner).danger_zone_backup()
        backup = self.env["danger.zone.backup"].search([("company_id", "=", self.company.id)])
        self.env.cr.execute("CREATE TEMPORARY TABLE danger_zone_scope (blocker int)")  # resolve() drops it
        backup.file_format = "json"
        backup._run()
        self.assertEqual(backup.state, "done", "a leftover temporary table is replaced")
        self.company.with_user(self.owner).danger_zone_backup()
        broken = self.env["danger.zone.backup"].search([("state", "=", "queued")])
        broken.company_id = self.env["res.company"].create({"name": "Empty Co"})
        self.env.cr.execute("ALTER TABLE res_partner RENAME COLUMN x_dz_loyalty TO x_dz_renamed")
        broken._run()
        self.assertEqual(broken.state, "failed")
        self.assertIn("x_dz_loyalty", broken.error)

    def test_a_number_json_cannot_hold_fails_the_backup_naming_the_record(self):
        line = self.env["account.move.line"].search([("company_id", "=", self.company.id)], limit=1)
        self.env.cr.execute("UPDATE account_move_line SET discount = 'NaN' WHERE id = %s", [line.id])
        backup = self._build_backup()
        self.assertEqual(backup.state, "failed")
        self.assertIn(f"account.move.line record {line.id} holds a number that is NaN", backup.error)
        self.assertFalse(backup.attachment_id)

    def test_distribution_keys_naming_accounts_outside_the_backup_are_left_out(self):
        other_account = self.env["account.analytic.account"].search(
            [("company_id", "=", self.other_company.id)], limit=1
        )
        line = self.env["account.move.line"].search(
            [("company_id", "=", self.company.id), ("analytic_distribution", "!=", False)], limit=1
        )
        self.assertTrue(
            other_account and line, "the test needs an analytic line and another company's account"
        )
        own_key = next(iter(line.analytic_distribution))
        mixed = {own_key: 60.0, str(other_account.id): 40.0}
        self.env.cr.execute(
            "UPDATE account_move_line SET analytic_distribution = %s WHERE id = %s",
            [json.dumps(mixed), line.id],
        )
        lines = records_by_model(read_backup(self.backup()))["account.move.line"]
        [written] = [record for record in lines if record["id"] == line.id]
        self.assertEqual(written["analytic_distribution"], {own_key: 60.0})

    def test_large_members_check_references_once_and_still_leave_outside_ones_out(self):
        """A member of more than CHECK_AHEAD_ROWS records asks, from the records outside the scope,
        whether any is named in an indexed column, instead of checking every row (here every
        member is large). A contact of another company named by a journal item is still found."""
        other_partner = self.env["res.partner"].search([("company_id", "=", self.other_company.id)], limit=1)
        line = self.env["account.move.line"].search(
            [("company_id", "=", self.company.id), ("partner_id", "!=", False)], limit=1
        )
        self.assertTrue(other_partner and line, "the test needs a journal item and another company's contact")
        self.env.cr.execute(
            "UPDATE account_move_line SET partner_id = %s WHERE id = %s", [other_partner.id, line.id]
        )
        with (
            patch.object(company_scope, "CHECK_AHEAD_ROWS", 0),
            patch.object(company_scope, "ROWS_PER_OUTSIDE_RECORD", 1),
        ):
            reader = read_backup(self.backup())
        lines = records_by_model(reader)["account.move.line"]
        [written] = [record for record in lines if record["id"] == line.id]
        self.assertIsNone(written["partner_id"])
        named = {record["partner_id"] for record in lines if record["partner_id"]}
        self.assertTrue(named, "the other journal items keep their contacts")
        self.assertLessEqual(named, {record["id"] for record in records_by_model(reader)["res.partner"]})

    def test_files_stay_the_owners_even_if_an_admin_edits_rules(self):
        backup = self.backup()
        attachment = backup.attachment_id
        self.assertEqual(attachment.with_user(self.owner).raw[:2], b"PK")
        # An administrator may add himself to the owner group and switch the rule off...
        self.env.ref("danger_zone.group_danger_zone_owner").users = [Command.link(self.admin.id)]
        self.env.ref("danger_zone.rule_danger_zone_backup_owner").active = False
        self.assertEqual(backup.with_user(self.admin).state, "done")  # ...and see the job,
        with self.assertRaises(AccessError):
            attachment.with_user(self.admin).read(["raw"])  # but never the file,
        self.assertFalse(self.env["ir.attachment"].with_user(self.admin).search([("id", "=", attachment.id)]))
        # A file whose backup is gone is nobody's.
        self.env.cr.execute("DELETE FROM danger_zone_backup WHERE id = %s", [backup.id])
        self.env.invalidate_all()
        with self.assertRaises(AccessError):
            attachment.with_user(self.owner).read(["raw"])

    def test_owner_page_is_told_when_the_backup_changes(self):
        self.company.with_user(self.owner).danger_zone_backup()
        self.env["bus.bus"].search([]).unlink()
        self.env["danger.zone.backup"]._cron_process_queue()
        self.env.cr.precommit.run()  # the bus stores notifications when the transaction commits
        channel = f'"res.partner",{self.owner.partner_id.id}]'
        notifications = self.env["bus.bus"].search([("channel", "like", channel)], order="id")
        states = [json.loads(n.message)["payload"]["state"] for n in notifications]
        self.assertEqual(states[0], "running")
        self.assertEqual(states[-1], "done")
