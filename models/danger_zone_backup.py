import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
from datetime import timedelta

import psycopg2.errors
from psycopg2.pool import PoolError

from odoo import api, fields, models, release
from odoo.exceptions import UserError
from odoo.tools import config

from ..engine import FORMAT, FORMAT_VERSION, BackupFormatError, open_backup, sign_manifest, write_backup
from ..engine.read_back import ReadBack
from ..services import encryption, retention
from ..services.backup_export import BackupExport
from ..services.snapshot_reader import SnapshotReader
from ..services.stored_files import mimetype_of
from .danger_zone_backup_copy import COPY_STATES

_logger = logging.getLogger(__name__)

DOWNLOAD_HOURS = 24


class DangerZoneBackup(models.Model):
    _name = "danger.zone.backup"
    _inherit = ["danger.zone.job", "danger.zone.downloadable"]
    _description = "Danger Zone: backup of a company's business data"

    name = fields.Char(compute="_compute_name")
    trigger = fields.Selection(
        [
            ("manual", "Manual"),
            ("daily", "Daily"),
            ("cli", "Command line"),
            ("safety", "Before a restore"),
            ("final", "Before a deletion"),
        ],
        required=True,
        default="manual",
        readonly=True,
    )
    state = fields.Selection(selection_add=[("expired", "Expired")], ondelete={"expired": "cascade"})
    file_format = fields.Selection(
        [("zip", "ZIP"), ("json", "JSON")], required=True, default="zip", readonly=True
    )
    with_attachments = fields.Boolean(readonly=True)
    record_count = fields.Integer("Records", readonly=True)
    model_counts = fields.Json(readonly=True)
    left_out = fields.Json(
        "Models Left Out",
        readonly=True,
        help="The models holding the company's rows that the backup leaves out, and why.",
    )
    left_out_text = fields.Text("Left Out", compute="_compute_left_out_text")
    download_ids = fields.One2many("danger.zone.backup.download", "backup_id", string="Downloads")
    download_count = fields.Integer("Number of Downloads", compute="_compute_download_count")
    copy_ids = fields.One2many("danger.zone.backup.copy", "backup_id", string="Remote Copies")
    copy_state = fields.Selection(
        COPY_STATES,
        string="Remote Copy",
        compute="_compute_copy_state",
        help="The state of the backup's last copy to the remote storage.",
    )

    @api.depends("download_ids")
    def _compute_download_count(self):
        for backup in self:
            backup.download_count = len(backup.download_ids)

    @api.depends("copy_ids.state")
    def _compute_copy_state(self):
        for backup in self:
            backup.copy_state = backup.copy_ids.sorted("id")[-1:].state

    @api.depends("left_out")
    def _compute_left_out_text(self):
        for backup in self:
            backup.left_out_text = "\n".join(
                f"{item['model']}: {item['count']} ({item['reason']})" for item in backup.left_out or ()
            )

    @api.depends("company_id", "create_date", "trigger")
    def _compute_name(self):
        for backup in self:
            when = fields.Datetime.to_string(backup.create_date) if backup.create_date else ""
            backup.name = self.env._(
                "Backup of %(company)s %(when)s", company=backup.company_id.name, when=when
            )

    @api.model_create_multi
    def create(self, vals_list):
        backups = super().create(vals_list)
        for backup in backups:
            if backup.trigger == "manual":  # the daily and safety backups are the system's
                backup.company_id._danger_zone_check_owner()
        return backups

    # ------------------------------------------------------------------
    # Requests: the one path of the public method, the wizard, the command line and the daily cron
    # ------------------------------------------------------------------
    @api.model
    def _request(self, company, trigger="manual", file_format="zip", with_attachments=False):
        """Queue a backup of ``company`` and wake the cron; refuse if one is active.

        A command-line backup (``trigger="cli"``) is created running instead:
        the caller builds it at once with ``_run_to_path``.
        """
        self._check_owner(company)
        if file_format not in ("zip", "json"):
            raise UserError(self.env._("The backup format must be 'zip' or 'json'."))
        self._check_none_active(company)
        values = {
            "state": "running" if trigger == "cli" else "queued",
            "company_id": company.id,
            "requested_by_id": self.env.user.id,
            "trigger": trigger,
            "file_format": file_format,
            "with_attachments": with_attachments,
        }
        return self._create_job(company, values, "danger_zone.ir_cron_danger_zone_backup_queue")

    def _kind(self):
        return self.env._("backup")

    @api.model
    def _busy_message(self, company):
        return self.env._(
            "A backup of %(company)s is already queued or running. Wait until it is done.",
            company=company.name,
        )

    def _check_downloadable(self):
        """The owner's, done, not expired; else the reason."""
        self.ensure_one()
        self.company_id._danger_zone_check_owner()
        if self.state != "done" or not self.attachment_id or self.expires_at < fields.Datetime.now():
            raise UserError(
                self.env._("This backup cannot be downloaded: it is %(state)s.", state=self.state)
            )

    def _download_link(self):
        return {"backup_id": self.id}

    # ------------------------------------------------------------------
    # Scheduled actions
    # ------------------------------------------------------------------
    @api.model
    def _cron_expire(self):
        """Delete the files of backups past their expiry; they stay listed as expired. The
        daily backups' expiry is first recomputed from the owner's retention (the last days,
        weeks and months), which also applies to the copies on the remote storage. The final
        backups of deletions go after their 24 hours too."""
        self._apply_retention()
        self.env["danger.zone.backup.copy"]._apply_retention()
        self.env["danger.zone.deletion"]._expire_final_backups()
        expired = self.sudo().search([("state", "=", "done"), ("expires_at", "<", fields.Datetime.now())])
        attachments = expired.attachment_id
        expired.write({"state": "expired", "attachment_id": False})
        attachments.unlink()

    @api.model
    def _apply_retention(self):
        """Each daily backup kept while it is among the last days', or the newest of one of the
        last weeks or months, as its company's owner set them (services/retention.py)."""
        daily = self.sudo().search([("state", "=", "done"), ("trigger", "=", "daily")])
        retention.set_expiry(daily, "finished_at")

    @api.model
    def _cron_daily(self):
        """Queue the daily backup of every company that asked for one; alert the owners whose
        daily backups have not succeeded for the days they set."""
        self._alert_missing_daily()
        for company in self.env["res.company"].sudo().search([("danger_zone_daily_backup", "=", True)]):
            try:
                with self.env.cr.savepoint():
                    self.with_user(company.danger_zone_owner_id).sudo()._request(company, trigger="daily")
            except (UserError, psycopg2.errors.SerializationFailure) as error:
                # a job is queued or running, or another request claimed the company just now
                _logger.info("Danger Zone: no daily backup of company %s today: %s", company.id, error)

    @api.model
    def _alert_missing_daily(self):
        """Daily backups asked for more than N days ago, none done in the last N days: alert."""
        now = fields.Datetime.now()
        companies = (
            self.env["res.company"]
            .sudo()
            .search([("danger_zone_daily_backup", "=", True), ("danger_zone_alert_days", ">", 0)])
        )
        for company in companies:
            since = now - timedelta(days=company.danger_zone_alert_days)
            daily = [("company_id", "=", company.id), ("trigger", "=", "daily")]
            asked = self.sudo().search_count([*daily, ("create_date", "<", since)], limit=1)
            succeeded = self.sudo().search_count(
                [*daily, ("state", "in", ("done", "expired")), ("finished_at", ">=", since)], limit=1
            )
            if asked and not succeeded:
                company._danger_zone_alert(
                    self.env._(
                        "Danger Zone: no daily backup of %(company)s for %(days)s days",
                        company=company.name,
                        days=company.danger_zone_alert_days,
                    ),
                    self.env._(
                        "No daily backup of %(company)s has succeeded since %(since)s. The Danger Zone "
                        "page lists the backups and why they failed.",
                        company=company.name,
                        since=fields.Datetime.to_string(since),
                    ),
                )

    # ------------------------------------------------------------------
    # Running one backup
    # ------------------------------------------------------------------
    def _work(self):
        with tempfile.TemporaryDirectory(prefix="danger_zone_") as folder:
            path = os.path.join(folder, "backup")
            with self._snapshot_env() as env:
                manifest = self.with_env(env)._write_file(path)
            recipient = self._recipient()
            if not recipient:
                return self._store(path, manifest)
            encryption.encrypt_file(path, f"{path}.age", [recipient])
            return dict(self._store(f"{path}.age", manifest, ".age"), encrypted_to=recipient)

    def _after_done(self):
        """Copy the file to the owner's remote storage, if they set one (a copy that fails is
        reported on the copy, the backup stays done)."""
        if self.env["danger.zone.backup.copy"]._send(self):
            self._notify_owner()
            self._commit()

    def _recipient(self):
        """The owner's age public key that daily and final backups are encrypted to, if they set one."""
        return self.trigger in ("daily", "final") and self.company_id.sudo().danger_zone_backup_recipient

    def _run_to_path(self, path):
        """Build the backup into ``path`` now (command line); return the manifest.

        Commits like the cron; the file stays where it was written.
        """
        self.ensure_one()
        with self._running_lock():  # CompanyBusy reaches the command line as an error
            self.started_at = fields.Datetime.now()
            self._commit()  # progress is reported from other cursors: hold no lock on this row
            try:
                with self.env.cr.savepoint(), self._snapshot_env() as env:
                    manifest = self.with_env(env)._write_file(path)
            except Exception as error:
                self._fail(error)
                self._commit()
                raise
            self._mark_done(self._file_values(path, manifest))  # the file stays on disk: nothing to expire
            self._commit()
        return manifest

    @contextlib.contextmanager
    def _snapshot_env(self):
        """An environment on a REPEATABLE READ snapshot of its own; the test cursor in tests."""
        if config["test_enable"]:
            yield self.env
            return
        with self.env.registry.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield self.env(cr=cr)
            cr.rollback()

    def _write_file(self, path):
        """Write the backup to ``path`` from this environment's snapshot; verify it; return the manifest."""
        company = self.company_id
        options = ("attachments",) if self.with_attachments else ()
        as_json = self.file_format == "json"
        # a ZIP's members are read back from the disk in a thread while the next ones are written
        with contextlib.nullcontext() if as_json else ReadBack(path) as read_back:
            with open(path, "wb") as output, self._second_reader() as second_reader:
                scope = self.env["danger.zone.scope"]._danger_zone_resolve(company, options, second_reader)
                writer = write_backup(output, as_json, member_closed=read_back and read_back.member_closed)
                export = BackupExport(scope, writer, self._report_progress, second_reader)
                members = export.write_members()
                attachments = next((m for m in members if m["model"] == "ir.attachment"), None)
                files = export.write_files(attachments)
                left_out = self.env["danger.zone.scope"]._danger_zone_left_out_rows(company, scope)
                manifest = sign_manifest(self._manifest(company, members, files, left_out), self._secret())
                writer.close(manifest)
            expected = {member["name"]: scope.count(member["model"], member["kind"]) for member in members}
            self._verify(path, expected, read_back)
        return manifest

    @contextlib.contextmanager
    def _second_reader(self):
        """A second connection on the snapshot, for large models; none on the tests' cursor,
        whose uncommitted data another connection cannot see, nor when the pool is full."""
        if config["test_enable"]:
            yield None
            return
        try:
            reader = SnapshotReader(self.env.cr, self.env.registry)
        except PoolError:
            _logger.info("Danger Zone: no free database connection, the backup uses one")
            yield None
            return
        with reader:
            yield reader

    def _manifest(self, company, members, files, left_out):
        modules = (
            self.env["ir.module.module"]
            .sudo()
            .search_read([("state", "=", "installed")], ["name", "latest_version"])
        )
        parameters = self.env["ir.config_parameter"].sudo()
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": fields.Datetime.now().isoformat() + "+00:00",
            "generator": "danger_zone " + self._addon_version(),
            "source": {
                "database_uuid": parameters.get_param("database.uuid"),
                "company_id": company.id,
                "company_name": company.name,
                "currency": company.currency_id.name,
                "odoo_version": release.major_version,
                "modules": {module["name"]: module["latest_version"] for module in modules},
            },
            "options": {"attachments": self.with_attachments},
            "members": members,
            "files": files,
            "left_out": left_out,
        }

    def _addon_version(self):
        module = self.env["ir.module.module"].sudo().search([("name", "=", "danger_zone")], limit=1)
        return module.latest_version or ""

    def _secret(self):
        return self.env["ir.config_parameter"].sudo().get_param("database.secret")

    @api.model
    def _verify(self, path, expected_counts, read_back=None):
        """Reopen the file and check every member against the manifest and the database
        (the members ``read_back`` read back while writing: against what it read)."""
        with open(path, "rb") as stream:
            reader = open_backup(stream)
            read = read_back.check(reader) if read_back else set()
            # hashes and counts of the rest; the JSON comes from PostgreSQL
            reader.verify(parse_records=False, read_later=read)
            written = {member["name"]: member["count"] for member in reader.manifest["members"]}
        if written != expected_counts:
            wrong = sorted(name for name in expected_counts if written.get(name) != expected_counts[name])
            raise BackupFormatError(f"record counts differ from the database for: {', '.join(wrong)}")

    def _store(self, path, manifest, suffix=""):
        """Keep the file as an attachment of this backup; return the values of the done backup."""
        extension = "json" if self.file_format == "json" else "zip"
        stamp = fields.Datetime.now().strftime("%Y%m%d-%H%M%S")
        file_name = f"danger-zone-{self.company_id.id}-{stamp}.{extension}{suffix}"
        attachment = self._attach(path, file_name)
        days = self.company_id.danger_zone_backup_retention_days if self.trigger == "daily" else 0
        lifetime = timedelta(days=days) if days else timedelta(hours=DOWNLOAD_HOURS)
        values = self._file_values(path, manifest)
        values.update(
            attachment_id=attachment.id, file_name=file_name, expires_at=fields.Datetime.now() + lifetime
        )
        return values

    @api.model
    def _file_values(self, path, manifest):
        members = [m for m in manifest["members"] if m["kind"] == "data"]
        return {
            "file_name": os.path.basename(path),
            "file_size": os.path.getsize(path),
            "checksum": _sha256(path),
            "record_count": sum(m["count"] for m in members),
            "model_counts": {m["model"]: m["count"] for m in members},
            "left_out": manifest.get("left_out", []),
        }

    def _attach(self, path, file_name):
        """Create the attachment, copying the file into the filestore without loading it in memory."""
        Attachment = self.env["ir.attachment"].sudo()
        values = {
            "name": file_name,
            "res_model": self._name,
            "res_id": self.id,
            "type": "binary",
            "mimetype": mimetype_of(file_name),
        }
        if Attachment._storage() != "file":
            with open(path, "rb") as stream:
                return Attachment.create(dict(values, raw=stream.read()))
        sha1 = _hash_file(path, hashlib.sha1())
        fname = f"{sha1[:2]}/{sha1}"
        full_path = Attachment._full_path(fname)
        os.makedirs(os.path.dirname(full_path), exist_ok=True)
        if not os.path.exists(full_path):
            shutil.copyfile(path, full_path)
            Attachment._mark_for_gc(fname)
        attachment = Attachment.create(values)
        self.env.cr.execute(
            "UPDATE ir_attachment SET store_fname = %s, checksum = %s, file_size = %s WHERE id = %s",
            [fname, sha1, os.path.getsize(path), attachment.id],
        )
        attachment.invalidate_recordset()
        return attachment


def _hash_file(path, digest):
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256(path):
    return _hash_file(path, hashlib.sha256())
