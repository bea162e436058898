import werkzeug.exceptions

from odoo import models
from odoo.exceptions import UserError
from odoo.http import Response, request

from odoo.addons.base.controllers.rpc import xmlrpc_handle_exception_int

from ..services.stored_files import human_size


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

    @classmethod
    def _pre_dispatch(cls, rule, args):
        """An XML-RPC call above Odoo's upload limit (a backup sent as base64, say) would fail
        with werkzeug's bare "413 Request Entity Too Large" while reading the body: answer an
        XML-RPC fault instead, naming the limit and the way to restore a larger file."""
        result = super()._pre_dispatch(rule, args)
        httprequest = request.httprequest
        limit, length = httprequest.max_content_length, httprequest.content_length
        if limit and length and length > limit and httprequest.path.startswith("/xmlrpc/"):
            error = UserError(
                request.env._(
                    "The request is %(size)s, above Odoo's upload limit of %(limit)s (system parameter "
                    "web.max_file_upload_size). To restore a larger backup, upload it to "
                    "/danger_zone/api/restore/upload and call danger_zone_restore_attachment.",
                    size=human_size(length),
                    limit=human_size(limit),
                )
            )
            response = Response(response=xmlrpc_handle_exception_int(error), mimetype="text/xml")
            werkzeug.exceptions.abort(response)
        return result
