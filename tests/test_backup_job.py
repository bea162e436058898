import hashlib
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pyrage
from freezegun import freeze_time
from pyrage import x25519

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..engine import BackupFormatError, open_backup
from ..services import company_scope
from ..services.stored_files import human_size
from .backup_case import BackupCase, read_backup, records_by_model


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
            params = {
                "model": "danger.zone.backup",
                "record_id": backup.id,
                "file_name": backup.file_name,
                "encrypted_to": "",
            }
            self.assertEqual((action["tag"], action["params"]), ("danger_zone_download", params))
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

    def test_daily_backups_are_encrypted_to_the_owners_public_key(self):
        """Only the owner sets the key, a key that is not one is refused; the daily backup is an
        age file its identity opens into the backup, downloaded as it is, never re-encrypted."""
        identity = x25519.Identity.generate()
        key = str(identity.to_public())
        with self.assertRaises(AccessError):
            self.company.with_user(self.admin).danger_zone_backup_recipient = key
        with self.assertRaisesRegex(UserError, "is not an age public key"):
            self.company.with_user(self.owner).danger_zone_backup_recipient = "age1notakey"
        self.company.with_user(self.owner).write(
            {"danger_zone_daily_backup": True, "danger_zone_backup_recipient": f" {key}\n"}
        )
        self.assertEqual(self.company.danger_zone_backup_recipient, key)
        Backups = self.env["danger.zone.backup"]
        Backups._cron_daily()
        Backups._cron_process_queue()
        daily = Backups.search([("company_id", "=", self.company.id), ("trigger", "=", "daily")])
        self.assertEqual((daily.state, daily.encrypted_to), ("done", key), daily.error)
        self.assertTrue(daily.file_name.endswith(".zip.age"))
        encrypted = daily.attachment_id.sudo().raw
        self.assertEqual(daily.checksum, hashlib.sha256(encrypted).hexdigest(), "of the file kept")
        reader = open_backup(io.BytesIO(pyrage.decrypt(encrypted, [identity])))
        reader.verify()
        self.assertEqual(reader.manifest["source"]["company_id"], self.company.id)
        file, name, size = daily.with_user(self.owner)._download_file()
        with file:
            self.assertEqual((file.read(), name, size), (encrypted, daily.file_name, len(encrypted)))
        with self.assertRaisesRegex(UserError, "encrypted to your public key already"):
            daily.with_user(self.owner)._download_file("a passphrase", "a passphrase")
        manual = self.backup()
        self.assertFalse(manual.encrypted_to, "on demand: encrypted with a passphrase when downloaded")

    def test_daily_backups_are_kept_by_days_weeks_and_months_over_a_year(self):
        """A daily backup every day of a year, the expiry run every day after it: what stays is
        the last 7 days, the newest of each of the last 4 weeks and of the last 12 months."""
        self.company.with_user(self.owner).write(
            {
                "danger_zone_daily_backup": True,
                "danger_zone_backup_retention_days": 7,
                "danger_zone_backup_keep_weeks": 4,
                "danger_zone_backup_keep_months": 12,
            }
        )
        with self.assertRaisesRegex(UserError, "zero periods or more"):
            self.company.with_user(self.owner).danger_zone_backup_keep_weeks = -1
        Backups = self.env["danger.zone.backup"].sudo()
        start = datetime(2026, 1, 1, 2, 30)
        for day in range(365):
            now = start + timedelta(days=day)
            with freeze_time(now):
                Backups.create(
                    {
                        "company_id": self.company.id,
                        "requested_by_id": self.owner.id,
                        "trigger": "daily",
                        "state": "done",
                        "finished_at": now,
                        "expires_at": now + timedelta(days=7),
                    }
                )
                Backups._cron_expire()
        daily = Backups.search([("company_id", "=", self.company.id), ("trigger", "=", "daily")])
        self.assertEqual(len(daily), 365)
        kept = daily.filtered(lambda backup: backup.state == "done").mapped("finished_at")
        moments = sorted(daily.mapped("finished_at"))
        weeks = {(now - timedelta(weeks=back)).isocalendar()[:2] for back in range(4)}
        months = {((now.month - 1 - back) % 12 + 1) for back in range(12)}  # the whole year
        newest_of_week = {moment.isocalendar()[:2]: moment for moment in moments}
        newest_of_month = {moment.month: moment for moment in moments}
        expected = {moment for moment in moments if moment >= now - timedelta(days=7)}
        expected |= {newest_of_week[week] for week in weeks}
        expected |= {newest_of_month[month] for month in months}
        self.assertEqual(sorted(kept), sorted(expected))
        self.assertEqual(len(kept), 8 + 2 + 11, "a week of days, two more Sundays, eleven month ends")

    def test_the_page_draws_the_last_backups_sizes_and_outcomes(self):
        done = self.backup()
        line = self.env["account.move.line"].search([("company_id", "=", self.company.id)], limit=1)
        self.env.cr.execute("UPDATE account_move_line SET discount = 'NaN' WHERE id = %s", [line.id])
        self.assertEqual(self._build_backup().state, "failed")
        chart = self.company.with_user(self.owner).danger_zone_backup_chart
        self.assertEqual(chart.count("<rect"), 2)
        self.assertLess(
            chart.index("o_danger_zone_done"), chart.index("o_danger_zone_failed"), "oldest first"
        )
        self.assertIn(f"done, {human_size(done.file_size)}</title>", chart)
        self.assertFalse(self.other_company.with_user(self.other_owner).danger_zone_backup_chart)

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
