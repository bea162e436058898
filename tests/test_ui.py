from odoo.tests import HttpCase, tagged

from .common import DangerZoneUsersMixin


@tagged("post_install", "-at_install")
class TestDangerZoneUi(DangerZoneUsersMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_owner_and_others()

    def test_owner_opens_danger_zone_from_settings(self):
        self.start_tour("/odoo/settings", "danger_zone_settings_page", login="dz_owner")

    def test_admin_does_not_see_danger_zone_menu(self):
        menus = self.env["ir.ui.menu"].with_user(self.admin).load_web_menus(False)
        self.assertNotIn("danger_zone.menu_danger_zone", {m.get("xmlid") for m in menus.values()})
        owner_menus = self.env["ir.ui.menu"].with_user(self.owner).load_web_menus(False)
        self.assertIn("danger_zone.menu_danger_zone", {m.get("xmlid") for m in owner_menus.values()})
