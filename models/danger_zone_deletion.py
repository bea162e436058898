import logging
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import config

from ..services.company_deletion import CompanyDeletion
from ..services.company_users import CompanyUsers
from ..services.reports import format_deletion_report
from ..services.stored_files import attach_copy
from .danger_zone_backup import DOWNLOAD_HOURS
from .danger_zone_backup_copy import COPY_STATES

_logger = logging.getLogger(__name__)


class DangerZoneDeletion(models.Model):
    """The deletion of a company, run in the background, kept afterwards as its audit record."""

    _name = "danger.zone.deletion"
    _inherit = ["danger.zone.job", "danger.zone.downloadable"]
    _description = "Danger Zone: deletion of a company"

    # The record outlives the company: it says who deleted which company, when, and what went.
    company_id = fields.Many2one(required=False, ondelete="set null")
    company_name = fields.Char(required=True, readonly=True)
    deleted_company_id = fields.Integer("Company ID", readonly=True)
    name = fields.Char(compute="_compute_name")
    trigger = fields.Selection(
        [("manual", "Manual"), ("cli", "Command line")], required=True, default="manual", readonly=True
    )
    report = fields.Json(readonly=True)
    report_text = fields.Text(compute="_compute_report_text")
    deleted_count = fields.Integer("Deleted records", readonly=True)
    # The final backup: taken before anything is deleted, kept here for the requester, since
    # the company's own backups go with it. Declining it is recorded too.
    final_backup = fields.Boolean(
        readonly=True,
        default=True,
        help="A backup of the company taken just before deleting it, kept for whoever asked for "
        "the deletion. Unset: the owner declined it.",
    )
    attachment_id = fields.Many2one(string="Final Backup File")
    copy_state = fields.Selection(
        COPY_STATES,
        string="Remote Copy",
        readonly=True,
        help="The final backup's copy to the remote storage.",
    )
    copy_location = fields.Char(
        "Copied To", readonly=True, help="The storage's code and the file's path on it."
    )
    copy_error = fields.Text(readonly=True)
    download_ids = fields.One2many("danger.zone.backup.download", "deletion_id", string="Downloads")

    @api.depends("company_name")
    def _compute_name(self):
        for deletion in self:
            deletion.name = self.env._("Deletion of %(company)s", company=deletion.company_name)

    @api.depends("report", "error")
    def _compute_report_text(self):
        for deletion in self:
            deletion.report_text = (
                format_deletion_report(deletion.report) if deletion.report else deletion.error or ""
            )

    @api.model_create_multi
    def create(self, vals_list):
        deletions = super().create(vals_list)
        for deletion in deletions:
            deletion.company_id.with_user(deletion.requested_by_id)._danger_zone_check_owner()
        return deletions

    def _kind(self):
        return self.env._("deletion")

    @api.model
    def _busy_message(self, company):
        return self.env._("The deletion of %(company)s is already queued or running.", company=company.name)

    # ------------------------------------------------------------------
    # Requests: the one path of the public method (which checks the name and the password first)
    # and of the command line (which asks for the name)
    # ------------------------------------------------------------------
    @api.model
    def _request(self, company, trigger="manual", final_backup=True):
        """Queue the deletion of ``company`` (run at once from the command line, which checks it then).

        A queued deletion is checked in full first, so that the owner hears at
        once what stops it rather than from a failed job. ``final_backup=False``: the owner
        declines the final backup, which the deletion records.
        """
        self._check_owner(company)
        self._claim_company(company)
        if trigger == "cli":
            reasons = company._danger_zone_delete_blockers()  # the job then looks at the data itself
        else:
            reasons = company._danger_zone_delete_preview()["blockers"]
        if reasons:
            raise UserError(self.env._("The company cannot be deleted:\n%s", "\n".join(reasons)))
        values = {
            "company_id": company.id,
            "company_name": company.name,
            "deleted_company_id": company.id,
            "requested_by_id": self.env.user.id,
            "state": "running" if trigger == "cli" else "queued",
            "trigger": trigger,
            "final_backup": bool(final_backup),
        }
        _logger.info(
            "Danger Zone: deletion of company %r (id %s) asked by %s, %s",
            company.name,
            company.id,
            self.env.user.login,
            "with a final backup" if final_backup else "declining the final backup",
        )
        return self._create_job(company, values, "danger_zone.ir_cron_danger_zone_deletion_queue")

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------
    def _run(self):
        """Delete the company: one transaction, all or nothing; the record keeps the outcome."""
        done = super()._run()
        if done:
            self._log_audit()
            if not config["test_enable"]:
                self.env["ir.attachment"]._gc_file_store()  # commits; removes the files nobody uses now
        return done

    def _prepare(self):
        """Take the final backup, unless the owner declined it: it is kept whatever happens next,
        and a final backup that fails stops the deletion before anything is deleted."""
        if self.final_backup:
            self._take_final_backup()
        self._commit()

    def _take_final_backup(self):
        """Back the company up as any backup (encrypted to the owner's key and copied to their
        storage when they set them), then keep its file here: the company's backups are its
        data, and go with it."""
        backup = self._back_up_first("final")
        if backup.state != "done":
            raise UserError(self.env._("The final backup failed, so nothing was deleted: %s", backup.error))
        self.write(self._final_backup_values(backup))

    def _final_backup_values(self, backup):
        copy = backup.copy_ids.sorted("id")[-1:]
        # the deletion's own attachment of the same stored file, of no company: it stays
        attachment = attach_copy(
            self.env,
            {"name": backup.file_name, "res_model": self._name, "res_id": self.id, "company_id": False},
            backup.attachment_id,
        )
        return {
            "attachment_id": attachment.id,
            "file_name": backup.file_name,
            "file_size": backup.file_size,
            "checksum": backup.checksum,
            "encrypted_to": backup.encrypted_to,
            "expires_at": fields.Datetime.now() + timedelta(hours=DOWNLOAD_HOURS),
            "copy_state": copy.state,
            "copy_location": f"{copy.storage_code}: {copy.path}" if copy else False,
            "copy_error": copy.error,
        }

    @api.model
    def _expire_final_backups(self):
        """Delete the final backups' files past their 24 hours (the remote copies stay)."""
        expired = self.sudo().search(
            [("attachment_id", "!=", False), ("expires_at", "<", fields.Datetime.now())]
        )
        attachments = expired.attachment_id
        expired.attachment_id = False
        attachments.unlink()

    def _check_downloadable(self):
        """Whoever asked for the deletion, while the final backup is kept; else the reason."""
        self.ensure_one()
        if self.requested_by_id != self.env.user:
            raise AccessError(self.env._("Only whoever asked for a deletion downloads its final backup."))
        if not self.attachment_id or self.expires_at < fields.Datetime.now():
            raise UserError(
                self.env._(
                    "The final backup of %(company)s cannot be downloaded: %(reason)s",
                    company=self.company_name,
                    reason=self._final_backup_status(),
                )
            )

    def _final_backup_status(self):
        if not self.final_backup:
            return self.env._("the owner declined it.")
        if not self.file_name:
            return self.env._("it was not taken.")
        return self.env._("its %(hours)s hours are over.", hours=DOWNLOAD_HOURS)

    def _download_link(self):
        return {"deletion_id": self.id}

    def _work(self):
        report = self._delete()
        return {"report": report, "deleted_count": sum(report["counts"].values())}

    def _delete(self):
        """Release the users, then delete every row of the company, the company last."""
        env = self.env(user=SUPERUSER_ID, su=True)
        company = self.company_id.with_env(env)
        # whoever writes rows of the company now waits for this transaction, then fails
        env.cr.execute("SELECT id FROM res_company WHERE id = %s FOR UPDATE", [company.id])
        if reasons := company._danger_zone_delete_blockers(ignored_job=self):
            raise UserError(self.env._("The company cannot be deleted:\n%s", "\n".join(reasons)))
        users = CompanyUsers(company).release()
        deletion = CompanyDeletion(env, company)
        deletion.collect()
        if deletion.blockers:
            raise UserError(deletion.describe_blockers())
        counts = deletion.delete(progress=self._report_progress)
        env["res.company"]._danger_zone_sync_owner_group()
        return {"counts": counts, **users}

    def _log_audit(self):
        _logger.info(
            "Danger Zone: company %r (id %s) deleted by %s (%s), %s records: %s; "
            "users moved: %s; archived: %s; final backup: %s",
            self.company_name,
            self.deleted_company_id,
            self.requested_by_id.login,
            self.trigger,
            self.deleted_count,
            ", ".join(f"{model} {count}" for model, count in sorted(self.report["counts"].items())),
            ", ".join(self.report["moved"]) or "none",
            ", ".join(self.report["archived"]) or "none",
            f"{self.file_name} (SHA-256 {self.checksum})" if self.final_backup else "declined by the owner",
        )

    def _notified_user(self):
        return self.requested_by_id.sudo()  # the company, and so its owner, may be gone

    def _notification(self):
        """Also where to go now that the company is gone: the deletion, where its final backup
        is downloaded, or home, or out for an owner left with no company."""
        user = self._notified_user()
        if not (user.active and user.company_ids):
            redirect = "/web/session/logout"
        elif self.attachment_id:
            redirect = f"/odoo/danger-zone-deletions/{self.id}"
        else:
            redirect = "/odoo"
        return super()._notification() | {"company_id": self.deleted_company_id, "redirect": redirect}
