import io
import zipfile

from odoo import Command
from odoo.tests import tagged

from ..engine import open_backup
from .backup_case import read_backup, records_by_model
from .restore_case import RestoreCase, comparable_records, fingerprint, rewrite_backup


@tagged("post_install", "-at_install")
class TestRestoreRoundTrip(RestoreCase):
    def test_restore_into_a_new_company_gives_the_same_books(self):
        target = self.new_company("DZ Restored Co")
        restore = self.restore(target)
        self.assertEqual(restore.state, "done", restore.error)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), self.source_fingerprint)
        self.assertEqual(restore.safety_backup_id.state, "done", "a replace first backs the target up")
        self.assertEqual(
            restore.restored_count + restore.skipped_count, sum(restore.report["counts"].values())
        )

    def test_records_of_the_installed_apps_that_no_rule_names_come_back(self):
        """Vendor prices (product.supplierinfo) are named by no rule: they are found from their
        company column, carried and restored like any business record."""
        target = self.new_company("DZ Discovered Co")
        restore = self.restore(target)
        self.assertEqual(restore.state, "done", restore.error)

        def vendor_prices(company):
            prices = self.env["product.supplierinfo"].search([("company_id", "=", company.id)])
            return sorted(
                (p.partner_id.name, p.product_tmpl_id.name, p.price, p.currency_id.name) for p in prices
            )

        self.assertTrue(vendor_prices(self.company))
        self.assertEqual(vendor_prices(target), vendor_prices(self.company))

    def test_shared_payment_terms_are_matched_with_their_lines_not_copied(self):
        """Payment terms of no company that the database has are reused, and keep their own
        lines: the backup's lines of a matched term are not written beside them."""
        terms = self.env["account.payment.term"].search([("company_id", "=", False)])
        self.assertTrue(terms)
        customer = self.env["account.move"].search([("company_id", "=", self.company.id)], limit=1).partner_id
        customer.with_company(self.company).property_payment_term_id = terms[-1]
        backup = self.backup()
        self.assertTrue(records_by_model(read_backup(backup))["account.payment.term.line"])
        lines = terms.line_ids
        restore = self.restore(self.new_company("DZ Terms Co"), backup.attachment_id.sudo().raw)
        self.assertEqual(restore.state, "done", restore.error)
        self.assertEqual(self.env["account.payment.term"].search([("company_id", "=", False)]), terms)
        self.assertEqual(
            self.env["account.payment.term.line"].search([("payment_id", "in", terms.ids)]), lines
        )

    def test_working_hours_come_back_with_their_attendances(self):
        """Attendances have no company: they are found as children of the company's working
        hours (a required, cascading many2one) and come back with them."""
        target = self.new_company("DZ Hours Co")
        original = target.resource_calendar_id
        restore = self.restore(target)
        self.assertEqual(restore.state, "done", restore.error)
        target.invalidate_recordset()
        restored = target.resource_calendar_id
        self.assertNotEqual(restored, original, "the company works the backup's hours")

        def working_hours(calendar):
            return sorted(
                (day.dayofweek, day.hour_from, day.hour_to, day.day_period) for day in calendar.attendance_ids
            )

        self.assertTrue(working_hours(self.company.resource_calendar_id))
        self.assertEqual(working_hours(restored), working_hours(self.company.resource_calendar_id))

    def test_a_file_of_format_version_1_restores_the_same_books(self):
        """Backups made before records became arrays (objects a line) still restore."""
        version_1 = rewrite_backup(self.content, lambda members, manifest: None, format_version=1)
        lines = zipfile.ZipFile(io.BytesIO(version_1)).read("data/account.move.line.jsonl")
        self.assertTrue(lines.startswith(b'{"id":'), "records are objects")
        target = self.new_company("DZ Version 1 Co")
        restore = self.restore(target, version_1)
        self.assertEqual(restore.state, "done", restore.error)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), self.source_fingerprint)

    def test_restored_hash_chains_pass_the_integrity_check(self):
        target = self.new_company("DZ Hashed Co")
        self.assertEqual(self.restore(target).state, "done")
        results = self.as_owner(target).sudo(False)._check_hash_integrity()["results"]
        statuses = {result["journal_name"]: result["status"] for result in results}
        self.assertIn("verified", statuses.values(), statuses)
        self.assertNotIn("corrupted", statuses.values(), statuses)

    def test_replace_over_the_same_company_gives_it_back_and_numbering_goes_on(self):
        invoices = self.env["account.move"].search(
            [("company_id", "=", self.company.id), ("move_type", "=", "out_invoice")]
        )
        last_number = max(invoices.mapped("sequence_number"))
        extra = invoices[0].copy()  # made after the backup: the replace removes it
        restore = self.restore(self.company)
        self.assertEqual(restore.state, "done", restore.error)
        self.env.invalidate_all()
        self.assertFalse(extra.exists())
        self.assertEqual(fingerprint(self.company), self.source_fingerprint)
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "sale")], limit=1
        )
        invoice = (
            self.as_owner(self.company)
            .env["account.move"]
            .create(
                {
                    "move_type": "out_invoice",
                    "journal_id": journal.id,
                    "partner_id": self.customer_of(self.company).id,
                    "invoice_line_ids": [Command.create({"name": "After restore", "price_unit": 10.0})],
                }
            )
        )
        invoice.action_post()
        self.assertEqual(invoice.sequence_number, last_number + 1, invoice.name)
        newcomer = self.as_owner(self.company).env["res.partner"].create({"name": "After the restore"})
        receivable = newcomer.property_account_receivable_id
        self.assertTrue(receivable.exists(), "the company's default accounts follow the restored ones")
        self.assertIn(self.company, receivable.company_ids)

    def customer_of(self, company):
        return self.env["res.partner"].search([("company_id", "=", company.id)], limit=1)

    def test_merge_adds_to_an_empty_company(self):
        target = self.new_company("DZ Merged Co", chart=False)
        restore = self.restore(target, mode="merge")
        self.assertEqual(restore.state, "done", restore.error)
        self.assertFalse(restore.safety_backup_id, "a merge deletes nothing, so it needs no safety backup")
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target)["trial_balance"], self.source_fingerprint["trial_balance"])

    def test_json_variant_restores_too(self):
        json_backup = self._build_backup(file_format="json")
        target = self.new_company("DZ Json Co")
        restore = self.restore(target, json_backup.attachment_id.sudo().raw)
        self.assertEqual(restore.state, "done", restore.error)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target)["moves"], self.source_fingerprint["moves"])


