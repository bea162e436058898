import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services import remote_copy, retention
from ..services.stored_files import open_attachment

_logger = logging.getLogger(__name__)

COPY_STATES = [("copied", "Copied"), ("failed", "Failed"), ("removed", "Removed")]


class DangerZoneBackupCopy(models.Model):
    """A backup's file copied to a remote storage of the OCA's ``fs_storage`` (SFTP, S3, a local
    path...), read back and compared by SHA-256. Written by the backup job and the expiry in
    superuser mode; the company's owner reads them, nobody changes them."""

    _name = "danger.zone.backup.copy"
    _inherit = "danger.zone.audit.record"
    _description = "Danger Zone: copy of a backup on a remote storage"
    _order = "create_date desc, id desc"

    backup_id = fields.Many2one(
        "danger.zone.backup", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="backup_id.company_id", store=True, index=True)
    storage_code = fields.Char("Storage", readonly=True, help="The code of the fs_storage it was sent to.")
    path = fields.Char(readonly=True, help="Where the file is on the storage.")
    state = fields.Selection(COPY_STATES, required=True, readonly=True)
    file_size = fields.Integer("Size (bytes)", readonly=True)
    checksum = fields.Char("SHA-256", readonly=True, help="Of the copy as it was read back.")
    error = fields.Text(readonly=True)
    copied_at = fields.Datetime(readonly=True)
    expires_at = fields.Datetime(
        readonly=True, help="The copy is deleted from the storage after this moment."
    )

    @api.model
    def _send(self, backup):
        """Copy the file of ``backup`` to its company's storage, if the owner set one; return
        the copy, copied or failed with the reason: a copy that fails leaves the backup done."""
        code = backup.company_id.sudo().danger_zone_backup_storage
        if not code or not backup.attachment_id:
            return self.browse()
        values = {"backup_id": backup.id, "storage_code": code, "path": self._path(backup)}
        days = backup.company_id.sudo().danger_zone_backup_retention_days  # until the next expiry
        try:
            with open_attachment(backup.attachment_id) as source:
                size = remote_copy.send(self._filesystem(code), source, values["path"], backup.checksum)
            values.update(
                state="copied",
                file_size=size,
                checksum=backup.checksum,
                copied_at=fields.Datetime.now(),
                expires_at=fields.Datetime.now() + timedelta(days=days),
            )
        except Exception as error:  # noqa: BLE001 - whatever the storage raises fails the copy, visibly
            reason = str(error) if isinstance(error, UserError | remote_copy.CopyMismatch) else repr(error)
            _logger.warning("Danger Zone: copy of backup %s to %s failed: %s", backup.id, code, reason)
            values.update(state="failed", error=reason)
            backup.company_id._danger_zone_alert(
                self.env._(
                    "Danger Zone: the copy of a backup of %(company)s to %(storage)s failed",
                    company=backup.company_id.name,
                    storage=code,
                ),
                reason,
            )
        return self.sudo().create(values)

    def _path(self, backup):
        """The file's path on the storage: one folder per database, whose companies' ids differ."""
        return f"{self.env.cr.dbname}/{backup.file_name}"

    @api.model
    def _filesystem(self, code):
        if "fs.storage" not in self.env:
            raise UserError(self.env._("Remote copies need the module fs_storage, which is not installed."))
        storage = self.env["fs.storage"].sudo().get_by_code(code)
        if not storage:
            raise UserError(self.env._("The storage %(code)s does not exist any more.", code=code))
        return storage.fs

    # ------------------------------------------------------------------
    # Retention: the copies are kept as the daily backups are
    # ------------------------------------------------------------------
    @api.model
    def _apply_retention(self):
        """Each company's copies are kept by the owner's retention (the last days, and the newest
        of each of the last weeks and months, services/retention.py), computed over the copies
        themselves: a copy outlives its backup's file, which is the point of having one. Copies
        past their end are deleted from the storage; one that cannot be stays listed, to be
        deleted by the next expiry."""
        copies = self.sudo().search([("state", "=", "copied")])
        retention.set_expiry(copies, "copied_at")
        copies.filtered(lambda copy: copy.expires_at < fields.Datetime.now())._remove()

    def _remove(self):
        for copy in self:
            try:
                remote_copy.remove(self._filesystem(copy.storage_code), copy.path)
            except Exception as error:  # noqa: BLE001 - one storage down must not stop the others
                _logger.warning(
                    "Danger Zone: copy %s not deleted from %s: %r", copy.id, copy.storage_code, error
                )
                copy.error = self.env._("Not deleted from the storage yet: %(error)r", error=error)
                continue
            copy.write({"state": "removed", "error": False})
