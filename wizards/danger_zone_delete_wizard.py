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
    final_backup = fields.Boolean(
        "Take a Final Backup",
        default=True,
        help="Back the company up just before deleting it. The file is kept for you for 24 hours "
        "after the company is gone, and copied to your remote storage if you set one. Unticking "
        "it is recorded on the deletion.",
    )
    final_backup_warning = fields.Text(readonly=True)

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
            "final_backup_warning": self._final_backup_warning(preview),
        }

    def _final_backup_warning(self, preview):
        """An owner left with no company is archived with it: the final backup's download is
        then out of their reach, only its remote copy is not."""
        if self.env.user.login not in preview["archived"]:
            return False
        storage = self.company_id.sudo().danger_zone_backup_storage
        return self.env._(
            "You have no other company: your account is archived with this one, so you cannot "
            "download the final backup afterwards. %(where)s",
            where=self.env._("It is copied to your remote storage %(code)s.", code=storage)
            if storage
            else self.env._("Download a backup now if you may need the data again."),
        )

    def action_delete(self):
        """Queue the deletion; the password is not kept."""
        self.ensure_one()
        password, self.password = self.password, False
        self.company_id.danger_zone_delete(self.confirm_name, password, final_backup=self.final_backup)
        return {"type": "ir.actions.client", "tag": "soft_reload"}
