from odoo import api, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

# Files of these records (backups, restores, uploads for a restore) are their company owner's alone.
JOB_FILES = {
    "danger.zone.backup": "danger_zone_backup",
    "danger.zone.restore": "danger_zone_restore",
    "danger.zone.upload": "danger_zone_upload",
}


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.model
    def check(self, mode, values=None):
        """Backup files belong to the company's owner alone.

        Checked here and in ``_check_access`` (reads), besides the record
        rules, so that an administrator who edits groups or rules still cannot
        open them, and a file whose backup is gone (an orphan) is nobody's.
        """
        result = super().check(mode, values)
        if not self.env.su and self and self._danger_zone_foreign_backup_files():
            raise AccessError(self.env._("Only the company's owner can open its backups."))
        return result

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if result or self.env.su or not self:
            return result
        if forbidden := self._danger_zone_foreign_backup_files():
            return forbidden, lambda: AccessError(
                self.env._("Only the company's owner can open its backups.")
            )
        return None

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        """Reads go through this search in Odoo 18: hide other owners' backup files."""
        query = super()._search(domain, offset, limit, order)
        if not self.env.su:
            table = query.table
            query.add_where(
                SQL(" AND ").join(
                    SQL(
                        """(%s IS DISTINCT FROM %s OR %s IN (
                               SELECT job.id FROM %s job
                                 JOIN res_company company ON company.id = job.company_id
                                WHERE company.danger_zone_owner_id = %s))""",
                        SQL.identifier(table, "res_model"),
                        model,
                        SQL.identifier(table, "res_id"),
                        SQL.identifier(job_table),
                        self.env.uid,
                    )
                    for model, job_table in JOB_FILES.items()
                )
            )
        return query

    def _danger_zone_foreign_backup_files(self):
        """The backup and restore files among ``self`` that the current user does not own."""
        forbidden = []
        for model, job_table in JOB_FILES.items():
            self.env.cr.execute(
                SQL(
                    """SELECT attachment.id
                         FROM ir_attachment attachment
                         LEFT JOIN %s job ON job.id = attachment.res_id
                         LEFT JOIN res_company company ON company.id = job.company_id
                        WHERE attachment.id IN %s AND attachment.res_model = %s
                          AND company.danger_zone_owner_id IS DISTINCT FROM %s""",
                    SQL.identifier(job_table),
                    tuple(self.ids),
                    model,
                    self.env.uid,
                )
            )
            forbidden += [row[0] for row in self.env.cr.fetchall()]
        return self.browse(forbidden)
