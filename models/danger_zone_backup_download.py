from odoo import fields, models


class DangerZoneBackupDownload(models.Model):
    """One download of a backup's file: who, when, from where, and the SHA-256 of the bytes
    sent (the stored file's, or those of its encryption with a passphrase). Written by the
    download route in superuser mode; the company's owner reads them, nobody changes them."""

    _name = "danger.zone.backup.download"
    _inherit = "danger.zone.audit.record"
    _description = "Danger Zone: download of a backup"
    _order = "create_date desc, id desc"

    backup_id = fields.Many2one(
        "danger.zone.backup", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="backup_id.company_id", store=True, index=True)
    user_id = fields.Many2one("res.users", string="Downloaded By", required=True, readonly=True)
    remote_address = fields.Char(readonly=True)
    file_name = fields.Char(readonly=True)
    checksum = fields.Char("SHA-256", readonly=True, help="Of the file as it was sent.")
    encrypted = fields.Boolean("Passphrase", readonly=True, help="Encrypted with a passphrase when sent.")
