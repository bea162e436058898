import contextlib
import logging
import time
import traceback

import psycopg2.errors
from psycopg2.pool import PoolError

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, config
from odoo.tools.sql import index_exists

from ..engine import BackupFormatError

_logger = logging.getLogger(__name__)

# A progress report commits on a cursor of its own and notifies the owner: at most one per interval.
PROGRESS_INTERVAL = 0.5  # seconds
_last_progress_report = {}  # (model, job id) -> time of the job's last report

ACTIVE_STATES = ("queued", "running")
LOCK_NAMESPACE = 0x445A  # first key of the advisory locks held by running jobs ("DZ")
COMPANY_LOCK_NAMESPACE = 0x445B  # first key of the lock on the company a job runs on
# Every kind of job on a company: one at a time per company, whatever its kind.
JOB_MODELS = ("danger.zone.backup", "danger.zone.restore", "danger.zone.deletion")


class CompanyBusy(UserError):
    """Another Danger Zone job runs on the same company, maybe in another worker."""


class DangerZoneAuditRecord(models.AbstractModel):
    """What Danger Zone records of its jobs (downloads, remote copies): written by its own
    methods in superuser mode, read by the company's owner, changed by nobody."""

    _name = "danger.zone.audit.record"
    _description = "Danger Zone: record written by its jobs"

    @api.model_create_multi
    def create(self, vals_list):
        self.env["danger.zone.job"]._check_danger_zone_path()
        return super().create(vals_list)

    def write(self, vals):
        self.env["danger.zone.job"]._check_danger_zone_path()
        return super().write(vals)

    def unlink(self):
        self.env["danger.zone.job"]._check_danger_zone_path()
        return super().unlink()


