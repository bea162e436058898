"""Trial restores: the newest daily backup of each company through the restore's full check,
rolled back, its outcome on the backup and the page, a failure told to the owner."""

from pathlib import Path

from pyrage import x25519

from odoo.tests import tagged

from .company_fingerprint import fingerprint
from .test_alerts import AlertCase


@tagged("post_install", "-at_install")
class TestTrialRestore(AlertCase):
    def daily_backup(self):
        self.company.with_user(self.owner).danger_zone_daily_backup = True
        Backups = self.env["danger.zone.backup"]
        Backups._cron_daily()
        Backups._cron_process_queue()
        backup = Backups.search([("company_id", "=", self.company.id), ("trigger", "=", "daily")])
        self.assertEqual(backup.state, "done", backup.error)
        return backup

    def test_the_newest_daily_backup_is_restorable_and_nothing_is_written(self):
        backup = self.daily_backup()
        before = fingerprint(self.env.cr, self.company.id)
        self.env["danger.zone.backup"]._cron_trial_restore()
        self.assertEqual((backup.trial_state, backup.trial_error), ("restorable", False))
        self.assertTrue(backup.trial_checked_at)
        self.assertEqual(fingerprint(self.env.cr, self.company.id), before, "rolled back")
        page = self.company.with_user(self.owner)
        self.assertRegex(page.danger_zone_last_trial, r"^Restorable, checked on ")
        checked_at = backup.trial_checked_at
        self.env["danger.zone.backup"]._cron_trial_restore()
        self.assertEqual(backup.trial_checked_at, checked_at, "checked once")

    def test_a_backup_that_cannot_be_restored_is_told_to_the_owner(self):
        """The file changed on the disk since it was built: the check refuses it, the backup
        says why, the owner is mailed and gets an activity."""
        backup = self.daily_backup()
        stored = backup.attachment_id.sudo()
        file = Path(stored._full_path(stored.store_fname))
        self.addCleanup(file.write_bytes, file.read_bytes())
        file.write_bytes(b"PK\x03\x04 not a backup any more")
        with self.mock_mail_gateway():
            self.env["danger.zone.backup"]._cron_trial_restore()
        self.assertEqual(backup.trial_state, "failed")
        self.assertTrue(backup.trial_error)
        subject = f"Danger Zone: the trial restore of a backup of {self.company.name} failed"
        self.assertAlerted(subject, backup.trial_error.splitlines()[0][:40])
        self.assertRegex(self.company.with_user(self.owner).danger_zone_last_trial, r"^Not restorable, ")

    def test_a_backup_encrypted_to_the_owners_key_is_not_checked_and_says_why(self):
        key = str(x25519.Identity.generate().to_public())
        self.company.with_user(self.owner).danger_zone_backup_recipient = key
        backup = self.daily_backup()
        with self.mock_mail_gateway():
            self.env["danger.zone.backup"]._cron_trial_restore()
        self.assertEqual(backup.trial_state, "skipped")
        self.assertIn("identity file", backup.trial_error)
        self.assertFalse(self._new_mails, "nothing wrong to tell")
