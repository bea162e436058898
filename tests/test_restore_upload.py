import io
import os
from urllib.parse import urlencode

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import ADMIN_PASSWORD, OWNER_PASSWORD
from .restore_case import RestoreCase, fingerprint

ROUTE = "/danger_zone/restore/upload"
API_ROUTE = "/danger_zone/api/restore/upload"


@tagged("post_install", "-at_install")
class TestRestoreUpload(RestoreCase, HttpCase):
    """The upload route, through Odoo's real HTTP server, and the restore of an uploaded file."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner.password, cls.admin.password = OWNER_PASSWORD, ADMIN_PASSWORD

    def upload(self, company, content, route=ROUTE, csrf=True, headers=None):
        return self.url_open(
            f"{route}?{urlencode({'company_id': company.id})}",
            data={"csrf_token": http.Request.csrf_token(self)} if csrf else {},
            files={"ufile": ("company.zip", content, "application/zip")},
            headers=headers,
            allow_redirects=False,
        )

    def call_as_owner(self, method, company, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname,
            self.owner.id,
            OWNER_PASSWORD,
            "res.company",
            method,
            [[company.id], *args],
            kwargs,
        )

    def files_and_uploads(self):
        self.env.invalidate_all()
        return (
            self.env["ir.attachment"].sudo().search_count([]),
            self.env["danger.zone.upload"].sudo().search_count([]),
        )

    def test_the_owner_uploads_a_file_and_restores_it_by_its_attachment(self):
        target = self.new_company("DZ Uploaded Co")
        self.authenticate(self.owner.login, OWNER_PASSWORD)
        response = self.upload(self.company, self.content)
        self.assertEqual(response.status_code, 200, response.text)
        answer = response.json()
        upload = self.env["danger.zone.upload"].browse(answer["upload_id"])
        self.assertEqual(
            (answer["size"], upload.attachment_id.id), (len(self.content), answer["attachment_id"])
        )
        self.assertEqual(upload.attachment_id.sudo().raw, self.content)
        with self.assertRaises(AccessError, msg="the uploaded file is the owner's alone"):
            upload.attachment_id.with_user(self.admin).read(["name"])

        report = self.call_as_owner(
            "danger_zone_restore_attachment_preflight", target, answer["attachment_id"]
        )
        self.assertTrue(report["ok"], report["errors"])
        stored = upload.attachment_id.sudo().store_fname
        restore_id = self.call_as_owner(
            "danger_zone_restore_attachment", target, answer["attachment_id"], confirm="RESTORE"
        )
        restore = self.env["danger.zone.restore"].browse(restore_id)
        self.assertFalse(upload.exists(), "the restore took the upload's file over")
        self.assertEqual(restore.attachment_id.sudo().store_fname, stored, "shared, not copied")
        self.env["danger.zone.restore"]._cron_process_queue()
        self.assertEqual(restore.state, "done", restore.error)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), self.source_fingerprint)

    def test_a_backup_kept_here_restores_by_its_attachment(self):
        target = self.new_company("DZ From A Kept Backup Co")
        backup = self.env["danger.zone.backup"].search([("company_id", "=", self.company.id)], limit=1)
        restore_id = target.with_user(self.owner).danger_zone_restore_attachment(
            backup.attachment_id.id, confirm="RESTORE"
        )
        self.env["danger.zone.restore"]._cron_process_queue()
        restore = self.env["danger.zone.restore"].browse(restore_id)
        self.assertEqual(restore.state, "done", restore.error)
        self.assertTrue(backup.attachment_id.sudo().raw, "the backup keeps its file")
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), self.source_fingerprint)

    def test_an_attachment_the_caller_cannot_read_or_that_is_not_a_file_is_refused(self):
        backup = self.env["danger.zone.backup"].search([("company_id", "=", self.company.id)], limit=1)
        link = (
            self.env["ir.attachment"]
            .with_user(self.other_owner)
            .create({"name": "a link", "type": "url", "url": "https://example.com"})
        )
        Restores = self.env["danger.zone.restore"]
        before = Restores.search_count([])
        other = self.other_company.with_user(self.other_owner)
        for attachment_id, error, message in (
            (backup.attachment_id.id, AccessError, "Otto Other"),
            (link.id, UserError, "a link, not a file"),
            (10**9, UserError, "There is no attachment"),
            ("1", UserError, "by its id"),
        ):
            with self.subTest(attachment_id=attachment_id):
                with self.assertRaisesRegex(error, message):
                    other.danger_zone_restore_attachment(attachment_id, confirm="RESTORE")
                with self.assertRaisesRegex(error, message):
                    other.danger_zone_restore_attachment_preflight(attachment_id)
        with self.assertRaises(AccessError):
            self.company.with_user(self.other_owner).danger_zone_restore_attachment(
                backup.attachment_id.id, confirm="RESTORE"
            )
        self.assertEqual(Restores.search_count([]), before)

    @mute_logger("odoo.http", "odoo.addons.danger_zone.controllers.main")
    def test_uploads_without_a_token_by_others_or_over_the_limit_are_refused_and_write_nothing(self):
        before = self.files_and_uploads()
        response = self.upload(self.company, self.content, csrf=False)
        self.assertEqual(response.status_code, 303, "not signed in: to the login page")

        self.authenticate(self.owner.login, OWNER_PASSWORD)
        response = self.upload(self.company, self.content, csrf=False)
        self.assertEqual(response.status_code, 400)
        self.assertIn("CSRF", response.text)

        response = self.upload(self.other_company, self.content)
        self.assertEqual(response.status_code, 403)
        self.assertIn("Only the owner of DZ Other Co", response.json()["error"])

        self.env["ir.config_parameter"].sudo().set_param("danger_zone.upload_limit_mb", "0.001")
        response = self.upload(self.company, os.urandom(100 * 1024))
        self.assertEqual(response.status_code, 413, "refused before the body is read")
        self.assertRegex(
            response.json()["error"],
            r"^The file is [\d.]+ KB, above the limit of 1\.0 KB "
            r"\(system parameter danger_zone\.upload_limit_mb\)\.$",
        )

        self.authenticate(self.admin.login, ADMIN_PASSWORD)
        response = self.upload(self.company, self.content)
        self.assertEqual(response.status_code, 403, "an administrator is no owner")
        self.assertEqual(self.files_and_uploads(), before)

    def test_a_file_larger_than_announced_is_stopped_at_the_limit(self):
        """A body without its length passes the first check: reading stops at the limit."""
        self.env["ir.config_parameter"].sudo().set_param("danger_zone.upload_limit_mb", "0.001")
        Uploads = self.env["danger.zone.upload"].with_user(self.owner)
        refusal = r"^The file is larger than the limit of 1\.0 KB \(system parameter danger_zone\."
        with self.assertRaisesRegex(UserError, refusal):
            Uploads._receive(self.company, io.BytesIO(self.content), "company.zip")
        self.assertFalse(Uploads.search_count([]))

    @mute_logger("odoo.http")
    def test_scripts_upload_with_an_api_key_and_no_session(self):
        response = self.upload(self.company, self.content, route=API_ROUTE, csrf=False)
        self.assertEqual(response.status_code, 401, "no key, no session")
        self.authenticate(self.owner.login, OWNER_PASSWORD)
        response = self.upload(self.company, self.content, route=API_ROUTE)
        self.assertEqual(response.status_code, 403, "a session without a navigation: forged")
        self.authenticate(None, None)
        api_key = self.env["res.users.apikeys"].with_user(self.owner)._generate("rpc", "dz upload", None)
        response = self.upload(
            self.company,
            self.content,
            route=API_ROUTE,
            csrf=False,
            headers={"Authorization": f"Bearer {api_key}"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        attachment = self.env["ir.attachment"].sudo().browse(response.json()["attachment_id"])
        self.assertEqual(attachment.raw, self.content)
