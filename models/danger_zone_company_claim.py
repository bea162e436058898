"""The row that every Danger Zone request on a company writes before it looks for active jobs."""

from odoo import api, fields, models
from odoo.tools import SQL


class DangerZoneCompanyClaim(models.Model):
    """One row per company, written by every request for a backup, a restore or a deletion.

    Looking for "anything queued or running" and then creating a job is a read before a write:
    two requests in concurrent transactions would both find nothing, and a unique index holds
    within one kind of job only. Both requests write this row first. PostgreSQL lets one through;
    the other waits for it and then, at REPEATABLE READ, fails with a serialization failure (as
    does a request whose snapshot predates the winner's commit). Odoo retries the loser from the
    start (HTTP, XML-RPC), and the retry sees the winner's job and refuses with the reason.
    """

    _name = "danger.zone.company.claim"
    _description = "Danger Zone: a company's claim row, written by every request"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    claimed_at = fields.Datetime(required=True)

    _sql_constraints = [("company_unique", "UNIQUE (company_id)", "A company has one claim row.")]

    @api.model
    def _claim(self, company):
        """Write the company's row (created on its first request) in this transaction."""
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(table)s (company_id, claimed_at) VALUES (%(company)s, %(now)s)
                   ON CONFLICT (company_id) DO UPDATE SET claimed_at = EXCLUDED.claimed_at""",
                table=SQL.identifier(self._table),
                company=company.id,
                now=fields.Datetime.now(),
            )
        )
