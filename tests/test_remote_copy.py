"""Remote copies through the OCA's fs_storage: against a real OpenSSH SFTP server on 127.0.0.1
(started by scripts/test.sh, which gives its port and key in DZ_SFTP_*) and a local folder."""

import hashlib
import io
import os
import shutil
import socket
import tempfile
import unittest
from datetime import datetime, timedelta
from pathlib import Path

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..engine import open_backup
from ..services import remote_copy
from .test_alerts import AlertCase


@tagged("post_install", "-at_install")
class TestRemoteCopy(AlertCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "fs.storage" not in cls.env:
            raise unittest.SkipTest("fs_storage is not installed (scripts/test.sh installs it)")
        if not os.environ.get("DZ_SFTP_PORT"):
            raise unittest.SkipTest("no SFTP server (scripts/test.sh starts one and sets DZ_SFTP_*)")
        cls.sftp_root = Path(os.environ["DZ_SFTP_ROOT"])
        cls.sftp = cls._storage("dz_sftp", "sftp", cls._sftp_options(int(os.environ["DZ_SFTP_PORT"])))

    def setUp(self):
        super().setUp()
        self.local_root = Path(tempfile.mkdtemp(prefix="dz-copies-"))
        self.addCleanup(shutil.rmtree, self.local_root)
        self.local = self._storage("dz_local", "file", {}, directory=self.local_root)

    @classmethod
    def _sftp_options(cls, port):
        return {
            "host": "127.0.0.1",
            "port": port,
            "username": os.environ["DZ_SFTP_USER"],
            "key_filename": os.environ["DZ_SFTP_KEY"],
        }

    @classmethod
    def _storage(cls, code, protocol, options, directory=None):
        return cls.env["fs.storage"].create(
            {
                "name": code.replace("_", " ").title(),
                "code": code,
                "protocol": protocol,
                "json_options": options,
                "directory_path": str(directory or cls.sftp_root),
            }
        )

    def copy_to(self, storage):
        self.company.with_user(self.owner).danger_zone_backup_storage = storage.code
        backup = self.backup()
        return backup, backup.copy_ids

    def test_each_backup_is_copied_to_sftp_and_read_back(self):
        """Only the owner chooses the storage; the copy on the SFTP server is the backup, byte for
        byte, and opens as one; the owner alone sees it."""
        choices = dict(self.env["res.company"]._danger_zone_storage_selection())
        self.assertEqual((choices["dz_sftp"], choices["dz_local"]), ("Dz Sftp", "Dz Local"))
        with self.assertRaises(AccessError):
            self.company.with_user(self.admin).danger_zone_backup_storage = "dz_sftp"
        backup, copy = self.copy_to(self.sftp)
        self.assertEqual((copy.state, copy.storage_code), ("copied", "dz_sftp"), copy.error)
        self.assertEqual(backup.copy_state, "copied")
        self.assertEqual(copy.path, f"{self.env.cr.dbname}/{backup.file_name}")
        on_server = (self.sftp_root / copy.path).read_bytes()
        self.assertEqual(on_server, backup.attachment_id.sudo().raw)
        self.assertEqual(hashlib.sha256(on_server).hexdigest(), copy.checksum)
        self.assertEqual((copy.checksum, copy.file_size), (backup.checksum, backup.file_size))
        open_backup(io.BytesIO(on_server)).verify()
        self.assertEqual(self.company.with_user(self.owner).danger_zone_copy_ids, copy)
        with self.assertRaises(AccessError):
            copy.with_user(self.other_owner).read(["path"])
        with self.assertRaises(AccessError):
            copy.with_user(self.owner).unlink()

    def test_a_copy_that_reads_back_different_fails_and_the_backup_stays(self):
        """The backup's file changed on the disk after it was built (the SHA-256 on record is
        the built file's): the copy read back is not the backup, and says so."""
        self.company.with_user(self.owner).danger_zone_backup_storage = self.local.code
        backup = self.backup()
        stored = backup.attachment_id.sudo()
        file = Path(stored._full_path(stored.store_fname))
        self.addCleanup(file.write_bytes, file.read_bytes())
        file.write_bytes(b"not the backup any more")
        copy = self.env["danger.zone.backup.copy"]._send(backup)
        self.assertEqual(copy.state, "failed")
        self.assertIn("is not the backup", copy.error)
        self.assertEqual((backup.state, backup.copy_state), ("done", "failed"))
        with self.assertRaises(remote_copy.CopyMismatch):  # nor is the file left there
            remote_copy.verify(self.local.fs, copy.path, backup.checksum)

    def test_an_unreachable_storage_fails_the_copy_visibly(self):
        closed_port = self._closed_port()
        down = self._storage("dz_down", "sftp", self._sftp_options(closed_port))
        with self.mock_mail_gateway():
            backup, copy = self.copy_to(down)
        self.assertEqual((backup.state, copy.state, backup.copy_state), ("done", "failed", "failed"))
        self.assertRegex(copy.error, "Unable to connect|Connection refused|NoValidConnections")
        subject = f"Danger Zone: the copy of a backup of {self.company.name} to dz_down failed"
        self.assertAlerted(subject, f"Unable to connect to port {closed_port}")

    def _closed_port(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def test_copies_are_kept_by_days_weeks_and_months_over_a_year(self):
        """A backup copied to the local storage every day of a year, the expiry run every day:
        the copies left on the storage are those of the last 7 days and the newest of each of
        the last 4 weeks and 3 months; the others are deleted from it and listed as removed."""
        self.company.with_user(self.owner).write(
            {
                "danger_zone_backup_storage": self.local.code,
                "danger_zone_backup_retention_days": 7,
                "danger_zone_backup_keep_weeks": 4,
                "danger_zone_backup_keep_months": 3,
            }
        )
        Backups, Copies = self.env["danger.zone.backup"].sudo(), self.env["danger.zone.backup.copy"]
        start = datetime(2026, 1, 1, 2, 30)
        for day in range(365):
            now = start + timedelta(days=day)
            with freeze_time(now):
                Copies._send(self._stored_backup(Backups, now, f"day {day}".encode()))
                Backups._cron_expire()
        copies = Copies.sudo().search([("company_id", "=", self.company.id)])
        self.assertEqual(set(copies.mapped("state")), {"copied", "removed"})
        kept = copies.filtered(lambda copy: copy.state == "copied")
        moments = sorted(copies.mapped("copied_at"))
        newest_of_week = {moment.isocalendar()[:2]: moment for moment in moments}
        newest_of_month = {moment.month: moment for moment in moments}
        expected = {moment for moment in moments if moment >= now - timedelta(days=7)}
        expected |= {newest_of_week[(now - timedelta(weeks=back)).isocalendar()[:2]] for back in range(4)}
        expected |= {newest_of_month[month] for month in (10, 11, 12)}
        self.assertEqual(sorted(kept.mapped("copied_at")), sorted(expected))
        on_storage = {str(path.relative_to(self.local_root)) for path in self.local_root.rglob("*.zip")}
        self.assertEqual(on_storage, set(kept.mapped("path")))

    def _stored_backup(self, Backups, now, content):
        """A done daily backup whose file is ``content`` (the copy does not open it)."""
        backup = Backups.create(
            {
                "company_id": self.company.id,
                "requested_by_id": self.owner.id,
                "trigger": "daily",
                "state": "done",
                "finished_at": now,
                "file_name": f"danger-zone-{self.company.id}-{now:%Y%m%d-%H%M%S}.zip",
                "checksum": hashlib.sha256(content).hexdigest(),
                "expires_at": now + timedelta(days=7),
            }
        )
        backup.attachment_id = self.env["ir.attachment"].create(
            {"name": backup.file_name, "raw": content, "res_model": backup._name, "res_id": backup.id}
        )
        return backup
