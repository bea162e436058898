import base64
import io
from collections import Counter
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from ..engine.reader import _ZipReader
from ..models.danger_zone_job import COMPANY_LOCK_NAMESPACE
from ..models.danger_zone_scope import DangerZoneScope
from ..services.restore.foreign_keys import ForeignKeyCheck
from ..services.restore.record_check import RecordCheck
from .restore_case import RestoreCase, respace_member, rewrite_backup


@tagged("post_install", "-at_install")
class TestRestoreJob(RestoreCase):
    LINES = "data/account.move.line.jsonl"

    def test_a_failure_halfway_changes_nothing_and_fails_the_job(self):
        target = self.new_company("DZ Failing Co")
        before = self.env["account.account"].search_count([("company_ids", "in", target.id)])

        def explode(*args, **kwargs):
            raise ValueError("disk on fire")

        with patch.object(DangerZoneScope, "_danger_zone_after_restore", explode):
            restore = self.restore(target)
        self.assertEqual(restore.state, "failed")
        self.assertIn("disk on fire", restore.error)
        self.env.invalidate_all()
        self.assertEqual(self.env["account.account"].search_count([("company_ids", "in", target.id)]), before)
        self.assertFalse(self.env["account.move"].search_count([("company_id", "=", target.id)]))

    def test_the_job_refuses_its_copy_changed_after_the_check_and_reads_it_once(self):
        target = self.new_company("DZ Changed Copy Co")
        file_b64 = base64.b64encode(self.content).decode()
        request = target.with_user(self.owner).danger_zone_restore
        changed = self.env["danger.zone.restore"].browse(request(file_b64, confirm="RESTORE"))
        changed.attachment_id.sudo().raw = respace_member(self.content, self.LINES)  # after the check
        self.env["danger.zone.restore"]._cron_process_queue()
        self.assertEqual(changed.state, "failed")
        self.assertRegex(
            changed.error,
            r"^The backup file is not valid: data/account\.move\.line\.jsonl does not match its SHA-256",
        )
        self.assertFalse(self.env["account.move"].search_count([("company_id", "=", target.id)]))

        intact = self.env["danger.zone.restore"].browse(request(file_b64, confirm="RESTORE"))
        member_lines = _ZipReader._member_lines
        with patch.object(_ZipReader, "_member_lines", autospec=True, side_effect=member_lines) as spy:
            self.env["danger.zone.restore"]._cron_process_queue()
        self.assertEqual(intact.state, "done", intact.error)
        # per file read (the restored one, and the safety backup's own check of what it wrote)
        reads = Counter(id(call.args[0]) for call in spy.call_args_list if call.args[1] == self.LINES)
        self.assertEqual(set(reads.values()), {1}, "journal items read once, for their rows and their hash")

    @mute_logger("odoo.sql_db")
    def test_a_statement_timeout_fails_the_job_and_changes_nothing(self):
        target = self.new_company("DZ Slow Co")
        moves_before = self.env["account.move"].search_count([("company_id", "=", target.id)])
        original = DangerZoneScope._danger_zone_after_restore

        def slow(self, *args, **kwargs):
            self.env.cr.execute("SET LOCAL statement_timeout = 1")  # undone with the savepoint
            self.env.cr.execute("SELECT pg_sleep(0.05)")
            return original(self, *args, **kwargs)

        with patch.object(DangerZoneScope, "_danger_zone_after_restore", slow):
            restore = self.restore(target)
        self.assertEqual(restore.state, "failed")
        self.assertIn("timeout", restore.error)
        self.assertEqual(
            self.env["account.move"].search_count([("company_id", "=", target.id)]), moves_before
        )

    def test_one_job_at_a_time_per_company(self):
        file_b64 = base64.b64encode(self.content).decode()
        company = self.company.with_user(self.owner)
        company.danger_zone_restore(file_b64, confirm="RESTORE")
        with self.assertRaisesRegex(UserError, "restore of .* already queued"):
            company.danger_zone_restore(file_b64, confirm="RESTORE")
        with self.assertRaisesRegex(UserError, "already queued"):
            company.danger_zone_backup()

    def test_a_job_running_in_another_worker_blocks_the_company(self):
        restore_id = self.company.with_user(self.owner).danger_zone_restore(
            base64.b64encode(self.content).decode(), confirm="RESTORE"
        )
        moves_before = self.env["account.move"].search_count([("company_id", "=", self.company.id)])
        with self.env.registry.cursor() as other_worker:  # another connection, as another worker has
            other_worker.execute("SELECT pg_advisory_lock(%s, %s)", [COMPANY_LOCK_NAMESPACE, self.company.id])
            self.env["danger.zone.restore"]._cron_process_queue()
            other_worker.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [COMPANY_LOCK_NAMESPACE, self.company.id]
            )
        restore = self.env["danger.zone.restore"].browse(restore_id)
        self.assertEqual(restore.state, "failed")
        self.assertIn("Another Danger Zone job is running", restore.error)
        self.assertEqual(
            self.env["account.move"].search_count([("company_id", "=", self.company.id)]), moves_before
        )

    def test_restore_is_refused_while_a_backup_waits(self):
        self.company.with_user(self.owner).danger_zone_backup()
        with self.assertRaisesRegex(UserError, "backup of .* already queued"):
            self.company.with_user(self.owner).danger_zone_restore(
                base64.b64encode(self.content).decode(), confirm="RESTORE"
            )

    def test_interrupted_restore_is_marked_failed(self):
        restore = (
            self.env["danger.zone.restore"]
            .sudo()
            .create({"company_id": self.company.id, "requested_by_id": self.owner.id, "state": "running"})
        )
        self.env["danger.zone.restore"]._check_none_active(self.company)  # nobody holds its lock
        self.assertEqual(restore.state, "failed")
        self.assertIn("Interrupted", restore.error)

    def wizard(self, company, content, **values):
        """The wizard with ``content`` uploaded, as the upload route receives it."""
        Uploads = self.env["danger.zone.upload"].with_user(self.owner)
        upload = Uploads._receive(company, io.BytesIO(content), "company.zip")
        return (
            self.env["danger.zone.restore.wizard"]
            .with_user(self.owner)
            .with_company(company)
            .create({"upload_id": upload.id, **values})
        )

    def test_the_wizard_checks_each_record_once_and_a_token_proves_nothing_else(self):
        target = self.new_company("DZ Wizard Co")
        from_elsewhere = rewrite_backup(self.content, lambda members, manifest: None)  # checked in full
        wizard = self.wizard(target, from_elsewhere, confirm="RESTORE")
        check_records = RecordCheck.run
        with patch.object(RecordCheck, "run", autospec=True, side_effect=check_records) as spy:
            wizard.action_check()
            self.assertTrue(wizard.check_ok, wizard.check_report)
            wizard.action_restore()
        self.assertEqual(spy.call_count, 1, "the Restore button trusts the check the wizard just made")
        restore = self.env["danger.zone.restore"].search([("company_id", "=", target.id)])
        self.assertEqual((restore.state, restore.file_name), ("queued", "company.zip"))
        self.env["danger.zone.restore"]._cron_process_queue()
        self.assertEqual(restore.state, "done", restore.error)

        def break_a_partner(members, manifest):
            members["data/res.partner.jsonl"][0]["category_id"] = [[6, 0, [1]]]

        broken = self.wizard(target, rewrite_backup(self.content, break_a_partner), confirm="RESTORE")
        broken.check_token = wizard.check_token  # the token of another file
        with self.assertRaisesRegex(UserError, "must be a list of ids"):
            broken.action_restore()
        self.assertEqual(self.env["danger.zone.restore"].search_count([("company_id", "=", target.id)]), 1)

    def test_uploaded_file_is_the_owner_s_alone(self):
        restore = self.restore(self.new_company("DZ Private Co"))
        attachment = restore.attachment_id
        self.assertTrue(attachment)
        with self.assertRaises(AccessError):
            attachment.with_user(self.admin).read(["name"])
        self.assertFalse(self.env["ir.attachment"].with_user(self.admin).search([("id", "=", attachment.id)]))
        self.assertTrue(attachment.with_user(self.owner).read(["name"]))
        self.assertLessEqual(restore.finished_at, fields.Datetime.now())


