import logging

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_datetime, plaintext2html

from ..services import encryption
from ..services.history_chart import history_chart
from ..services.reference_indexes import index_references

_logger = logging.getLogger(__name__)

OWNER_GROUP = "danger_zone.group_danger_zone_owner"
HISTORY_LENGTH = 30  # backups drawn on the page
KEPT_PERIODS = ("danger_zone_backup_keep_weeks", "danger_zone_backup_keep_months")
# The Danger Zone settings of a company, which its owner alone changes.
OWNER_SETTINGS = frozenset(
    {
        "danger_zone_daily_backup",
        "danger_zone_backup_retention_days",
        "danger_zone_backup_keep_weeks",
        "danger_zone_backup_keep_months",
        "danger_zone_backup_recipient",
        "danger_zone_backup_storage",
        "danger_zone_alert_days",
    }
)


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
    danger_zone_download_ids = fields.One2many(
        "danger.zone.backup.download", "company_id", string="Downloads", readonly=True, groups=OWNER_GROUP
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
    danger_zone_backup_keep_weeks = fields.Integer(
        string="Keep Weekly Backups (weeks)",
        groups=OWNER_GROUP,
        help="Also keep the newest daily backup of each of this many weeks, this one included.",
    )
    danger_zone_backup_keep_months = fields.Integer(
        string="Keep Monthly Backups (months)",
        groups=OWNER_GROUP,
        help="Also keep the newest daily backup of each of this many months, this one included.",
    )
    danger_zone_backup_recipient = fields.Char(
        string="Encrypt Daily Backups To",
        groups=OWNER_GROUP,
        help="Your age public key (age1..., from age-keygen): daily backups, and the final backup "
        "taken before a deletion, are encrypted to it, and "
        "only its identity file opens them (age --decrypt -i key.txt, or the command line's restore "
        "--identity). The secret key is never given to Odoo: a lost identity file means lost backups.",
    )
    danger_zone_backup_storage = fields.Selection(
        selection="_danger_zone_storage_selection",
        string="Copy Backups To",
        groups=OWNER_GROUP,
        help="A storage of the module fs_storage (SFTP, S3, a folder...), set up by an administrator: "
        "each backup is copied there, read back and compared by SHA-256. The copies are kept as the "
        "daily backups are (the days, weeks and months above), whether the backup was daily or not.",
    )
    danger_zone_storage_available = fields.Boolean(
        compute="_compute_danger_zone_storage_available",
        help="Whether the module fs_storage, which sends the copies, is installed.",
    )
    danger_zone_copy_ids = fields.One2many(
        "danger.zone.backup.copy", "company_id", string="Remote Copies", readonly=True, groups=OWNER_GROUP
    )
    danger_zone_alert_days = fields.Integer(
        string="Alert Without a Daily Backup For (days)",
        default=2,
        groups=OWNER_GROUP,
        help="You get an email and an activity when no daily backup has succeeded for this many days "
        "(0: never). Failed backups, copies, restores and deletions are always told.",
    )
    danger_zone_last_trial = fields.Char(
        "Last Trial Restore",
        compute="_compute_danger_zone_last_checks",
        groups=OWNER_GROUP,
        help="Every night, the newest daily backup goes through the restore's full check, rolled back.",
    )
    danger_zone_last_copy = fields.Char(
        "Last Remote Copy", compute="_compute_danger_zone_last_checks", groups=OWNER_GROUP
    )
    danger_zone_backup_chart = fields.Html(
        "Backup History",
        compute="_compute_danger_zone_backup_chart",
        sanitize=False,  # drawn here from numbers and escaped text (services/history_chart.py)
        groups=OWNER_GROUP,
        help="The last backups: the height of a bar is the file's size, its colour the outcome.",
    )
    danger_zone_is_owner = fields.Boolean(
        compute="_compute_danger_zone_is_owner",
        help="Whether the current user owns this company.",
    )

    def _register_hook(self):
        super()._register_hook()
        index_references(self.env)

    @api.depends_context("uid")
    def _compute_danger_zone_is_owner(self):
        for company in self:
            company.danger_zone_is_owner = company.danger_zone_owner_id == self.env.user

    def _compute_danger_zone_last_checks(self):
        Backups, Copies = self.env["danger.zone.backup"].sudo(), self.env["danger.zone.backup.copy"].sudo()
        for company in self:
            checked = Backups.search(
                [("company_id", "=", company.id), ("trial_checked_at", "!=", False)],
                order="trial_checked_at desc, id desc",
                limit=1,
            )
            copy = Copies.search([("company_id", "=", company.id)], limit=1)
            company.danger_zone_last_trial = bool(checked) and self.env._(
                "%(state)s, checked on %(when)s%(why)s",
                state=_label(checked, "trial_state"),
                when=format_datetime(self.env, checked.trial_checked_at),
                why=f": {checked.trial_error}" if checked.trial_error else "",
            )
            company.danger_zone_last_copy = bool(copy) and self.env._(
                "%(state)s, to %(storage)s on %(when)s%(why)s",
                state=_label(copy, "state"),
                storage=copy.storage_code,
                when=format_datetime(self.env, copy.create_date),
                why=f": {copy.error}" if copy.error else "",
            )

    def _compute_danger_zone_backup_chart(self):
        Backups = self.env["danger.zone.backup"].sudo()
        for company in self:
            last = Backups.search([("company_id", "=", company.id)], limit=HISTORY_LENGTH)  # newest first
            company.danger_zone_backup_chart = bool(last) and history_chart(
                [
                    (format_datetime(self.env, backup.create_date), backup.file_size, backup.state)
                    for backup in reversed(last)
                ]
            )

    def _compute_danger_zone_storage_available(self):
        self.danger_zone_storage_available = "fs.storage" in self.env

    @api.model
    def _danger_zone_storage_selection(self):
        if "fs.storage" not in self.env:
            return []
        return [(storage.code, storage.name) for storage in self.env["fs.storage"].sudo().search([])]

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
        if any(vals.get(name, 0) < 0 for name in KEPT_PERIODS):
            raise UserError(self.env._("Weekly and monthly backups are kept for zero periods or more."))
        if vals.get("danger_zone_alert_days", 0) < 0:
            raise UserError(self.env._("The days before an alert are zero (never) or more."))
        if vals.get("danger_zone_backup_recipient"):
            vals = dict(vals, danger_zone_backup_recipient=vals["danger_zone_backup_recipient"].strip())
            try:
                encryption.recipients([vals["danger_zone_backup_recipient"]])
            except encryption.EncryptionError as error:
                raise UserError(str(error)) from None
        result = super().write(vals)
        if "danger_zone_owner_id" in vals:
            self._danger_zone_sync_owner_group()
        return result

    def _danger_zone_check_owner_only_fields(self, vals):
        if OWNER_SETTINGS & set(vals):
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

    def _danger_zone_alert(self, subject, body, user=None):
        """Tell the owner (or ``user``) that something went wrong: an email through the mail
        queue, and an activity on the company's contact (res.company has no chatter; its partner
        does), one per subject while it is open."""
        self.ensure_one()
        company = self.sudo()
        user = (user or company.danger_zone_owner_id).sudo()
        if not user:
            return
        mail_server = self.env["ir.mail_server"].sudo().with_company(company)
        self.env["mail.mail"].sudo().create(
            {
                "subject": subject,
                "body_html": plaintext2html(body),
                "email_from": mail_server._get_default_from_address() or user.email_formatted,
                "recipient_ids": [Command.link(user.partner_id.id)],
            }
        )
        partner = company.partner_id
        if not partner.activity_ids.filtered(
            lambda activity: (activity.summary, activity.user_id) == (subject, user)
        ):
            partner.activity_schedule(
                "mail.mail_activity_data_warning", summary=subject, note=body, user_id=user.id
            )

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
        self.env["danger.zone.password.failure"]._check_password(password)
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


def _label(record, field_name):
    """The label of a selection field's value, in the user's language."""
    return dict(record._fields[field_name]._description_selection(record.env))[record[field_name]]
