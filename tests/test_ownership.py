from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..hooks import post_init_hook
from .common import ADMIN_PASSWORD, OWNER_PASSWORD, DangerZoneUsersMixin


@tagged("post_install", "-at_install")
class TestOwnership(DangerZoneUsersMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_owner_and_others()
        cls.owner_group = cls.env.ref("danger_zone.group_danger_zone_owner")
        cls.menu = cls.env.ref("danger_zone.menu_danger_zone")

    def test_creator_owns_company(self):
        self.assertEqual(self.company.danger_zone_owner_id, self.owner)
        self.assertIn(self.owner, self.owner_group.users)
        self.assertTrue(self.company.with_user(self.owner).danger_zone_is_owner)
        self.assertFalse(self.company.with_user(self.admin).danger_zone_is_owner)

    def test_company_created_by_system_is_owned_by_admin(self):
        company = self.env["res.company"].sudo().create({"name": "System Co"})
        self.assertEqual(company.danger_zone_owner_id, self.env.ref("base.user_admin"))

    def test_install_hook_gives_existing_companies_an_owner(self):
        system_made = self.env["res.company"].sudo().create({"name": "Old System Co"})
        self.env.cr.execute(
            "UPDATE res_company SET danger_zone_owner_id = NULL, create_uid = %s WHERE id IN %s",
            [self.owner.id, (self.company.id,)],
        )
        self.env.cr.execute(
            "UPDATE res_company SET danger_zone_owner_id = NULL WHERE id = %s", [system_made.id]
        )
        self.env.invalidate_all()
        post_init_hook(self.env)
        self.assertEqual(self.company.danger_zone_owner_id, self.owner)
        self.assertEqual(system_made.danger_zone_owner_id, self.env.ref("base.user_admin"))

    def test_every_request_path_checks_the_owner(self):
        """The one request path of each job (public methods, wizards, command line, daily cron)
        refuses a non-owner, even in superuser mode, before it looks at anything else."""
        requests = {
            "danger.zone.backup": lambda Jobs: Jobs._request(self.company),
            "danger.zone.restore": lambda Jobs: Jobs._request(
                self.company, b"not a backup", confirm="RESTORE"
            ),
            "danger.zone.deletion": lambda Jobs: Jobs._request(self.company),
        }
        for model, request in requests.items():
            with self.subTest(model=model), self.assertRaises(AccessError):
                request(self.env[model].with_user(self.admin).sudo())
        Restores = self.env["danger.zone.restore"].with_user(self.owner).sudo()
        for confirm in ("", "restore", "RESTORE please"):
            with self.subTest(confirm=confirm), self.assertRaisesRegex(UserError, "Type RESTORE"):
                Restores._request(self.company, b"not a backup", confirm=confirm)

    def test_owner_cannot_be_written_directly(self):
        for user in (self.admin, self.owner):
            with self.assertRaises(AccessError):
                self.company.with_user(user).write({"danger_zone_owner_id": self.admin.id})
        with self.assertRaises(AccessError):
            self.env["res.company"].with_user(self.admin).create(
                {"name": "Sneaky Co", "danger_zone_owner_id": self.owner.id}
            )
        self.assertEqual(self.company.danger_zone_owner_id, self.owner)

    def test_transfer_ownership(self):
        self.company.with_user(self.owner).danger_zone_transfer_ownership(self.admin.id, OWNER_PASSWORD)
        self.assertEqual(self.company.danger_zone_owner_id, self.admin)
        self.assertIn(self.admin, self.owner_group.users)
        self.assertNotIn(self.owner, self.owner_group.users, "the owner owned only this company")
        with self.assertRaises(AccessError):
            self.company.with_user(self.owner).danger_zone_transfer_ownership(self.owner.id, OWNER_PASSWORD)

    def test_transfer_with_wrong_password_changes_nothing(self):
        with self.assertRaisesRegex(UserError, "password is wrong"):
            self.company.with_user(self.owner).danger_zone_transfer_ownership(self.admin.id, "wrong")
        with self.assertRaisesRegex(UserError, "Enter your password"):
            self.company.with_user(self.owner).danger_zone_transfer_ownership(self.admin.id, False)
        self.assertEqual(self.company.danger_zone_owner_id, self.owner)

    def test_transfer_by_non_owner_is_refused(self):
        with self.assertRaises(AccessError):
            self.company.with_user(self.admin).danger_zone_transfer_ownership(self.admin.id, ADMIN_PASSWORD)
        with self.assertRaises(AccessError):
            self.company.with_user(self.admin).action_danger_zone_transfer_ownership()
        self.assertEqual(self.company.danger_zone_owner_id, self.owner)

    def test_transfer_needs_a_suitable_new_owner(self):
        outsider = new_test_user(self.env, "dz_outsider", groups="base.group_user")
        portal = new_test_user(
            self.env,
            "dz_portal",
            groups="base.group_portal",
            company_ids=[(4, self.company.id)],
            company_id=self.company.id,
        )
        for candidate, message in (
            (outsider, "has no access"),
            (portal, "internal user"),
            (self.owner, "already owns"),
        ):
            with self.assertRaisesRegex(UserError, message):
                self.company.with_user(self.owner).danger_zone_transfer_ownership(
                    candidate.id, OWNER_PASSWORD
                )
        self.assertEqual(self.company.danger_zone_owner_id, self.owner)

    def test_wizard_transfers_and_forgets_password(self):
        action = self.company.with_user(self.owner).action_danger_zone_transfer_ownership()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.owner)
            .with_context(**action["context"])
            .create({"new_owner_id": self.admin.id, "password": OWNER_PASSWORD})
        )
        wizard.action_transfer()
        self.assertEqual(self.company.danger_zone_owner_id, self.admin)
        self.assertFalse(wizard.sudo().password)

    def test_wizard_is_owner_only_even_with_the_group(self):
        """An admin who grants himself the owner group still gets nothing."""
        wizard = (
            self.env["danger.zone.ownership.wizard"]
            .with_user(self.owner)
            .create({"company_id": self.company.id, "new_owner_id": self.user.id, "password": "x"})
        )
        wizard_model = self.env["danger.zone.ownership.wizard"].with_user(self.admin)
        with self.assertRaises(AccessError):  # no model access at all
            wizard_model.create({"company_id": self.company.id, "new_owner_id": self.admin.id})
        self.owner_group.sudo().users = [(4, self.admin.id)]
        with self.assertRaises(AccessError):  # record rule
            wizard.with_user(self.admin).read(["password"])
        with self.assertRaises(AccessError):  # create() guard
            wizard_model.create({"company_id": self.company.id, "new_owner_id": self.admin.id})
        self.assertFalse(wizard_model.search([]))

    def test_page_action_opens_current_company_for_owner_only(self):
        action = self.env["res.company"].with_user(self.owner).with_company(self.company)
        result = action._danger_zone_action_open_page()
        self.assertEqual((result["res_model"], result["res_id"]), ("res.company", self.company.id))
        for user in (self.admin, self.user):
            with self.assertRaises(AccessError):
                self.env["res.company"].with_user(user).with_company(
                    self.company
                )._danger_zone_action_open_page()

    def test_menu_visible_to_owner_only(self):
        menus = self.env["ir.ui.menu"]
        self.assertIn(self.menu.id, menus.with_user(self.owner)._visible_menu_ids())
        for user in (self.admin, self.user):
            self.assertNotIn(self.menu.id, menus.with_user(user)._visible_menu_ids())
