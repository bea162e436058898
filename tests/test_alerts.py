"""The owner is told when something goes wrong: an email through the mail queue and an activity on
the company's contact, checked with Odoo's mail test helpers."""

from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MailCase

from .backup_case import BackupCase


class AlertCase(BackupCase, MailCase):
    def assertAlerted(self, subject, content, user=None):
        """One email to ``user`` (the owner) with ``subject`` and ``content``, sent by the mail
        queue, and one open activity of theirs on the company's contact; nobody else told."""
        user = user or self.owner
        self.assertEqual(self._new_mails.recipient_ids, user.partner_id, "the owner alone")
        mail = self.assertMailMail(
            user.partner_id, "outgoing", content=content, fields_values={"subject": subject}
        )
        with self.mock_mail_gateway():
            self.env["mail.mail"].sudo().process_email_queue(ids=mail.ids)
        self.assertSentEmail(mail.email_from, [user.partner_id], subject=subject)
        activity = self.company.partner_id.activity_ids.filtered(lambda activity: activity.summary == subject)
        self.assertEqual(activity.user_id, user)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_warning"))
        return activity


@tagged("post_install", "-at_install")
class TestAlerts(AlertCase):
    def test_a_failed_backup_is_told_to_the_owner_once_per_open_activity(self):
        line = self.env["account.move.line"].search([("company_id", "=", self.company.id)], limit=1)
        self.env.cr.execute("UPDATE account_move_line SET discount = 'NaN' WHERE id = %s", [line.id])
        with self.mock_mail_gateway():
            self.assertEqual(self._build_backup().state, "failed")
        subject = f"Danger Zone: the backup of {self.company.name} failed"
        activity = self.assertAlerted(subject, "holds a number that is NaN")
        with self.mock_mail_gateway():
            self._build_backup()
        self.assertEqual(len(self._new_mails), 1, "each failure is mailed")
        self.assertEqual(self.company.partner_id.activity_ids, activity, "one activity while it is open")

    def test_no_daily_backup_for_the_days_the_owner_set(self):
        """Daily backups on since day 0, the first done, the next ones failing: with 2 days set,
        the owner is told on day 3, not before; 0 days means never."""
        with self.assertRaises(AccessError):
            self.company.with_user(self.admin).danger_zone_alert_days = 5
        with self.assertRaisesRegex(UserError, "zero"):
            self.company.with_user(self.owner).danger_zone_alert_days = -1
        self.company.with_user(self.owner).write(
            {"danger_zone_daily_backup": True, "danger_zone_alert_days": 2}
        )
        Backups = self.env["danger.zone.backup"].sudo()
        start = datetime(2026, 3, 2, 2, 0)
        subject = f"Danger Zone: no daily backup of {self.company.name} for 2 days"
        for day, state in enumerate(("done", "failed", "failed", "failed")):
            now = start + timedelta(days=day)
            with self.mock_datetime_and_now(now), self.mock_mail_gateway():  # create_date too
                Backups._cron_daily()
                queued = Backups.search([("company_id", "=", self.company.id), ("state", "=", "queued")])
                queued.write({"state": state, "finished_at": now})
            if day < 3:
                self.assertFalse(self._new_mails, f"day {day}: the last success is recent enough")
            else:
                self.assertAlerted(subject, "No daily backup")
        self.company.with_user(self.owner).danger_zone_alert_days = 0
        with self.mock_datetime_and_now(start + timedelta(days=4)), self.mock_mail_gateway():
            Backups._cron_daily()
            self.assertFalse(self._new_mails)
