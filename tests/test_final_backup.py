"""A deletion first takes a final backup of the company, kept on the deletion for whoever asked
for it after the company is gone: downloadable for 24 hours, encrypted to the owner's key and
copied to their storage when they set them. Declining it is recorded; a final backup that fails
deletes nothing."""

import hashlib
import io
import logging
import shutil
import tempfile
import unittest
from datetime import timedelta
from pathlib import Path

from freezegun import freeze_time
from pyrage import decrypt, x25519

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..engine import open_backup
from .common import OWNER_PASSWORD, forget_password_failures
from .restore_case import RestoreCase, fingerprint
from .test_alerts import AlertCase


class FinalBackupCase(RestoreCase, AlertCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner.password = OWNER_PASSWORD

    def setUp(self):
        super().setUp()
        self.addCleanup(forget_password_failures, self.env, self.owner)

    def delete(self, final_backup=True):
        """Ask for the deletion of the company as its owner, and run it as the cron would."""
        deletion_id = self.company.with_user(self.owner).danger_zone_delete(
            self.company.name, OWNER_PASSWORD, final_backup=final_backup
        )
        self.env["danger.zone.deletion"]._cron_process_queue()
        return self.env["danger.zone.deletion"].with_user(self.owner).browse(deletion_id)

    def download(self, deletion):
        file, _name, size = deletion._download_file(remote_address="127.0.0.1")
        with file:
            content = file.read()
        self.assertEqual(len(content), size)
        return content


@tagged("post_install", "-at_install")
class TestFinalBackup(FinalBackupCase):
    def test_the_final_backup_outlives_the_company_and_restores_it(self):
        company_id, target = self.company.id, self.new_company("DZ Reborn Co")
        with self.mock_mail_gateway():
            deletion = self.delete()

        self.assertEqual(deletion.state, "done", deletion.error)
        self.assertFalse(self._new_mails, "a deletion that runs is not taken for an interrupted one")
        self.assertFalse(self.company.exists())
        self.assertFalse(self.env["danger.zone.backup"].search([("company_id", "=", company_id)]))
        self.assertTrue(deletion.final_backup)
        self.assertAlmostEqual(
            deletion.expires_at, fields.Datetime.now() + timedelta(hours=24), delta=timedelta(minutes=5)
        )
        self.assertFalse(deletion.attachment_id.sudo().company_id, "of no company: the file stays")
        content = self.download(deletion)
        self.assertEqual(hashlib.sha256(content).hexdigest(), deletion.checksum)
        self.assertEqual(
            [(d.user_id, d.remote_address, d.file_name, d.checksum) for d in deletion.download_ids],
            [(self.owner, "127.0.0.1", deletion.file_name, deletion.checksum)],
            "the download is recorded on the deletion",
        )
        for other in (self.other_owner, self.admin):
            with self.assertRaises(AccessError):
                deletion.with_user(other)._download_file()

        restore = self.restore(target, content)
        self.assertEqual(restore.state, "done", restore.error)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), self.source_fingerprint, "the final backup is the company")

        with freeze_time(fields.Datetime.now() + timedelta(hours=25)):
            self.env["danger.zone.backup"]._cron_expire()
            self.assertFalse(deletion.attachment_id)
            with self.assertRaisesRegex(UserError, "its 24 hours are over"):
                deletion._download_file()
        self.assertEqual(deletion.checksum, hashlib.sha256(content).hexdigest(), "what it was stays told")

    def test_declining_the_final_backup_is_recorded(self):
        action = self.company.with_user(self.owner).action_danger_zone_delete()
        wizard = self.env[action["res_model"]].with_user(self.owner).browse(action["res_id"])
        self.assertTrue(wizard.final_backup, "taken unless the owner unticks it")
        wizard.write({"confirm_name": self.company.name, "password": OWNER_PASSWORD, "final_backup": False})
        # logging.INFO: Odoo names its level 25 "INFO" too
        with self.assertLogs("odoo.addons.danger_zone.models.danger_zone_deletion", logging.INFO) as logs:
            wizard.action_delete()
            self.env["danger.zone.deletion"]._cron_process_queue()
        deletion = self.env["danger.zone.deletion"].with_user(self.owner).search([], limit=1)
        self.assertEqual(deletion.state, "done", deletion.error)
        self.assertEqual(
            (deletion.final_backup, bool(deletion.attachment_id), deletion.file_name), (False, False, False)
        )
        self.assertIn(f"asked by {self.owner.login}, declining the final backup", logs.output[0])
        self.assertIn("final backup: declined by the owner", logs.output[-1])
        with self.assertRaisesRegex(UserError, "the owner declined it"):
            deletion._download_file()

    def test_a_final_backup_that_fails_deletes_nothing(self):
        moves = self.env["account.move"].search_count([("company_id", "=", self.company.id)])
        # a key that is no age key (the form refuses one): the encryption fails
        self.env.cr.execute(
            "UPDATE res_company SET danger_zone_backup_recipient = 'age1broken' WHERE id = %s",
            [self.company.id],
        )
        self.company.invalidate_recordset()
        with mute_logger("odoo.addons.danger_zone.models.danger_zone_job"), self.mock_mail_gateway():
            deletion = self.delete()
        self.assertEqual(deletion.state, "failed")
        self.assertIn("The final backup failed, so nothing was deleted", deletion.error)
        self.assertTrue(self.company.exists())
        self.assertEqual(self.env["account.move"].search_count([("company_id", "=", self.company.id)]), moves)
        self.assertEqual(self.env["danger.zone.backup"].search([], limit=1).trigger, "final")
        self.assertAlerted(
            f"Danger Zone: the deletion of {self.company.name} failed", "The final backup failed"
        )


@tagged("post_install", "-at_install")
class TestFinalBackupOffSite(FinalBackupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "fs.storage" not in cls.env:
            raise unittest.SkipTest("fs_storage is not installed (scripts/test.sh installs it)")

    def test_the_final_backup_is_encrypted_to_the_owners_key_and_copied_to_the_storage(self):
        root = Path(tempfile.mkdtemp(prefix="dz-final-"))
        self.addCleanup(shutil.rmtree, root)
        self.env["fs.storage"].create(
            {"name": "Final", "code": "dz_final", "protocol": "file", "directory_path": str(root)}
        )
        identity = x25519.Identity.generate()
        self.company.with_user(self.owner).write(
            {
                "danger_zone_backup_recipient": str(identity.to_public()),
                "danger_zone_backup_storage": "dz_final",
            }
        )

        deletion = self.delete()

        self.assertEqual(deletion.state, "done", deletion.error)
        self.assertEqual(deletion.encrypted_to, str(identity.to_public()))
        path = f"{self.env.cr.dbname}/{deletion.file_name}"
        self.assertEqual((deletion.copy_state, deletion.copy_location), ("copied", f"dz_final: {path}"))
        content = self.download(deletion)
        self.assertTrue(content.startswith(b"age-encryption.org/v1\n-> X25519 "))
        self.assertEqual((root / path).read_bytes(), content, "the copy outlives the company too")
        reader = open_backup(io.BytesIO(decrypt(content, [identity])))
        reader.verify()
        self.assertEqual(reader.manifest["source"]["company_name"], "DZ Backup Co")
        with self.assertRaisesRegex(UserError, "encrypted to your public key already"):
            deletion._download_file("a passphrase", "a passphrase")
