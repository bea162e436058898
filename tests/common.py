from odoo.tests import new_test_user

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