class DangerZoneJob(models.AbstractModel):
    """What backups and restores share: a company, a state, progress, one at a time.

    A running job holds a session advisory lock on its id, so a job whose
    worker died (its connection gone) is recognised and marked failed.
    """

    _name = "danger.zone.job"
    _description = "Danger Zone: background job on a company"
    _order = "create_date desc, id desc"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    requested_by_id = fields.Many2one("res.users", readonly=True, ondelete="set null")
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        required=True,
        default="queued",
        readonly=True,
        index=True,
    )
    progress = fields.Integer(readonly=True, help="Percentage of the work done so far.")
    error = fields.Text(readonly=True)
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="File", readonly=True, ondelete="set null")

    @api.model_create_multi
    def create(self, vals_list):
        self._check_danger_zone_path()
        return super().create(vals_list)

    def write(self, vals):
        self._check_danger_zone_path()
        return super().write(vals)

    def unlink(self):
        self._check_danger_zone_path()
        attachments = self.sudo().attachment_id  # the job's file goes with it
        result = super().unlink()
        attachments.exists().unlink()  # Odoo deleted those attached to the job already
        return result

    def _check_danger_zone_path(self):
        """Jobs are created and changed by the Danger Zone's own methods only, which check the
        owner and then work in superuser mode. Nobody else may, even an administrator who gave
        himself access rights and switched the record rules off: a queued job runs unattended."""
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "Danger Zone jobs and uploads are only created and changed by the company's "
                    "owner, through the company's Danger Zone."
                )
            )

    def init(self):
        """One queued or running job of a kind per company, whatever slips past the claim: a
        partial unique index (Odoo's index helpers make no partial unique index)."""
        if self._abstract:
            return
        index = f"{self._table}_one_active_per_company"
        if not index_exists(self.env.cr, index):
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX %s ON %s (company_id) WHERE state IN ('queued', 'running')",
                    SQL.identifier(index),
                    SQL.identifier(self._table),
                )
            )

    @api.model
    def _check_owner(self, company):
        """Raise AccessError unless the requesting user (this environment's) owns ``company``."""
        company.with_env(self.env)._danger_zone_check_owner()

    @api.model
    def _check_none_active(self, company):
        """Refuse at once while any Danger Zone job runs or waits on ``company``; the company is
        claimed first, so that a concurrent request of any kind cannot slip past."""
        self._claim_company(company)
        if busy := self._active_job_messages(company):
            raise UserError(busy[0])

    @api.model
    def _claim_company(self, company):
        """Write the company's claim row before reading its jobs (see danger.zone.company.claim):
        of two concurrent requests, one waits and is retried by Odoo, and its retry sees the
        other's job. A request calls this before it looks for active jobs."""
        self.env["danger.zone.company.claim"].sudo()._claim(company)

    @api.model
    def _active_job_messages(self, company, ignored=None):
        """What runs or waits on ``company``, as messages; ``ignored`` is a job not to count."""
        messages = []
        for model in JOB_MODELS:
            Jobs = self.env[model].sudo()
            Jobs._fail_interrupted(company)
            domain = [("company_id", "=", company.id), ("state", "in", ACTIVE_STATES)]
            if ignored and ignored._name == model:
                domain.append(("id", "!=", ignored.id))
            if active := Jobs.search(domain, limit=1):
                messages.append(active._busy_message(company))
        return messages

    @api.model
    def _create_job(self, company, values, cron_xmlid):
        """Create the job; a concurrent request that won the one-active index makes this one busy.
        A queued job wakes its scheduled action."""
        try:
            with self.env.cr.savepoint():
                job = self.sudo().create(values)
        except psycopg2.errors.UniqueViolation:
            raise UserError(self._busy_message(company)) from None
        if job.state == "queued":
            self.env.ref(cron_xmlid).sudo()._trigger()
        return job

    @api.model
    def _busy_message(self, company):
        raise NotImplementedError  # each job says what is running

    @api.model
    def _fail_interrupted(self, company):
        """Mark failed the running jobs whose worker is gone: nobody holds their advisory lock.
        A job this connection runs is not one (a session takes its own locks again, so a deletion
        checking its company would otherwise find itself interrupted)."""
        running = self.sudo().search([("company_id", "=", company.id), ("state", "=", "running")])
        for job in running.filtered(lambda job: not job._locked_here()):
            self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, job._lock_key()])
            if self.env.cr.fetchone()[0]:
                self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, job._lock_key()])
                job._fail(UserError(self.env._("Interrupted: the worker that ran it stopped.")))

    @api.model
    def _cron_process_queue(self):
        """Run the oldest queued job of this kind; the cron runs again while some remain.

        Transaction contract: a job commits after marking itself running and
        after finishing, so this is not meant to run inside a larger transaction.
        """
        job = self.sudo().search([("state", "=", "queued")], order="id", limit=1)
        if not job:
            return
        job._run()
        remaining = self.sudo().search_count([("state", "=", "queued")])
        self.env["ir.cron"]._notify_progress(done=1, remaining=remaining)

    def _run(self):
        """Run the job under its locks; return whether it is done.

        Every job goes the same way: marked running (committed, so that the owner's page shows
        it), then ``_prepare`` (work that is kept whatever happens next), then ``_work`` in a
        savepoint, all or nothing. The job ends done with the values ``_work`` returns, or
        failed with the reason, and the owner is told either way.
        """
        self.ensure_one()
        self._run_exclusively(self._run_locked)
        return self.state == "done"

    def _run_locked(self):
        self._mark_running()
        try:
            self._prepare()
            self._read_committed()
            with self.env.cr.savepoint():
                values = self._work()
            self._mark_done(values)
        except Exception as error:  # noqa: BLE001 - any failure must mark the job failed
            self._fail(error)
        self._notify_owner()
        self._commit()
        if self.state == "done":
            self._after_done()

    def _prepare(self):
        """Hook: work done before the job's own and committed, whatever happens next."""

    def _back_up_first(self, trigger):
        """Back the company up as it is, before this job changes it (a restore's safety backup,
        a deletion's final one), through the backup job; return the backup, done or failed."""
        backup = (
            self.env["danger.zone.backup"]
            .sudo()
            .create(
                {
                    "company_id": self.company_id.id,
                    "requested_by_id": self.requested_by_id.id,
                    "trigger": trigger,
                }
            )
        )
        backup._run()
        return backup

    def _work(self):
        """The job's own work, in a savepoint; return the values of the finished job."""
        raise NotImplementedError

    def _after_done(self):
        """Hook: work once the job is done and committed, which cannot undo it."""

    def _mark_running(self):
        self.write({"state": "running", "started_at": fields.Datetime.now(), "progress": 0, "error": False})
        self._notify_owner()
        self._commit()

    def _mark_done(self, values):
        self.write({"state": "done", "progress": 100, "finished_at": fields.Datetime.now(), **values})

    def _locked_here(self):
        """Whether this connection holds the job's advisory lock: it runs the job."""
        self.env.cr.execute(
            """SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
                  AND classid = %s AND objid = %s AND objsubid = 2""",
            [LOCK_NAMESPACE, self._lock_key()],
        )
        return bool(self.env.cr.fetchone())

    def _lock_key(self):
        """Second key of the job's advisory lock: its id, spread by model (backups keep their ids)."""
        return self.id + JOB_MODELS.index(self._name) * (1 << 29)

    @contextlib.contextmanager
    def _running_lock(self):
        """Hold session advisory locks on the job and its company while the job runs.

        The company lock makes jobs of any kind exclusive on a company across
        workers, whatever slipped past the request checks; a dead worker's
        connection releases both. Raises CompanyBusy when another job holds it.
        """
        cr, company_key = self.env.cr, [COMPANY_LOCK_NAMESPACE, self.company_id.id]
        cr.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, self._lock_key()])
        try:
            cr.execute("SELECT pg_try_advisory_lock(%s, %s)", company_key)
            if not cr.fetchone()[0]:
                raise CompanyBusy(
                    self.env._(
                        "Another Danger Zone job is running on %(company)s.", company=self.company_id.name
                    )
                )
            try:
                yield
            finally:
                cr.execute("SELECT pg_advisory_unlock(%s, %s)", company_key)
        finally:
            cr.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, self._lock_key()])

    def _run_exclusively(self, work):
        """Run ``work()`` under the job's locks; a busy company fails the job with the reason."""
        try:
            with self._running_lock():
                return work()
        except CompanyBusy as error:
            self._fail(error)
            self._notify_owner()
            self._commit()
            return None

    def _notify_owner(self):
        """Tell the owner's open Danger Zone page to refresh (bus notification, sent at commit)."""
        user = self._notified_user()
        self.env["bus.bus"].sudo()._sendone(user.partner_id, "danger_zone.job_update", self._notification())

    def _notified_user(self):
        return self.company_id.danger_zone_owner_id

    def _notification(self):
        return {"id": self.id, "model": self._name, "state": self.state, "progress": self.progress}

    def _report_progress(self, done, total):
        percent = int(100 * done / total) if total else 100
        if config["test_enable"]:
            self.progress = percent
            return
        now, key = time.monotonic(), (self._name, self.id)
        if done and now - _last_progress_report.get(key, 0) < PROGRESS_INTERVAL:
            return
        _last_progress_report[key] = now
        try:
            self._write_progress(percent)
        except PoolError:  # best effort: a full pool does not stop the job
            _logger.info("Danger Zone: no free database connection to report progress")

    def _write_progress(self, percent):
        with self.env.registry.cursor() as cr:  # committed at once, visible to the UI
            # best effort: never wait for the job's own transaction if it holds the row
            cr.execute(
                f"""UPDATE "{self._table}" SET progress = %s
                     WHERE id IN (SELECT id FROM "{self._table}" WHERE id = %s FOR UPDATE SKIP LOCKED)""",
                [percent, self.id],
            )
            self.with_env(self.env(cr=cr))._notify_owner()

    def _fail(self, error):
        reason = str(error) if isinstance(error, UserError | BackupFormatError) else repr(error)
        _logger.warning(
            "Danger Zone: %s %s of company %s failed: %s", self._name, self.id, self.company_id.id, reason
        )
        _logger.debug("Danger Zone: failure\n%s", traceback.format_exc())
        self.write({"state": "failed", "error": reason, "finished_at": fields.Datetime.now()})
        self.company_id._danger_zone_alert(
            self.env._(
                "Danger Zone: the %(job)s of %(company)s failed",
                job=self._kind(),
                company=self.company_id.name,
            ),
            reason,
            self._notified_user(),
        )

    def _kind(self):
        """What the job is, in the alert about its failure ("backup", "restore"...)."""
        raise NotImplementedError

    def _read_committed(self):
        """Progress is committed on this job's row from other cursors while the job runs: its
        transaction must not be REPEATABLE READ, or writing the outcome would conflict."""
        if not config["test_enable"]:
            self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")

    def _commit(self):
        """Make the job's state visible to the UI and other workers (cron and command line only)."""
        if not config["test_enable"]:
            self.env.cr.commit()  # pylint: disable=invalid-commit