@tagged("post_install", "-at_install")
class TestRestoreContent(RestoreCase):
    def test_backup_of_the_restored_company_matches_the_original(self):
        target = self.new_company("DZ Mirror Co")
        self.assertEqual(self.restore(target).state, "done")
        mirror_id = target.with_user(self.owner).danger_zone_backup()
        self.env["danger.zone.backup"]._cron_process_queue()
        mirror = open_backup(
            io.BytesIO(self.env["danger.zone.backup"].browse(mirror_id).attachment_id.sudo().raw)
        )
        original = open_backup(io.BytesIO(self.content))
        models = ["res.partner", "account.move.line", "account.partial.reconcile", "account.analytic.line"]
        expected, restored = comparable_records(original, models), comparable_records(mirror, models)
        for model in models:
            with self.subTest(model=model):
                self.assertEqual(restored[model], expected[model])

    def test_attachments_travel_with_their_files(self):
        invoice = self.env["account.move"].search(
            [("company_id", "=", self.company.id), ("move_type", "=", "out_invoice")], limit=1
        )
        self.env["ir.attachment"].create(
            {
                "name": "signed.txt",
                "raw": b"signed by the customer",
                "res_model": "account.move",
                "res_id": invoice.id,
            }
        )
        backup = self._build_backup(with_attachments=True)
        target = self.new_company("DZ Files Co")
        self.assertEqual(self.restore(target, backup.attachment_id.sudo().raw).state, "done")
        restored = (
            self.env["ir.attachment"]
            .search([("name", "=", "signed.txt"), ("res_model", "=", "account.move")])
            .filtered(lambda a: self.env["account.move"].browse(a.res_id).company_id == target)
        )
        self.assertEqual(len(restored), 1)
        self.assertEqual(restored.raw, b"signed by the customer")
        self.assertEqual(self.env["account.move"].browse(restored.res_id).name, invoice.name)

    def test_html_is_sanitized_on_the_way_in(self):
        def inject(members, manifest):
            message = next(
                m
                for m in members["data/mail.message.jsonl"]
                if m.get("body") and m["model"] == "account.move"
            )
            message["body"] = '<p>Hello</p><script>alert("owned")</script><img src="x" onerror="steal()">'

        target = self.new_company("DZ Clean Co")
        restore = self.restore(target, rewrite_backup(self.content, inject))
        self.assertEqual(restore.state, "done", restore.error)
        moves = self.env["account.move"].search([("company_id", "=", target.id)])
        bodies = (
            self.env["mail.message"]
            .search([("model", "=", "account.move"), ("res_id", "in", moves.ids)])
            .mapped("body")
        )
        hello = [str(body) for body in bodies if "Hello" in str(body)]
        self.assertEqual(len(hello), 1)
        self.assertNotIn("<script", hello[0])
        self.assertNotIn("onerror", hello[0])

    def test_timeline_users_without_access_are_relinked_to_the_restorer(self):
        clerk = self.env["res.users"].create(
            {
                "name": "Clara Clerk",
                "login": "dz_clerk",
                "email": "clerk@example.com",
                "company_id": self.company.id,
                "company_ids": [Command.set([self.company.id])],
                "groups_id": [Command.set([self.env.ref("account.group_account_invoice").id])],
            }
        )
        invoice = self.env["account.move"].search(
            [("company_id", "=", self.company.id), ("move_type", "=", "out_invoice")], limit=1
        )
        invoice.with_user(clerk).message_post(body="Checked by the clerk", message_type="comment")
        content = self._build_backup().attachment_id.sudo().raw
        target = self.new_company("DZ Relinked Co")
        restore = self.restore(target, content)
        self.assertEqual(restore.state, "done", restore.error)
        self.assertTrue(any("dz_clerk" in warning for warning in restore.report["warnings"]))
        moves = self.env["account.move"].search([("company_id", "=", target.id)])
        messages = self.env["mail.message"].search(
            [("model", "=", "account.move"), ("res_id", "in", moves.ids)]
        )
        clerk_note = messages.filtered(lambda m: "Checked by the clerk" in str(m.body))
        self.assertEqual(clerk_note.author_id, self.owner.partner_id, "relinked to the user who restored")
        owner_note = messages.filtered(lambda m: "next week" in str(m.body))
        self.assertEqual(owner_note.author_id, self.owner.partner_id, "the owner has access: kept")
