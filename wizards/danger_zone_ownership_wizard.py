from odoo import api, fields, models


class DangerZoneOwnershipWizard(models.TransientModel):
    _name = "danger.zone.ownership.wizard"
    _description = "Danger Zone: transfer company ownership"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    current_owner_id = fields.Many2one(related="company_id.danger_zone_owner_id")
    new_owner_id = fields.Many2one(
        "res.users",
        required=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id), ('id', '!=', current_owner_id)]",
    )
    password = fields.Char(help="Your own password, to confirm that it is really you.")

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        wizards.company_id._danger_zone_check_owner()
        return wizards

    def action_transfer(self):
        """Transfer the company to the new owner; the password is not kept."""
        self.ensure_one()
        password, self.password = self.password, False
        self.company_id.danger_zone_transfer_ownership(self.new_owner_id.id, password)
        return {"type": "ir.actions.act_window_close"}
