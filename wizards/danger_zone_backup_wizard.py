from odoo import api, fields, models


class DangerZoneBackupWizard(models.TransientModel):
    _name = "danger.zone.backup.wizard"
    _description = "Danger Zone: create a backup"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    file_format = fields.Selection(
        [("zip", "ZIP of JSON Lines (recommended)"), ("json", "Single JSON document")],
        required=True,
        default="zip",
    )
    with_attachments = fields.Boolean(
        help="Also carry the files attached to the records (invoices' PDFs, chatter attachments)."
    )

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        wizards.company_id._danger_zone_check_owner()
        return wizards

    def action_backup(self):
        """Queue the backup; the Danger Zone page shows its progress."""
        self.ensure_one()
        self.company_id.danger_zone_backup(self.file_format, self.with_attachments)
        return {"type": "ir.actions.client", "tag": "soft_reload"}
