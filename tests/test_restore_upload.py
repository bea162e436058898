import hashlib
import io
import os
import tempfile
from urllib.parse import urlencode

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import ADMIN_PASSWORD, OWNER_PASSWORD
from .restore_case import RestoreCase, fingerprint
from .test_encryption import age_in_terminal

ROUTE = "/danger_zone/restore/upload"
API_ROUTE = "/danger_zone/api/restore/upload"
DECRYPT_ROUTE = "/danger_zone/restore/decrypt"
DOWNLOAD_ROUTE = "/danger_zone/backup/download"
PASSPHRASE = "a passphrase only the owner knows"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


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

    def post(self, route, **data):
        return self.url_open(
            route, data={"csrf_token": http.Request.csrf_token(self), **data}, allow_redirects=False
        )

    def download(self, backup, passphrase="", again=None):
        again = passphrase if again is None else again
        return self.post(
            DOWNLOAD_ROUTE,
            model=backup._name,
            record_id=backup.id,
            passphrase=passphrase,
            passphrase_again=again,
        )

    @mute_logger("odoo.addons.danger_zone.controllers.main")
    def test_a_backup_downloaded_encrypted_with_a_passphrase_is_restored_with_it(self):
        """The owner downloads the backup as it is, or encrypted with a passphrase typed twice:
        Debian's age opens that file with the passphrase. Uploaded for a restore, the file is
        known as encrypted and refused until decrypted; a wrong passphrase changes nothing; the
        right one gives back the backup, which restores with the source's fingerprint."""
        backup = self.env["danger.zone.backup"].search([("company_id", "=", self.company.id)], limit=1)
        self.authenticate(self.owner.login, OWNER_PASSWORD)
        response = self.download(backup)
        self.assertEqual(response.content, self.content)
        self.assertIn(backup.file_name, response.headers["Content-Disposition"])

        for again, message in (("another one", "The two passphrases differ"), (None, None)):
            response = self.download(backup, PASSPHRASE, again)
            if message:
                self.assertIn(message, response.text)
        self.assertIn(f"{backup.file_name}.age", response.headers["Content-Disposition"])
        encrypted = response.content
        self.assertTrue(encrypted.startswith(b"age-encryption.org/v1\n-> scrypt "))
        downloads = backup.with_user(self.owner).download_ids.sorted("id")
        self.assertEqual(
            [(d.user_id, d.remote_address, d.file_name, d.encrypted, d.checksum) for d in downloads],
            [
                (self.owner, "127.0.0.1", backup.file_name, False, sha256(self.content)),
                (self.owner, "127.0.0.1", f"{backup.file_name}.age", True, sha256(encrypted)),
            ],
            "each download recorded with what was sent; the refused one not",
        )
        with tempfile.TemporaryDirectory() as folder:
            path, plain = os.path.join(folder, "backup.zip.age"), os.path.join(folder, "backup.zip")
            with open(path, "wb") as file:
                file.write(encrypted)
            status, output = age_in_terminal(["--decrypt", "-o", plain, path], [PASSPHRASE])
            self.assertEqual(status, 0, output)
            with open(plain, "rb") as file:
                self.assertEqual(file.read(), self.content)

        answer = self.upload(self.company, encrypted).json()
        self.assertTrue(answer["encrypted"])
        upload = self.env["danger.zone.upload"].browse(answer["upload_id"])
        target = self.new_company("DZ Decrypted Co")
        with self.assertRaisesRegex(UserError, r"encrypted \(age\): decrypt it first"):
            self.as_owner(target).danger_zone_restore_attachment_preflight(answer["attachment_id"])
        before = self.files_and_uploads()
        response = self.post(DECRYPT_ROUTE, upload_id=upload.id, passphrase="wrong")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "The backup cannot be decrypted: the passphrase is wrong.")
        self.assertEqual(self.files_and_uploads(), before)
        self.assertEqual((upload.attachment_id.id, upload.encrypted), (answer["attachment_id"], True))

        response = self.post(DECRYPT_ROUTE, upload_id=upload.id, passphrase=PASSPHRASE)
        self.assertEqual(response.status_code, 200, response.text)
        decrypted = response.json()
        self.assertEqual((decrypted["upload_id"], decrypted["size"]), (upload.id, len(self.content)))
        self.env.invalidate_all()
        self.assertFalse(upload.encrypted)
        self.assertEqual(self.files_and_uploads(), before, "the encrypted file replaced, not kept")
        restore_id = self.call_as_owner(
            "danger_zone_restore_attachment", target, decrypted["attachment_id"], confirm="RESTORE"
        )
        self.env["danger.zone.restore"]._cron_process_queue()
        restore = self.env["danger.zone.restore"].browse(restore_id)
        self.assertEqual(restore.state, "done", restore.error)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), self.source_fingerprint)

    @mute_logger("odoo.http", "odoo.addons.danger_zone.controllers.main")
    def test_downloads_and_decryptions_are_the_owners_alone(self):
        backup = self.env["danger.zone.backup"].search([("company_id", "=", self.company.id)], limit=1)
        self.authenticate(self.owner.login, OWNER_PASSWORD)
        upload_id = self.upload(self.company, self.content).json()["upload_id"]
        response = self.post(DECRYPT_ROUTE, upload_id=upload_id, passphrase=PASSPHRASE)
        self.assertEqual(response.status_code, 400)
        self.assertIn("is not encrypted", response.json()["error"])
        self.authenticate(self.admin.login, ADMIN_PASSWORD)
        for passphrase in ("", PASSPHRASE):
            response = self.download(backup, passphrase)
            self.assertNotIn(b"PK", response.content[:4])
            self.assertIn("odoo.exceptions.AccessError", response.text)
        response = self.post(DECRYPT_ROUTE, upload_id=upload_id, passphrase=PASSPHRASE)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(backup.download_ids, "a refused download is not one")
        self.assertFalse(
            self.env["danger.zone.backup.download"].with_user(self.admin).search([]),
            "the owner alone reads the downloads",
        )
        response = self.post(DOWNLOAD_ROUTE, model="res.users", record_id=self.admin.id)
        self.assertIn("There is no backup file on res.users", response.text)
        self.authenticate(None, None)
        response = self.download(backup)
        self.assertNotEqual(response.content, self.content, "not signed in: no file")

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
