import logging

from odoo import api, fields, models
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.tools.sql import column_exists

from ..services.company_deletion import CompanyDeletion
from ..services.company_users import CompanyUsers

_logger = logging.getLogger(__name__)

OWNER_GROUP = "danger_zone.group_danger_zone_owner"


class ResCompany(models.Model):
    _inherit = "res.company"

    danger_zone_owner_id = fields.Many2one(
        "res.users",
        string="Owner",
        readonly=True,
        copy=False,
        ondelete="restrict",
        help="The user who created the company. Only the owner can use the "
        "company's Danger Zone and transfer ownership.",
    )
    danger_zone_backup_ids = fields.One2many(
        "danger.zone.backup", "company_id", string="Backups", readonly=True, groups=OWNER_GROUP
    )
    danger_zone_restore_ids = fields.One2many(
        "danger.zone.restore", "company_id", string="Restores", readonly=True, groups=OWNER_GROUP
    )
    danger_zone_deletion_ids = fields.Many2many(
        "danger.zone.deletion",
        compute="_compute_danger_zone_deletion_ids",
        string="Deletions",
        help="The company deletions you asked for, in any company.",
    )
    danger_zone_daily_backup = fields.Boolean(
        string="Daily Backup", groups=OWNER_GROUP, help="Back up the company's business data every night."
    )
    danger_zone_backup_retention_days = fields.Integer(
        string="Keep Daily Backups (days)",
        default=7,
        groups=OWNER_GROUP,
        help="Daily backups are deleted after this many days.",
    )
    danger_zone_is_owner = fields.Boolean(
        compute="_compute_danger_zone_is_owner",
        help="Whether the current user owns this company.",
    )

    @api.depends_context("uid")
    def _compute_danger_zone_is_owner(self):
        for company in self:
            company.danger_zone_is_owner = company.danger_zone_owner_id == self.env.user

    @api.depends_context("uid")
    def _compute_danger_zone_deletion_ids(self):
        deletions = self.env["danger.zone.deletion"].search([("requested_by_id", "=", self.env.uid)])
        for company in self:
            company.danger_zone_deletion_ids = deletions

    # ------------------------------------------------------------------
    # ORM guards: the owner is set at creation and changed only by transfer
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any("danger_zone_owner_id" in vals for vals in vals_list):
            raise AccessError(self.env._("The owner of a new company is the user who creates it."))
        default_owner = self._danger_zone_default_owner()
        for vals in vals_list:
            vals.setdefault("danger_zone_owner_id", default_owner.id)
        companies = super().create(vals_list)
        companies._danger_zone_sync_owner_group()
        return companies

    def write(self, vals):
        if "danger_zone_owner_id" in vals and not self.env.su:
            raise AccessError(
                self.env._("A company's owner can only be changed by the owner, with Transfer Ownership.")
            )
        if not self.env.su:
            self._danger_zone_check_owner_only_fields(vals)
        if vals.get("danger_zone_backup_retention_days", 1) < 1:
            raise UserError(self.env._("Daily backups must be kept at least one day."))
        result = super().write(vals)
        if "danger_zone_owner_id" in vals:
            self._danger_zone_sync_owner_group()
        return result

    def _danger_zone_check_owner_only_fields(self, vals):
        if {"danger_zone_daily_backup", "danger_zone_backup_retention_days"} & set(vals):
            self._danger_zone_check_owner()
        if "active" in vals:
            self.filtered(lambda company: company.active != bool(vals["active"]))._danger_zone_check_owner(
                self.env._("Only the owner of %(company)s (%(owner)s) can archive or unarchive it.")
            )

    def unlink(self):
        """Companies are deleted by their owner through the Danger Zone, never by ``unlink``.

        The deletion job deletes in SQL after checking the owner, the name and the
        password, so no caller of ours needs ``unlink``; Odoo 18 itself never calls it
        on a company outside its tests. Refused in superuser mode too: module
        uninstallation, which deletes a module's records under a savepoint, keeps the
        company and goes on.
        """
        if self:
            raise UserError(
                self.env._(
                    "Companies are deleted by their owner only, in Settings → Danger Zone → "
                    "Delete Company, after typing the company's name and their password."
                )
            )
        return super().unlink()

    @api.model
    def _danger_zone_default_owner(self):
        user = self.env.user
        if user._is_superuser() or not user._is_internal():
            return self.env.ref("base.user_admin", raise_if_not_found=False) or user
        return user

    def _danger_zone_sync_owner_group(self):
        """Make the owner group hold exactly the users who own a company.

        The group only drives menu visibility and model access; every action
        still checks ownership of the very company it acts on.
        """
        group = self.env.ref(OWNER_GROUP, raise_if_not_found=False)
        if not group:  # during this addon's own installation
            return
        all_companies = self.sudo().with_context(active_test=False).search([])
        owners = all_companies.danger_zone_owner_id
        if group.sudo().users != owners:
            group.sudo().write({"users": [fields.Command.set(owners.ids)]})

    # ------------------------------------------------------------------
    # Ownership checks
    # ------------------------------------------------------------------
    def _danger_zone_check_owner(self, message=None):
        """Raise AccessError unless the current user owns every company of ``self``.

        ``message``: what to say instead, with the placeholders ``company`` and ``owner``.
        """
        for company in self.sudo():
            if company.danger_zone_owner_id != self.env.user:
                raise AccessError(
                    (
                        message
                        or self.env._("Only the owner of %(company)s (%(owner)s) can use its Danger Zone.")
                    )
                    % {
                        "company": company.name,
                        "owner": company.danger_zone_owner_id.name or self.env._("nobody"),
                    }
                )

    def _danger_zone_check_password(self, password):
        """Raise UserError unless ``password`` is the current user's password or API key.

        Wrong passwords are counted in the database: after a few, the user is
        locked out for a while, whichever worker or address they come from.
        """
        user = self.env.user
        Failures = self.env["danger.zone.password.failure"].sudo()
        Failures._check_not_locked(user)
        if not password:
            raise UserError(self.env._("Enter your password to confirm."))
        credential = {"type": "password", "password": password, "login": user.login}
        try:
            user._check_credentials(credential, {"interactive": False})
        except AccessDenied:
            Failures._record(user)
            raise UserError(
                self.env._(
                    "The password is wrong (%(left)s attempts left before a lockout).",
                    left=Failures._attempts_left(user),
                )
            ) from None
        Failures._forget(user)

    # ------------------------------------------------------------------
    # Public API (UI buttons and XML-RPC): every method checks ownership
    # ------------------------------------------------------------------
    def danger_zone_transfer_ownership(self, new_owner_id, password):
        """Make another user the owner of this company.

        Only the current owner can do it, after re-entering their password
        (or an API key over XML-RPC). The new owner must be an active
        internal user with access to the company.

        :param int new_owner_id: id of the ``res.users`` who becomes the owner
        :param str password: the current owner's password
        :raise AccessError: when the caller does not own the company
        :raise UserError: on a wrong password or an unsuitable new owner
        """
        self.ensure_one()
        self._danger_zone_check_owner()
        self._danger_zone_check_password(password)
        new_owner = self.env["res.users"].sudo().browse(new_owner_id).exists()
        self._danger_zone_check_new_owner(new_owner)
        previous_owner = self.danger_zone_owner_id
        self.sudo().danger_zone_owner_id = new_owner
        _logger.info(
            "Danger Zone: ownership of company %s (id %s) moved from user %s to user %s",
            self.name,
            self.id,
            previous_owner.login,
            new_owner.login,
        )
        return True

    def _danger_zone_check_new_owner(self, new_owner):
        if not new_owner or not new_owner.active or not new_owner._is_internal():
            raise UserError(self.env._("The new owner must be an active internal user."))
        if self not in new_owner.company_ids:
            raise UserError(
                self.env._("%(user)s has no access to %(company)s.", user=new_owner.name, company=self.name)
            )
        if new_owner == self.danger_zone_owner_id:
            raise UserError(
                self.env._("%(user)s already owns %(company)s.", user=new_owner.name, company=self.name)
            )

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

        :param str file_b64: the backup file (ZIP or JSON), base64-encoded
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

        :param str file_b64: the backup file (ZIP or JSON), base64-encoded
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

    def danger_zone_delete(self, company_name, password):
        """Delete this company and all its data, in the background; return the ``danger.zone.deletion`` id.

        Poll the deletion's ``state`` (``queued``, ``running``, ``done``, ``failed``);
        it stays as the record of what was deleted. Users keep their accounts: those
        whose company it was move to another of their companies, those who have none
        left are archived.

        :param str company_name: the company's name, exactly
        :param str password: the owner's password (or an API key over XML-RPC)
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
        self._danger_zone_check_password(password)
        return self.env["danger.zone.deletion"]._request(self).id

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
        company = self.sudo()
        savepoint = self.env.cr.savepoint()  # the temporary tables of the dry run go with it
        try:
            deletion = CompanyDeletion(company.env, company)
            counts = deletion.collect()
            blockers = self._danger_zone_delete_blockers()
            if deletion.blockers:
                blockers.append(self._danger_zone_format_blockers(deletion.blockers))
        finally:
            savepoint.close(rollback=True)
        moved, archived = CompanyUsers(self).to_release()
        return {
            "ok": not blockers,
            "blockers": blockers,
            "counts": counts,
            "moved": moved.mapped("login"),
            "archived": archived.mapped("login"),
        }

    def _danger_zone_format_blockers(self, blockers):
        """Rows that other companies or everybody keep and that point to this company's data."""
        lines = [self.env._("Records that stay (of other companies, or shared) use this company's data:")]
        for model, column, target, ids in blockers:
            records = self.env[model].sudo().browse(ids[:5])
            lines.append(
                self.env._(
                    "- %(count)s %(model)s (%(names)s) point to %(target)s records with %(field)s",
                    count=len(ids),
                    model=self.env[model]._description,
                    names=", ".join(str(name) for name in records.mapped("display_name")),
                    target=self.env[target]._description,
                    field=column,
                )
            )
        return "\n".join(lines)

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