@tagged("post_install", "-at_install")
class TestForeignKeyCheck(TransactionCase):
    """A restore skips PostgreSQL's per-row foreign key checks only when allowed, and checks per table."""

    def test_broken_reference_written_unchecked_is_found(self):
        cr = self.env.cr
        check = ForeignKeyCheck(cr)
        self.assertTrue(check.enabled, "the test database role may set session_replication_role")
        partner = self.env["res.partner"].create({"name": "DZ unchecked"})
        self.env.flush_all()
        with check.deferred():
            cr.execute("UPDATE res_partner SET parent_id = 2147483000 WHERE id = %s", [partner.id])
        check.wrote("res_partner", SQL("t.id = %s", partner.id))
        self.assertEqual(check.check(), [("res_partner", "parent_id", "res_partner", [2147483000])])
        cr.execute("SHOW session_replication_role")
        self.assertEqual(cr.fetchone()[0], "origin", "later writes are checked as usual")

    def test_roles_without_the_right_keep_row_by_row_checks(self):
        cr = self.env.cr
        cr.execute("CREATE ROLE dz_restore_no_superuser")
        cr.execute("SET LOCAL ROLE dz_restore_no_superuser")
        try:
            check = ForeignKeyCheck(cr)
        finally:
            cr.execute("RESET ROLE")
        self.assertFalse(check.enabled)
        self.assertEqual(check.check(), [])
