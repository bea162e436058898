import hashlib
import tempfile

from odoo import fields, models
from odoo.exceptions import UserError

from ..services import age_passphrase
from ..services.stored_files import open_attachment


class DangerZoneDownloadable(models.AbstractModel):
    """A backup file kept by a Danger Zone record (a backup, the final backup of a deletion):
    downloaded by its reader as it is, or encrypted with a passphrase typed twice, each download
    recorded (``danger.zone.backup.download``)."""

    _name = "danger.zone.downloadable"
    _description = "Danger Zone: downloadable backup file"

    file_name = fields.Char(readonly=True)
    file_size = fields.Integer("Size (bytes)", readonly=True)
    checksum = fields.Char("SHA-256", readonly=True)
    expires_at = fields.Datetime(readonly=True, help="The file is deleted after this moment.")
    encrypted_to = fields.Char(
        readonly=True, help="The age public key the file is encrypted to: its identity file opens it."
    )

    def action_download(self):
        """Open the download dialog: the file as it is, or encrypted with a passphrase typed
        twice (the ``danger_zone_download`` client action posts it to the download route)."""
        self._check_downloadable()
        return {
            "type": "ir.actions.client",
            "tag": "danger_zone_download",
            "name": self.env._("Download the Backup"),
            "target": "new",
            "params": {
                "model": self._name,
                "record_id": self.id,
                "file_name": self.file_name,
                "encrypted_to": self.encrypted_to or "",
            },
        }

    def _check_downloadable(self):
        """Raise unless the caller may download the file now, with the reason."""
        raise NotImplementedError

    def _download_link(self):
        """The values that link a download record to this one."""
        raise NotImplementedError

    def _download_file(self, passphrase="", passphrase_again="", remote_address=None):
        """(binary file object, name, size) of the file to send: as it is, or, with a
        passphrase, encrypted in the age format into an anonymous temporary file. The
        passphrase goes no further than this request: nothing keeps it. The download is
        recorded (``download_ids``)."""
        self._check_downloadable()
        if passphrase != passphrase_again:
            raise UserError(self.env._("The two passphrases differ: type the same one twice."))
        if passphrase and self.encrypted_to:
            raise UserError(
                self.env._("This backup is encrypted to your public key already: download it as it is.")
            )
        stored = open_attachment(self.attachment_id)
        if not passphrase:
            self._record_download(self.file_name, self.checksum, remote_address)
            return stored, self.file_name, self.attachment_id.sudo().file_size
        encrypted = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
        hashing = _HashingWriter(encrypted)
        with stored:
            age_passphrase.encrypt(stored, hashing, passphrase)
        self._record_download(f"{self.file_name}.age", hashing.hexdigest(), remote_address, True)
        size = encrypted.tell()
        encrypted.seek(0)
        return encrypted, f"{self.file_name}.age", size

    def _record_download(self, file_name, checksum, remote_address, encrypted=False):
        self.env["danger.zone.backup.download"].sudo().create(
            {
                **self._download_link(),
                "user_id": self.env.uid,
                "remote_address": remote_address,
                "file_name": file_name,
                "checksum": checksum,
                "encrypted": encrypted,
            }
        )


class _HashingWriter:
    """A binary file's ``write`` that also hashes what goes through it (SHA-256)."""

    def __init__(self, file):
        self.file, self.digest = file, hashlib.sha256()

    def write(self, data):  # pylint: disable=method-required-super
        self.digest.update(data)
        return self.file.write(data)

    def hexdigest(self):
        return self.digest.hexdigest()


class DangerZoneBackupDownload(models.Model):
    """One download of a backup's file, or of a deletion's final backup: who, when, from where,
    and the SHA-256 of the bytes sent (the stored file's, or those of its encryption with a
    passphrase). Written by the download route in superuser mode; the company's owner (the
    deletion's requester) reads them, nobody changes them."""

    _name = "danger.zone.backup.download"
    _inherit = "danger.zone.audit.record"
    _description = "Danger Zone: download of a backup"
    _order = "create_date desc, id desc"
    _sql_constraints = [
        (
            "backup_or_deletion",
            "CHECK ((backup_id IS NULL) != (deletion_id IS NULL))",
            "A download is of a backup or of a deletion's final backup.",
        )
    ]

    backup_id = fields.Many2one("danger.zone.backup", readonly=True, index=True, ondelete="cascade")
    deletion_id = fields.Many2one(
        "danger.zone.deletion",
        readonly=True,
        index="btree_not_null",
        ondelete="cascade",
        help="The deletion whose final backup was downloaded.",
    )
    company_id = fields.Many2one(related="backup_id.company_id", store=True, index=True)
    user_id = fields.Many2one("res.users", string="Downloaded By", required=True, readonly=True)
    remote_address = fields.Char(readonly=True)
    file_name = fields.Char(readonly=True)
    checksum = fields.Char("SHA-256", readonly=True, help="Of the file as it was sent.")
    encrypted = fields.Boolean("Passphrase", readonly=True, help="Encrypted with a passphrase when sent.")
