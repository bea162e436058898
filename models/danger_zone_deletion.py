import logging

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from ..services.company_deletion import CompanyDeletion
from ..services.company_users import CompanyUsers
from ..services.reports import format_deletion_report

_logger = logging.getLogger(__name__)


class DangerZoneDeletion(models.Model):
    """The deletion of a company, run in the background, kept afterwards as its audit record."""

    _name = "danger.zone.deletion"
    _inherit = "danger.zone.job"
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
    def _request(self, company, trigger="manual"):
        """Queue the deletion of ``company`` (run at once from the command line, which checks it then).

        A queued deletion is checked in full first, so that the owner hears at
        once what stops it rather than from a failed job.
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
        }
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
            "users moved: %s; archived: %s",
            self.company_name,
            self.deleted_company_id,
            self.requested_by_id.login,
            self.trigger,
            self.deleted_count,
            ", ".join(f"{model} {count}" for model, count in sorted(self.report["counts"].items())),
            ", ".join(self.report["moved"]) or "none",
            ", ".join(self.report["archived"]) or "none",
        )

    def _notified_user(self):
        return self.requested_by_id.sudo()  # the company, and so its owner, may be gone

    def _notification(self):
        """Also where to go now that the company is gone."""
        user = self._notified_user()
        return super()._notification() | {
            "company_id": self.deleted_company_id,
            "redirect": "/odoo" if user.active and user.company_ids else "/web/session/logout",
        }
