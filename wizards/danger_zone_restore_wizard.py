import base64

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services.reports import format_restore_report


class DangerZoneRestoreWizard(models.TransientModel):
    """Upload a backup, read the pre-flight check, type RESTORE, start the restore."""

    _name = "danger.zone.restore.wizard"
    _description = "Danger Zone: restore a backup"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    backup_file = fields.Binary(required=True, attachment=False)
    file_name = fields.Char()
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

    @api.onchange("backup_file", "mode", "skip_invalid")
    def _onchange_file(self):
        self.checked = self.check_ok = False
        self.check_report = self.check_token = False

    def action_check(self):
        """Run the pre-flight check and show its report in the wizard."""
        self.ensure_one()
        Restore = self.env["danger.zone.restore"]
        content = base64.b64decode(self.backup_file)
        try:
            report = Restore._preflight(self.company_id, content, self.mode, self.skip_invalid)
            text = format_restore_report(report)
            ok = report["ok"]
        except UserError as error:
            text, ok = str(error), False
        verdict = self.env._("The restore can run.") if ok else self.env._("The restore would be refused.")
        token = ok and Restore._check_token(self.company_id, content, self.mode, self.skip_invalid)
        self.write(
            {"checked": True, "check_ok": ok, "check_report": f"{verdict}\n\n{text}", "check_token": token}
        )
        return self._reopen()

    def action_restore(self):
        """Start the restore; the Danger Zone page shows its progress and report."""
        self.ensure_one()
        self.env["danger.zone.restore"]._request(
            self.company_id,
            base64.b64decode(self.backup_file),
            file_name=self.file_name or "backup",
            mode=self.mode,
            skip_invalid=self.skip_invalid,
            check_token=self.check_token,  # the records were checked by action_check
            confirm=self.confirm,
        )
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Restore Data"),
        }
