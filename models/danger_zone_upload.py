import tempfile
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services import age_passphrase
from ..services.stored_files import attach, check_size, open_attachment, store_stream

LIMIT_PARAMETER = "danger_zone.upload_limit_mb"
DEFAULT_LIMIT_MB = 10240
KEPT_FOR = timedelta(hours=24)
ENVELOPE_BYTES = 64 * 1024  # what a multipart body holds besides the file


class DangerZoneUpload(models.Model):
    """A backup file the company's owner uploaded to restore it, waiting for its restore.

    The upload route writes the file into the filestore a chunk at a time and keeps it here as
    an attachment only the owner reads (deleted with the upload, as Odoo deletes a record's
    attachments). A restore requested from it takes the file over; an upload nobody restored
    is deleted after 24 hours."""

    _name = "danger.zone.upload"
    _description = "Danger Zone: backup file uploaded for a restore"
    _order = "create_date desc, id desc"
    _rec_name = "file_name"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    attachment_id = fields.Many2one("ir.attachment", string="File", readonly=True, ondelete="set null")
    file_name = fields.Char(readonly=True)
    file_size = fields.Integer(related="attachment_id.file_size")
    encrypted = fields.Boolean(
        readonly=True, help="An age file: decrypted with its passphrase before it can be restored."
    )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_danger_zone_path()
        return super().create(vals_list)

    def write(self, vals):
        self._check_danger_zone_path()
        return super().write(vals)

    def unlink(self):
        self._check_danger_zone_path()
        return super().unlink()

    def _check_danger_zone_path(self):
        """Like jobs, uploads are made by the Danger Zone's own methods only: a restore reads
        the upload's file in superuser mode, so nobody may point an upload at another file."""
        self.env["danger.zone.job"]._check_danger_zone_path()

    @api.model
    def _upload_limit(self):
        """The largest file the upload route takes, in bytes (system parameter, in MB)."""
        value = self.env["ir.config_parameter"].sudo().get_param(LIMIT_PARAMETER, DEFAULT_LIMIT_MB)
        try:
            return int(float(value) * 1024 * 1024)
        except ValueError:
            return DEFAULT_LIMIT_MB * 1024 * 1024

    @api.model
    def _check_announced(self, company, length):
        """Before the body is read: refuse a non-owner, or ``length`` bytes above the upload
        limit or the free space (``FileTooLarge``), naming it. Return the limit in bytes."""
        company.with_env(self.env)._danger_zone_check_owner()
        limit = self._upload_limit()
        check_size(self.env, length or 0, limit, self._limit_name(), allowance=ENVELOPE_BYTES)
        return limit

    @api.model
    def _receive(self, company, stream, file_name):
        """Copy ``stream`` into the filestore, up to the upload limit, and keep it as an upload
        of ``company``, whose owner the current user must be."""
        company.with_env(self.env)._danger_zone_check_owner()
        stored = store_stream(self.env, stream, self._upload_limit(), self._limit_name())
        upload = self.sudo().create({"company_id": company.id, "file_name": file_name or "backup"})
        values = {"name": upload.file_name, "res_model": self._name, "res_id": upload.id}
        upload.attachment_id = attach(self.env, values, stored)
        with open_attachment(upload.attachment_id) as file:
            upload.encrypted = file.read(len(age_passphrase.VERSION_LINE)) == age_passphrase.VERSION_LINE
        return upload

    def _decrypt(self, passphrase):
        """Replace the uploaded age file with its content decrypted with ``passphrase``, a
        chunk at a time, within the upload limit. A wrong passphrase, or a file altered or cut
        short, is refused with the reason and changes nothing."""
        self.ensure_one()
        self.check_access("read")  # the owner's own upload, for a company of theirs
        self.company_id._danger_zone_check_owner()
        if not self.encrypted:
            raise UserError(self.env._("%s is not encrypted.", self.file_name))
        if not passphrase:
            raise UserError(self.env._("Type the backup's passphrase."))
        with tempfile.TemporaryFile() as plain:
            with open_attachment(self.attachment_id) as encrypted:
                try:
                    age_passphrase.decrypt(encrypted, plain, passphrase)
                except age_passphrase.AgeFormatError as error:
                    raise UserError(
                        self.env._("The backup cannot be decrypted: %(reason)s.", reason=error)
                    ) from None
            plain.seek(0)
            stored = store_stream(self.env, plain, self._upload_limit(), self._limit_name())
        upload = self.sudo()
        name = upload.file_name.removesuffix(".age")
        encrypted_file = upload.attachment_id
        attachment = attach(self.env, {"name": name, "res_model": self._name, "res_id": upload.id}, stored)
        upload.write({"file_name": name, "encrypted": False, "attachment_id": attachment.id})
        encrypted_file.unlink()
        return self

    @api.model
    def _limit_name(self):
        return self.env._("system parameter %s", LIMIT_PARAMETER)

    @api.model
    def _taken_by_restore(self, attachment):
        """A restore took over ``attachment``'s file: its upload, if it is one, is done."""
        if attachment.res_model == self._name:
            self.sudo().browse(attachment.res_id).exists().unlink()

    @api.autovacuum
    def _gc_uploads_not_restored(self):
        self.sudo().search([("create_date", "<", fields.Datetime.now() - KEPT_FOR)]).unlink()
