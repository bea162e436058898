import base64
import binascii
import hashlib
import hmac
import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import open_backup
from ..services.reports import format_restore_report
from ..services.restore import RestorePipeline, format_errors
from ..services.restore.source import BackupSource
from ..services.stored_files import attach, attach_copy, open_attachment, store_stream

_logger = logging.getLogger(__name__)

CONFIRMATION = "RESTORE"
MODES = ("replace", "merge")


class DangerZoneRestore(models.Model):
    _name = "danger.zone.restore"
    _inherit = "danger.zone.job"
    _description = "Danger Zone: restore of a company's business data"

    name = fields.Char(compute="_compute_name")
    trigger = fields.Selection(
        [("manual", "Manual"), ("cli", "Command line")], required=True, default="manual", readonly=True
    )
    mode = fields.Selection(
        [("replace", "Replace"), ("merge", "Add only (merge)")],
        required=True,
        default="replace",
        readonly=True,
    )
    skip_invalid = fields.Boolean(readonly=True, help="Leave out invalid records instead of failing.")
    attachment_id = fields.Many2one(string="Backup file")
    file_name = fields.Char(readonly=True)
    safety_backup_id = fields.Many2one(
        "danger.zone.backup",
        readonly=True,
        ondelete="set null",
        help="The backup taken just before replacing.",
    )
    report = fields.Json(readonly=True)
    report_text = fields.Text(compute="_compute_report_text")
    restored_count = fields.Integer("Restored", readonly=True)
    skipped_count = fields.Integer("Skipped", readonly=True)

    @api.depends("company_id", "create_date")
    def _compute_name(self):
        for restore in self:
            when = fields.Datetime.to_string(restore.create_date) if restore.create_date else ""
            restore.name = self.env._(
                "Restore of %(company)s %(when)s", company=restore.company_id.name, when=when
            )

    @api.depends("report", "error")
    def _compute_report_text(self):
        for restore in self:
            restore.report_text = (
                format_restore_report(restore.report or {}) if restore.report else restore.error or ""
            )

    @api.model_create_multi
    def create(self, vals_list):
        restores = super().create(vals_list)
        for restore in restores:
            restore.company_id.with_user(restore.requested_by_id or self.env.user)._danger_zone_check_owner()
        return restores

    def _kind(self):
        return self.env._("restore")

    @api.model
    def _busy_message(self, company):
        return self.env._(
            "A restore of %(company)s is already queued or running. Wait until it is done.",
            company=company.name,
        )

    # ------------------------------------------------------------------
    # Requests: the one path of the public methods, the wizard and the command line
    # ------------------------------------------------------------------
    @api.model
    def _decode(self, file_b64):
        if isinstance(file_b64, bytes):
            file_b64 = file_b64.decode("ascii", "replace")
        try:
            return base64.b64decode(file_b64 or "", validate=True)
        except (binascii.Error, ValueError):
            raise UserError(self.env._("The backup file must be sent as base64.")) from None

    @api.model
    def _source(self, source):
        """A ``BackupSource`` for ``source``: one already, or the file's bytes."""
        return source if isinstance(source, BackupSource) else BackupSource(content=source)

    @api.model
    def _preflight(self, company, source, mode="replace", skip_invalid=False, records=True):
        """The pre-flight report of restoring ``source`` (a ``BackupSource`` or bytes) into
        ``company``; writes nothing.

        ``records=False`` leaves out the check of each record (see ``_check_token``)."""
        self._check_owner(company)
        self._check_mode(mode)
        savepoint = self.env.cr.savepoint()  # the temporary tables of the check go with it
        try:
            with self._source(source).open() as stream:
                importer = self._importer(company, stream, mode, skip_invalid)
                report = importer.check(records=records)
            if mode == "replace":
                report["deleted"] = self.env["danger.zone.scope"]._danger_zone_purge(company, dry_run=True)
        finally:
            savepoint.close(rollback=True)
        return report

    @api.model
    def _check_token(self, company, source, mode, skip_invalid):
        """Proof that this user's full pre-flight check accepted this very file for this company
        and these options, so that starting the restore need not check every record again (the
        wizard keeps it between its check and its Restore button). Signed with the database
        secret: a token sent back changed, or for another file, is worth nothing."""
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        digest = self._source(source).sha256()
        message = f"{self.env.uid}:{company.id}:{mode}:{bool(skip_invalid)}:{digest}"
        return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()

    @api.model
    def _check_confirmation(self, confirm):
        if (confirm or "").strip() != CONFIRMATION:
            raise UserError(
                self.env._(
                    "Type %(word)s to confirm that the company's data may be replaced.", word=CONFIRMATION
                )
            )

    @api.model
    def _check_mode(self, mode):
        if mode not in MODES:
            raise UserError(self.env._("The restore mode must be 'replace' or 'merge'."))

    def _importer(self, company, stream, mode, skip_invalid, progress=None):
        with format_errors(self.env):
            reader = open_backup(stream)
        return RestorePipeline(
            self.env, company, reader, mode=mode, skip_invalid=skip_invalid, progress=progress
        )

    @api.model
    def _request(
        self,
        company,
        source,
        file_name=None,
        mode="replace",
        skip_invalid=False,
        trigger="manual",
        check_token=None,
        confirm="",
    ):
        """Check the file (a ``BackupSource`` or bytes), then queue its restore into ``company``
        (run at once from the command line).

        ``confirm`` must be the confirmation word. With a valid ``check_token`` the records are
        not checked again: the database's side is."""
        self._check_owner(company)
        self._check_confirmation(confirm)
        self._check_none_active(company)
        source = self._source(source)
        checked = bool(check_token) and hmac.compare_digest(
            check_token, self._check_token(company, source, mode, skip_invalid)
        )
        report = self._preflight(company, source, mode, skip_invalid, records=not checked)
        if not report["ok"]:
            raise UserError(self.env._("The restore was refused:\n%s", "\n".join(report["errors"])))
        values = {
            "company_id": company.id,
            "requested_by_id": self.env.user.id,
            "state": "running" if trigger == "cli" else "queued",
            "trigger": trigger,
            "mode": mode,
            "skip_invalid": skip_invalid,
            "file_name": file_name or source.name,
            "report": report,
        }
        restore = self._create_job(company, values, "danger_zone.ir_cron_danger_zone_restore_queue")
        restore._keep_file(source)
        return restore

    def _keep_file(self, source):
        """Keep the file with the job, as an attachment only its owner reads. An attachment's
        stored file is shared, not copied; other files are copied in a chunk at a time."""
        values = {"name": self.file_name, "res_model": self._name, "res_id": self.id}
        if source.attachment is not None:
            self.attachment_id = attach_copy(self.env, values, source.attachment)
            return
        with source.open() as stream:
            self.attachment_id = attach(self.env, values, store_stream(self.env, stream))

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------
    def _prepare(self):
        """A replace first backs the company up; the safety backup is kept whatever happens next."""
        if self.mode == "replace":
            self._safety_backup()
        self._commit()

    def _work(self):
        """Restore the file: one transaction, all or nothing."""
        return self._done_values(self._restore())

    def _safety_backup(self):
        """Back up the company as it is before replacing its data; kept like any backup."""
        backup = self.safety_backup_id = self._back_up_first("safety")
        if backup.state != "done":
            raise UserError(self.env._("The safety backup failed, so nothing was restored: %s", backup.error))

    def _restore(self):
        # as the owner who asked (relinked users become them), writing whatever the company holds
        env = self.env(user=self.requested_by_id.id or self.env.uid, su=True)
        with open_attachment(self.attachment_id) as stream:
            importer = self.with_env(env)._importer(
                self.company_id.with_env(env),
                stream,
                self.mode,
                self.skip_invalid,
                progress=self._report_progress,
            )
            return importer.run(checked=True)  # the request checked every record of this very file

    @api.model
    def _done_values(self, report):
        return {
            "report": json.loads(json.dumps(report, default=str)),
            "restored_count": sum(report.get("restored", {}).values()),
            "skipped_count": len(report.get("skipped", [])),
        }
