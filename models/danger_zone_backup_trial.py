import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import BackupFormatError
from ..services.restore.source import BackupSource

_logger = logging.getLogger(__name__)

TRIAL_STATES = [("restorable", "Restorable"), ("failed", "Not restorable"), ("skipped", "Not checked")]


class DangerZoneBackup(models.Model):
    """Trial restores: every night, the newest daily backup of each company goes through the
    restore's full pre-flight check, as its owner, into its own company, in replace mode: every
    record checked, the purge counted, all in a savepoint rolled back. The backup records the
    outcome; a failure is told to the owner."""

    _inherit = "danger.zone.backup"

    trial_state = fields.Selection(TRIAL_STATES, string="Trial Restore", readonly=True)
    trial_checked_at = fields.Datetime("Trial Restore On", readonly=True)
    trial_error = fields.Text("Trial Restore Problems", readonly=True)

    @api.model
    def _cron_trial_restore(self):
        """Check the newest daily backup of each company, unless it has been checked."""
        daily = self.sudo().search(
            [("trigger", "=", "daily"), ("state", "=", "done"), ("attachment_id", "!=", False)],
            order="finished_at desc, id desc",
        )
        for backup in daily.grouped("company_id").values():
            if not backup[0].trial_checked_at:
                backup[0]._trial_restore()

    def _trial_restore(self):
        self.ensure_one()
        values = {"trial_checked_at": fields.Datetime.now(), "trial_error": False}
        if self.encrypted_to:
            values.update(
                trial_state="skipped",
                trial_error=self.env._(
                    "Encrypted to your age public key: only your identity file opens it, and the "
                    "server does not hold it. Check it with the command line's restore --dry-run "
                    "--identity."
                ),
            )
        else:
            values.update(self._trial_outcome())
        self.write(values)
        if self.trial_state == "failed":
            self.company_id._danger_zone_alert(
                self.env._(
                    "Danger Zone: the trial restore of a backup of %(company)s failed",
                    company=self.company_id.name,
                ),
                self.trial_error,
            )

    def _trial_outcome(self):
        """The pre-flight report of restoring this backup into its company, as its owner."""
        owner = self.company_id.danger_zone_owner_id
        source = BackupSource(attachment=self.attachment_id)
        try:
            report = self.env["danger.zone.restore"].with_user(owner)._preflight(self.company_id, source)
        except (UserError, BackupFormatError) as error:
            return {"trial_state": "failed", "trial_error": str(error)}
        except Exception as error:  # noqa: BLE001 - whatever stops the check is the answer
            _logger.warning("Danger Zone: trial restore of backup %s failed", self.id, exc_info=True)
            return {"trial_state": "failed", "trial_error": repr(error)}
        if not report["ok"]:
            return {"trial_state": "failed", "trial_error": "\n".join(report["errors"])}
        return {"trial_state": "restorable"}
