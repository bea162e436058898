import io

from odoo.tests import HttpCase, tagged

from ..services import age_passphrase
from .common import DangerZoneUsersMixin


@tagged("post_install", "-at_install")
class TestDangerZoneUi(DangerZoneUsersMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_owner_and_others()

    def test_owner_opens_danger_zone_from_settings(self):
        self.start_tour("/odoo/settings", "danger_zone_settings_page", login="dz_owner")

    def test_owner_sets_daily_backups_alerts_and_remote_copies(self):
        self.env["fs.storage"].create(
            {"name": "Tour Copies", "code": "dz_tour", "protocol": "memory", "directory_path": "/copies"}
        )
        self.start_tour("/odoo/settings", "danger_zone_backup_settings", login="dz_owner")
        settings = self.company.read(
            ["danger_zone_daily_backup", "danger_zone_alert_days", "danger_zone_backup_storage"]
        )[0]
        self.assertEqual(
            [settings[name] for name in ("danger_zone_daily_backup", "danger_zone_alert_days")], [True, 3]
        )
        self.assertEqual(settings["danger_zone_backup_storage"], "dz_tour")

    def test_owner_sees_the_last_trial_restore_and_copy(self):
        self.env["fs.storage"].create(
            {"name": "Tour Copies", "code": "dz_tour", "protocol": "memory", "directory_path": "/copies"}
        )
        self.company.with_user(self.owner).danger_zone_backup_storage = "dz_tour"
        Backups = self.env["danger.zone.backup"]
        daily = Backups.with_user(self.owner).sudo()._request(self.company, trigger="daily")
        Backups._cron_process_queue()
        Backups._cron_trial_restore()
        self.assertEqual((daily.trial_state, daily.copy_state), ("restorable", "copied"), daily.trial_error)
        self.start_tour("/odoo/settings", "danger_zone_trial_and_copy_status", login="dz_owner")

    def test_owner_requests_a_backup_and_sees_it_ready(self):
        self.owner.groups_id |= self.env.ref("account.group_account_manager")
        self.start_tour("/odoo/settings", "danger_zone_backup_request", login="dz_owner")
        backup = self.env["danger.zone.backup"].search([("company_id", "=", self.company.id)])
        self.assertEqual((backup.state, backup.with_attachments), ("queued", True))
        self.env["danger.zone.backup"]._cron_process_queue()
        self.assertEqual(backup.state, "done", backup.error)
        self.start_tour("/odoo/settings", "danger_zone_backup_ready", login="dz_owner")

    def _backup_content(self):
        """A backup of the owner's company (with a chart of accounts), as bytes."""
        self.owner.groups_id |= self.env.ref("account.group_account_manager")
        self.env["account.chart.template"].try_loading("generic_coa", self.company, install_demo=False)
        backup_id = self.company.with_user(self.owner).danger_zone_backup()
        self.env["danger.zone.backup"]._cron_process_queue()
        return self.env["danger.zone.backup"].browse(backup_id).attachment_id.sudo().raw

    def test_owner_restores_a_backup_from_the_wizard(self):
        content = self._backup_content()
        self.env["ir.attachment"].with_user(self.owner).create(
            {"name": "danger_zone_tour_backup.zip", "raw": content}
        )
        self.start_tour("/odoo/settings", "danger_zone_restore_request", login="dz_owner")
        restore = self.env["danger.zone.restore"].search([("company_id", "=", self.company.id)])
        self.assertEqual((restore.state, restore.mode), ("queued", "replace"))
        self.assertEqual(restore.file_name, "danger_zone_tour_backup.zip", "uploaded through the route")
        self.assertEqual(restore.attachment_id.sudo().raw, content)
        self.assertFalse(self.env["danger.zone.upload"].search_count([]), "the restore took the upload")
        self.env["danger.zone.restore"]._cron_process_queue()
        self.assertEqual(restore.state, "done", restore.error)
        self.start_tour("/odoo/settings", "danger_zone_restore_done", login="dz_owner")

    def test_owner_decrypts_an_uploaded_backup_with_its_passphrase(self):
        content = self._backup_content()
        encrypted = io.BytesIO()
        age_passphrase.encrypt(io.BytesIO(content), encrypted, "correct horse battery staple")
        self.env["ir.attachment"].with_user(self.owner).create(
            {"name": "danger_zone_tour_backup.zip.age", "raw": encrypted.getvalue()}
        )
        self.start_tour("/odoo/settings", "danger_zone_restore_encrypted", login="dz_owner")
        upload = self.env["danger.zone.upload"].search([("company_id", "=", self.company.id)])
        self.assertEqual((upload.file_name, upload.encrypted), ("danger_zone_tour_backup.zip", False))
        self.assertEqual(upload.attachment_id.sudo().raw, content)
        self.assertFalse(self.env["danger.zone.restore"].search_count([]), "checked, not restored")

    def test_owner_deletes_the_company_from_the_wizard(self):
        self.start_tour("/odoo/settings", "danger_zone_delete_request", login="dz_owner")
        deletion = self.env["danger.zone.deletion"].search([("company_name", "=", self.company.name)])
        self.assertEqual(deletion.state, "queued")
        self.env["danger.zone.deletion"]._cron_process_queue()
        self.assertEqual(deletion.state, "done", deletion.error)
        self.assertFalse(self.company.exists())
        self.assertEqual(self.user.company_id, self.env.ref("base.main_company"), "moved, not deleted")
        self.assertTrue(deletion.final_backup and deletion.attachment_id)
        self.start_tour(
            f"/odoo/danger-zone-deletions/{deletion.id}",
            "danger_zone_final_backup_download",
            login="dz_owner",
        )
        self.assertEqual(
            [(d.user_id, d.file_name, d.checksum) for d in deletion.download_ids],
            [(self.owner, deletion.file_name, deletion.checksum)],
        )

    def test_menu_follows_the_current_company(self):
        other = self.env.ref("base.main_company")
        self.owner.company_ids |= other
        hidden = "danger_zone_menu_hidden_for_other_company"
        self.start_tour(f"/odoo/settings?cids={other.id}", hidden, login="dz_owner")
        self.start_tour(
            f"/odoo/settings?cids={self.company.id}", "danger_zone_settings_page", login="dz_owner"
        )

    def test_admin_does_not_see_danger_zone_menu(self):
        menus = self.env["ir.ui.menu"].with_user(self.admin).load_web_menus(False)
        self.assertNotIn("danger_zone.menu_danger_zone", {m.get("xmlid") for m in menus.values()})
        owner_menus = self.env["ir.ui.menu"].with_user(self.owner).load_web_menus(False)
        self.assertIn("danger_zone.menu_danger_zone", {m.get("xmlid") for m in owner_menus.values()})
