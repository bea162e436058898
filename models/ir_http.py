from odoo import models


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    def session_info(self):
        """Tell the web client which companies the user owns, to show Settings > Danger Zone
        only while one of them is the current company (menus are loaded once per user)."""
        info = super().session_info()
        if self.env.user._is_internal():
            owned = self.env["res.company"].sudo().search([("danger_zone_owner_id", "=", self.env.uid)])
            info["danger_zone_owned_company_ids"] = owned.ids
        return info
