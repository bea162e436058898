from odoo import api, fields, models

from ..services.reports import format_counts


class DangerZoneDeleteWizard(models.TransientModel):
    """Read what would go, type the company's name and your password, delete the company."""

    _name = "danger.zone.delete.wizard"
    _description = "Danger Zone: delete a company"

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    company_name = fields.Char(related="company_id.name", string="Name")
    can_delete = fields.Boolean(readonly=True)
    blockers = fields.Text("Why It Cannot Be Deleted", readonly=True)
    preview = fields.Text("What Will Be Deleted", readonly=True)
    users_preview = fields.Text("Users", readonly=True)
    confirm_name = fields.Char("Type Its Name", help="Type the company's name exactly as shown.")
    password = fields.Char(help="Your own password, to confirm that it is really you.")

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            wizard.company_id._danger_zone_check_owner()
            wizard.write(wizard._preview_values())
        return wizards

    def _preview_values(self):
        preview = self.company_id._danger_zone_delete_preview()
        users = []
        if preview["moved"]:
            users.append(self.env._("Move to another of their companies: %s", ", ".join(preview["moved"])))
        if preview["archived"]:
            users.append(self.env._("Archived (no other company): %s", ", ".join(preview["archived"])))
        return {
            "can_delete": preview["ok"],
            "blockers": "\n".join(preview["blockers"]),
            "preview": format_counts(preview["counts"]),
            "users_preview": "\n".join(users) or self.env._("No other user has access to the company."),
        }

    def action_delete(self):
        """Queue the deletion; the password is not kept."""
        self.ensure_one()
        password, self.password = self.password, False
        self.company_id.danger_zone_delete(self.confirm_name, password)
        return {"type": "ir.actions.client", "tag": "soft_reload"}
