from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools.sql import column_exists

from ..services.company_deletion import deletion_preview
from ..services.restore.source import BackupSource


class ResCompany(models.Model):
    """The company's Danger Zone: back it up, restore it, delete it (the public methods, which
    XML-RPC and the wizards call), the conditions of a deletion, and the buttons of the page.
    Ownership (the owner, its checks, its transfer) is in ``res_company.py``."""

    _inherit = "res.company"

    def danger_zone_backup(self, file_format="zip", with_attachments=False):
        """Queue a backup of this company's business data; return its ``danger.zone.backup`` id.

        The backup is built in the background. Poll the record's ``state``
        (``queued``, ``running``, ``done``, ``failed``, ``expired``); once done,
        ``attachment_id`` holds the file for 24 hours.

        :param str file_format: ``"zip"`` (default) or ``"json"``
        :param bool with_attachments: also carry the files attached to the records
        :raise AccessError: when the caller does not own the company
        :raise UserError: when a backup of the company is already queued or running
        """
        self.ensure_one()
        self._danger_zone_check_owner()
        backup = self.env["danger.zone.backup"]._request(
            self, file_format=file_format, with_attachments=bool(with_attachments)
        )
        return backup.id

    def danger_zone_restore_preflight(self, file_b64, mode="replace", skip_invalid=False):
        """Check a backup against this company and say what restoring it would do; write nothing.

        :param str file_b64: the backup file (ZIP or JSON), base64-encoded. Odoo refuses a
            request body over 128 MiB: upload a larger file and use
            ``danger_zone_restore_attachment_preflight``
        :param str mode: ``"replace"`` (default) or ``"merge"`` (add only)
        :param bool skip_invalid: report invalid records as skipped instead of refusing the file
        :return: the report: ``ok``, ``errors``, ``warnings``, ``counts`` per model,
            ``missing`` models/fields/modules, ``unresolved_keys``, ``currency``,
            ``conflicts`` (merge), ``lock_dates``, ``skipped``, and for a replace ``deleted``
        :raise AccessError: when the caller does not own the company
        :raise UserError: when the file is not a valid backup
        """
        self.ensure_one()
        self._danger_zone_check_owner()
        Restore = self.env["danger.zone.restore"]
        return _without_none(Restore._preflight(self, Restore._decode(file_b64), mode, bool(skip_invalid)))

    def danger_zone_restore(self, file_b64, confirm="", mode="replace", skip_invalid=False):
        """Restore a backup into this company in the background; return the ``danger.zone.restore`` id.

        The file is checked first (see ``danger_zone_restore_preflight``) and
        refused with the reasons when it cannot be restored. A replace first
        takes a safety backup of the company. Poll the job's ``state``
        (``queued``, ``running``, ``done``, ``failed``) and read its ``report``.

        :param str file_b64: the backup file (ZIP or JSON), base64-encoded. Odoo refuses a
            request body over 128 MiB: upload a larger file and use ``danger_zone_restore_attachment``
        :param str confirm: must be ``"RESTORE"``
        :param str mode: ``"replace"`` (default: the company's business data is replaced)
            or ``"merge"`` (the backup's records are added)
        :param bool skip_invalid: leave out invalid records and what depends on them, and report them
        :raise AccessError: when the caller does not own the company
        :raise UserError: on a missing confirmation, an invalid file, or a job already running
        """
        self.ensure_one()
        self._danger_zone_check_owner()
        Restore = self.env["danger.zone.restore"]
        restore = Restore._request(
            self, Restore._decode(file_b64), mode=mode, skip_invalid=bool(skip_invalid), confirm=confirm
        )
        return restore.id

    def danger_zone_restore_attachment_preflight(self, attachment_id, mode="replace", skip_invalid=False):
        """Like ``danger_zone_restore_preflight``, for a file already here as an attachment.

        :param int attachment_id: an attachment the caller can read: a file uploaded through
            ``/danger_zone/restore/upload`` (see the README), or the file of a backup
        """
        self.ensure_one()
        self._danger_zone_check_owner()
        source = self._danger_zone_backup_source(attachment_id)
        Restore = self.env["danger.zone.restore"]
        return _without_none(Restore._preflight(self, source, mode, bool(skip_invalid)))

    def danger_zone_restore_attachment(self, attachment_id, confirm="", mode="replace", skip_invalid=False):
        """Like ``danger_zone_restore``, for a file already here as an attachment; no file
        travels in the call, so there is no limit on its size but the upload's.

        The job keeps the file (shared, not copied); a file uploaded for a restore is then
        no longer listed as an upload. Return the ``danger.zone.restore`` id.

        :param int attachment_id: an attachment the caller can read: a file uploaded through
            ``/danger_zone/restore/upload`` (see the README), or the file of a backup
        """
        self.ensure_one()
        self._danger_zone_check_owner()
        source = self._danger_zone_backup_source(attachment_id)
        restore = self.env["danger.zone.restore"]._request(
            self, source, mode=mode, skip_invalid=bool(skip_invalid), confirm=confirm
        )
        self.env["danger.zone.upload"]._taken_by_restore(source.attachment)
        return restore.id

    def _danger_zone_backup_source(self, attachment_id):
        """The attachment ``attachment_id`` as a backup source, if the caller may read it."""
        if not isinstance(attachment_id, int) or isinstance(attachment_id, bool):
            raise UserError(self.env._("The attachment must be given by its id (an integer)."))
        attachment = self.env["ir.attachment"].browse(attachment_id).exists()
        if not attachment:
            raise UserError(self.env._("There is no attachment %s.", attachment_id))
        attachment.check("read")
        attachment.check_access("read")
        if attachment.type != "binary":
            raise UserError(self.env._("Attachment %s is a link, not a file.", attachment_id))
        return BackupSource(attachment=attachment)

    def danger_zone_delete_preview(self):
        """Say what deleting this company would remove, and what stops it now; write nothing.

        :return: ``ok``, ``blockers`` (reasons, empty when the company can be deleted),
            ``counts`` per model, ``moved`` and ``archived`` (logins of the users who would
            move to another of their companies, or be archived for having none)
        :raise AccessError: when the caller does not own the company
        """
        self.ensure_one()
        self._danger_zone_check_owner()
        return _without_none(self._danger_zone_delete_preview())

    def danger_zone_delete(self, company_name, password, final_backup=True):
        """Delete this company and all its data, in the background; return the ``danger.zone.deletion`` id.

        Poll the deletion's ``state`` (``queued``, ``running``, ``done``, ``failed``);
        it stays as the record of what was deleted. A final backup is taken first and kept
        on the deletion for 24 hours (``action_download``, or the download route), and
        copied to the owner's remote storage when one is set; a final backup that fails
        deletes nothing. Users keep their accounts: those whose company it was move to
        another of their companies, those who have none left are archived.

        :param str company_name: the company's name, exactly
        :param str password: the owner's password (or an API key over XML-RPC)
        :param bool final_backup: ``False`` to decline the final backup (recorded on the deletion)
        :raise AccessError: when the caller does not own the company
        :raise UserError: on a wrong name or password, a lockout after too many wrong
            passwords, or a condition that forbids the deletion (last company, active
            subscription, job running...)
        """
        self.ensure_one()
        self._danger_zone_check_owner()
        if reasons := self._danger_zone_delete_blockers():
            raise UserError(self.env._("The company cannot be deleted:\n%s", "\n".join(reasons)))
        if (company_name or "") != self.name:
            raise UserError(
                self.env._("Type the company's name exactly as shown to confirm: %(name)s", name=self.name)
            )
        self.env["danger.zone.password.failure"]._check_password(password)
        return self.env["danger.zone.deletion"]._request(self, final_backup=final_backup).id

    # ------------------------------------------------------------------
    # Deletion: conditions, preview, users
    # ------------------------------------------------------------------
    def _danger_zone_delete_blockers(self, ignored_job=None):
        """Why this company cannot be deleted now: messages, none when it can.

        ``ignored_job``: the deletion that is checking before it runs.
        """
        self.ensure_one()
        Companies = self.sudo().with_context(active_test=False)
        reasons = []
        if not Companies.search_count([("id", "!=", self.id), ("active", "=", True)]):
            reasons.append(self.env._("It is the only active company of the database."))
        if self == self.env.ref("base.main_company", raise_if_not_found=False):
            reasons.append(self.env._("It is the database's main company, which Odoo itself relies on."))
        if branches := Companies.search([("parent_id", "=", self.id)]):
            reasons.append(
                self.env._(
                    "It has branches; delete them first: %(branches)s",
                    branches=", ".join(branches.mapped("name")),
                )
            )
        reasons += self._danger_zone_active_subscriptions()
        reasons += self.env["danger.zone.job"]._active_job_messages(self, ignored=ignored_job)
        return reasons

    def _danger_zone_active_subscriptions(self):
        """Hook: messages naming the company's active subscriptions, which forbid deleting it.

        Extend with super(). Ships one kind: running recurring sale orders. The
        subscription app keeps their state in ``sale_order.subscription_state``;
        the column is looked for in the database, whichever module adds it.
        """
        cr = self.env.cr
        if not column_exists(cr, "sale_order", "subscription_state"):
            return []
        self.env["sale.order"].flush_model()
        cr.execute(
            """SELECT name FROM sale_order WHERE company_id = %s
                AND subscription_state IN ('3_progress', '4_paused') ORDER BY id""",
            [self.id],
        )
        names = [row[0] for row in cr.fetchall()]
        if not names:
            return []
        return [
            self.env._(
                "It has %(count)s running subscriptions (recurring sale orders); close them first: %(names)s",
                count=len(names),
                names=", ".join(names[:10]),
            )
        ]

    def _danger_zone_delete_preview(self):
        return deletion_preview(self)

    def action_danger_zone_backup(self):
        """Open the Create Backup wizard (owner only)."""
        return self._danger_zone_wizard("danger.zone.backup.wizard", self.env._("Create Backup"))

    def action_danger_zone_restore(self):
        """Open the Restore Data wizard (owner only)."""
        return self._danger_zone_wizard("danger.zone.restore.wizard", self.env._("Restore Data"))

    def action_danger_zone_delete(self):
        """Open the Delete Company wizard with its preview (owner only)."""
        self.ensure_one()
        self._danger_zone_check_owner()
        wizard = self.env["danger.zone.delete.wizard"].create({"company_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Delete Company"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_danger_zone_transfer_ownership(self):
        """Open the Transfer Ownership wizard (owner only)."""
        return self._danger_zone_wizard("danger.zone.ownership.wizard", self.env._("Transfer Ownership"))

    def _danger_zone_wizard(self, model, title):
        self.ensure_one()
        self._danger_zone_check_owner()
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_company_id": self.id},
        }

    @api.model
    def _danger_zone_action_open_page(self):
        """Open Settings > Danger Zone for the current company (owner only)."""
        company = self.env.company
        company._danger_zone_check_owner()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Danger Zone"),
            "res_model": "res.company",
            "res_id": company.id,
            "view_mode": "form",
            "views": [(self.env.ref("danger_zone.res_company_view_form_danger_zone").id, "form")],
            "target": "current",
        }


def _without_none(value):
    """XML-RPC carries no null: empty values become False."""
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return False if value is None else value
