from odoo.tests import new_test_user
from odoo.tools import SQL

OWNER_PASSWORD = "owner-Pa55word"
ADMIN_PASSWORD = "admin-Pa55word"
USER_PASSWORD = "user-Pa55word"


class DangerZoneUsersMixin:
    """Company A owned by ``owner``; ``admin`` (Settings) and ``user`` can use it but do not own it."""

    @classmethod
    def _setup_owner_and_others(cls):
        env = cls.env
        cls.owner = new_test_user(
            env,
            "dz_owner",
            groups="base.group_system,base.group_partner_manager",
            password=OWNER_PASSWORD,
            name="Olivia Owner",
        )
        cls.company = env["res.company"].with_user(cls.owner).create({"name": "Danger Zone Test Co"})
        cls.owner.write({"company_ids": [(4, cls.company.id)]})
        cls.admin = new_test_user(
            env,
            "dz_admin",
            groups="base.group_system,base.group_erp_manager",
            password=ADMIN_PASSWORD,
            name="Adam Admin",
            company_ids=[(4, cls.company.id), (4, env.company.id)],
            company_id=cls.company.id,
        )
        cls.user = new_test_user(
            env,
            "dz_user",
            groups="base.group_user",
            password=USER_PASSWORD,
            name="Uma User",
            company_ids=[(4, cls.company.id), (4, env.company.id)],
            company_id=cls.company.id,
        )
        cls.owner.write({"company_id": cls.company.id})

    def setUp(self):
        super().setUp()
        self.addCleanup(forget_password_failures, self.env, self.owner, self.admin, self.user)


def forget_password_failures(env, *users):
    """Failed password attempts are committed on their own connection: a test clears its own."""
    Failures = env["danger.zone.password.failure"]
    for user in users:
        Failures._forget(user)


def dangling_references(cr):
    """[(table, column, count)] of the foreign keys whose values point to no row."""
    cr.execute(
        """SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, ra.attname
             FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1 ORDER BY 1, 2"""
    )
    found = []
    for table, column, referenced, referenced_column in cr.fetchall():
        cr.execute(
            SQL(
                """SELECT count(*) FROM %s t WHERE t.%s IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM %s r WHERE r.%s = t.%s)""",
                SQL.identifier(table),
                SQL.identifier(column),
                SQL.identifier(referenced),
                SQL.identifier(referenced_column),
                SQL.identifier(column),
            )
        )
        if count := cr.fetchone()[0]:
            found.append((table, column, count))
    return found
