"""Failed password confirmations, counted in the database so that a lockout holds in every worker."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessDenied, UserError
from odoo.sql_db import db_connect

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=30)  # a failure counts for this long


class DangerZonePasswordFailure(models.Model):
    """One wrong password given to confirm a Danger Zone action (delete, transfer).

    Rows are read and written on a connection of their own, committed at
    once: the request's transaction is rolled back by the very error that
    reports the wrong password, and must not hide failures that other workers
    just recorded.
    """

    _name = "danger.zone.password.failure"
    _description = "Danger Zone: wrong password confirmation"
    _log_access = False
    _order = "failed_at desc"

    # An integer, not a many2one: a key on res_users would make the separate connection wait
    # for, or miss, a user that the request's transaction holds or has just created.
    user_id = fields.Integer(required=True, index=True)
    failed_at = fields.Datetime(required=True)

    @api.model
    def _check_password(self, password):
        """Raise UserError unless ``password`` is the current user's password or API key.

        Wrong passwords are counted in the database: after a few, the user is
        locked out for a while, whichever worker or address they come from.
        """
        user = self.env.user
        Failures = self.sudo()
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

    @api.model
    def _check_not_locked(self, user):
        """Raise UserError while ``user`` has given too many wrong passwords lately."""
        recent = self._recent_failures(user)
        if len(recent) < MAX_FAILURES:
            return
        unlocked_at = recent[MAX_FAILURES - 1] + LOCKOUT
        minutes = max(1, round((unlocked_at - fields.Datetime.now()).total_seconds() / 60))
        raise UserError(
            self.env._(
                "Too many wrong passwords: Danger Zone confirmations are locked for your user. "
                "Try again in %(minutes)s minutes.",
                minutes=minutes,
            )
        )

    @api.model
    def _attempts_left(self, user):
        return max(0, MAX_FAILURES - len(self._recent_failures(user)))

    @api.model
    def _record(self, user):
        with self._own_cursor() as cr:
            cr.execute(
                """INSERT INTO danger_zone_password_failure (user_id, failed_at)
                   VALUES (%s, now() AT TIME ZONE 'UTC')""",
                [user.id],
            )

    @api.model
    def _forget(self, user):
        """A right password clears the count."""
        with self._own_cursor() as cr:
            cr.execute("DELETE FROM danger_zone_password_failure WHERE user_id = %s", [user.id])

    @api.model
    def _recent_failures(self, user):
        """Times of the user's failures that still count, newest first."""
        with self._own_cursor() as cr:
            cr.execute(
                """SELECT failed_at FROM danger_zone_password_failure
                    WHERE user_id = %s AND failed_at > (now() AT TIME ZONE 'UTC') - %s
                    ORDER BY failed_at DESC""",
                [user.id, LOCKOUT],
            )
            return [row[0] for row in cr.fetchall()]

    @api.autovacuum
    def _gc_old_failures(self):
        """Failures stop counting after LOCKOUT: the daily vacuum forgets them."""
        self.env.cr.execute(
            "DELETE FROM danger_zone_password_failure WHERE failed_at < (now() AT TIME ZONE 'UTC') - %s",
            [LOCKOUT],
        )

    def _own_cursor(self):
        return db_connect(self.env.cr.dbname).cursor()  # commits when the block ends
