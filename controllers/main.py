import json
import logging

import werkzeug.exceptions
import werkzeug.wsgi

from odoo import http
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.http import content_disposition, request
from odoo.tools import html_escape

from ..models.danger_zone_upload import ENVELOPE_BYTES
from ..services.stored_files import FileTooLarge

_logger = logging.getLogger(__name__)

# What keeps a backup file that the download route sends: backups, and deletions' final backups.
DOWNLOADABLE_MODELS = ("danger.zone.backup", "danger.zone.deletion")


def _body_limit(controller):
    """The route's ``max_content_length``, which Odoo asks before it reads the body: refuse
    here, with the reason, a non-owner or a body above the upload limit, so that not a byte of
    it is read; otherwise the upload limit, which werkzeug then enforces while reading."""
    company_id = request.httprequest.args.get("company_id", "")
    try:
        company = DangerZoneController._company(company_id)
        limit = request.env["danger.zone.upload"]._check_announced(
            company, request.httprequest.content_length
        )
    except (UserError, AccessError, AccessDenied) as error:
        werkzeug.exceptions.abort(_refusal(error))
    return limit + ENVELOPE_BYTES


def _upload_answer(upload):
    return request.make_json_response(
        {
            "upload_id": upload.id,
            "attachment_id": upload.attachment_id.id,
            "name": upload.file_name,
            "size": upload.file_size,
            "encrypted": upload.encrypted,
        }
    )


def _refusal(error):
    status = (
        403
        if isinstance(error, AccessError | AccessDenied)
        else 413
        if isinstance(error, FileTooLarge)
        else 400
    )
    _logger.info("Danger Zone: upload refused: %s", error)
    return request.make_json_response({"error": str(error)}, status=status)


class DangerZoneController(http.Controller):
    """The upload of a backup file to restore, as Odoo's own uploads come (multipart, the file
    in ``ufile``): werkzeug spools it to a temporary file, and ``danger.zone.upload`` copies it
    into the filestore a chunk at a time; it is never held whole in memory (docs/design.md).

    Two doors to the same room: the web client's, with its session and CSRF token, and the
    scripts', with an API key (``Authorization: Bearer``), which no browser sends by itself.
    Both lift Odoo's 128 MiB limit on request bodies for the upload limit, the system
    parameter ``danger_zone.upload_limit_mb``, checked before the body is read.

    ``company_id`` goes in the query string (it is needed before the body is read); the answer
    is JSON: ``attachment_id`` (for ``danger_zone_restore_attachment``), ``upload_id``, ``name``,
    ``size`` and ``encrypted`` (an age file, for ``/danger_zone/restore/decrypt`` with its
    passphrase), or ``error`` with the status 400, 403 or 413."""

    @http.route(
        "/danger_zone/restore/upload",
        type="http",
        auth="user",
        methods=["POST"],
        csrf=True,
        max_content_length=_body_limit,
    )
    def danger_zone_upload(self, ufile, **kwargs):
        return self._upload(ufile)

    @http.route(
        "/danger_zone/api/restore/upload",
        type="http",
        auth="bearer",
        methods=["POST"],
        csrf=False,
        save_session=False,
        max_content_length=_body_limit,
    )
    def danger_zone_upload_api(self, ufile, **kwargs):
        return self._upload(ufile)

    def _upload(self, ufile):
        try:
            company = self._company(request.httprequest.args.get("company_id", ""))
            upload = request.env["danger.zone.upload"]._receive(company, ufile.stream, ufile.filename)
        except (UserError, AccessError, AccessDenied) as error:
            return _refusal(error)
        return _upload_answer(upload)

    @http.route("/danger_zone/restore/decrypt", type="http", auth="user", methods=["POST"], csrf=True)
    def danger_zone_decrypt(self, upload_id, passphrase="", **kwargs):
        """Decrypt an uploaded age file with its passphrase, which goes no further than this
        request. Answers as the upload route does; a wrong passphrase changes nothing."""
        try:
            upload = self._upload_record(upload_id)._decrypt(passphrase)
        except (UserError, AccessError, AccessDenied) as error:
            return _refusal(error)
        return _upload_answer(upload)

    @http.route("/danger_zone/backup/download", type="http", auth="user", methods=["POST"], csrf=True)
    def danger_zone_download(self, model, record_id, passphrase="", passphrase_again="", **kwargs):
        """The backup file of the record (``model``: a backup or a deletion) as it is, or
        encrypted with the passphrase typed twice (age format). Errors come back as Odoo's own
        downloads send them, for the web client to show."""
        try:
            if model not in DOWNLOADABLE_MODELS:
                raise UserError(request.env._("There is no backup file on %s.", model))
            record = request.env[model].browse(_integer(record_id))
            file, name, size = record._download_file(
                passphrase, passphrase_again, request.httprequest.remote_addr
            )
        except (UserError, AccessError, AccessDenied) as error:
            payload = {"code": 200, "message": "Odoo Server Error", "data": http.serialize_exception(error)}
            return request.make_response(html_escape(json.dumps(payload)))
        response = request.make_response(
            werkzeug.wsgi.wrap_file(request.httprequest.environ, file),
            headers=[
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", str(size)),
                ("Content-Disposition", content_disposition(name)),
                ("Cache-Control", "no-store"),
            ],
        )
        response.direct_passthrough = True
        return response

    @staticmethod
    def _upload_record(upload_id):
        upload = request.env["danger.zone.upload"].browse(_integer(upload_id)).exists()
        if not upload:
            raise UserError(request.env._("Upload the backup file again: this upload is gone."))
        return upload

    @staticmethod
    def _company(company_id):
        try:
            company = request.env["res.company"].browse(int(company_id)).exists()
        except ValueError:
            company = None
        if not company:
            raise UserError(request.env._("There is no company %s.", company_id))
        return company


def _integer(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError(request.env._("%s is not a record id.", value)) from None
