from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services.reports import format_restore_report
from ..services.restore.source import BackupSource


class DangerZoneRestoreWizard(models.TransientModel):
    """Upload a backup, read the pre-flight check, type RESTORE, start the restore.

    The file goes up through the upload route (the ``danger_zone_upload`` widget), never in
    the wizard's own requests: the wizard names the upload."""

    _name = "danger.zone.restore.wizard"
    _description = "Danger Zone: restore a backup"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    upload_id = fields.Many2one(
        "danger.zone.upload",
        string="Backup File",
        ondelete="set null",  # a restore takes the upload over: the wizard's work is done
        domain="[('company_id', '=', company_id)]",
    )
    upload_limit_mb = fields.Float(
        readonly=True, default=lambda self: self.env["danger.zone.upload"]._upload_limit() / (1 << 20)
    )
    mode = fields.Selection(
        [
            ("replace", "Replace the company's business data"),
            ("merge", "Add to the company's business data (merge)"),
        ],
        required=True,
        default="replace",
    )
    skip_invalid = fields.Boolean(
        "Skip Invalid Records",
        help="Leave out the records that cannot be restored, and list them in the report.",
    )
    checked = fields.Boolean(readonly=True)
    check_token = fields.Char(readonly=True)  # see danger.zone.restore._check_token
    check_ok = fields.Boolean(readonly=True)
    check_report = fields.Text("Pre-flight Check", readonly=True)
    confirm = fields.Char("Type RESTORE to confirm")

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        wizards.company_id._danger_zone_check_owner()
        return wizards

    @api.onchange("upload_id", "mode", "skip_invalid")
    def _onchange_file(self):
        self.checked = self.check_ok = False
        self.check_report = self.check_token = False

    def action_check(self):
        """Run the pre-flight check and show its report in the wizard."""
        self.ensure_one()
        Restore = self.env["danger.zone.restore"]
        source = self._source()
        try:
            report = Restore._preflight(self.company_id, source, self.mode, self.skip_invalid)
            text = format_restore_report(report)
            ok = report["ok"]
        except UserError as error:
            text, ok = str(error), False
        verdict = self.env._("The restore can run.") if ok else self.env._("The restore would be refused.")
        token = ok and Restore._check_token(self.company_id, source, self.mode, self.skip_invalid)
        self.write(
            {"checked": True, "check_ok": ok, "check_report": f"{verdict}\n\n{text}", "check_token": token}
        )
        return self._reopen()

    def action_restore(self):
        """Start the restore; the Danger Zone page shows its progress and report."""
        self.ensure_one()
        source = self._source()
        self.env["danger.zone.restore"]._request(
            self.company_id,
            source,
            mode=self.mode,
            skip_invalid=self.skip_invalid,
            check_token=self.check_token,  # the records were checked by action_check
            confirm=self.confirm,
        )
        self.env["danger.zone.upload"]._taken_by_restore(source.attachment)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def _source(self):
        upload = self.upload_id
        upload.check_access("read")  # the owner's own upload, for a company of theirs
        attachment = upload.attachment_id
        own_file = attachment.res_model == upload._name and attachment.res_id == upload.id
        if upload.company_id != self.company_id or not own_file:
            raise UserError(self.env._("Upload the backup file again: this upload is gone."))
        return BackupSource(attachment=attachment, name=upload.file_name)

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Restore Data"),
        }
