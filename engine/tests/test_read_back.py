import os
import tempfile
import unittest
import zipfile

from .. import BackupFormatError, open_backup, write_backup
from ..read_back import ReadBack
from .test_archive import PARTNERS, make_manifest, record_line

MEMBER = "data/res.partner.jsonl"


class ReadBackCase(unittest.TestCase):
    def setUp(self):
        super().setUp()
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.path = os.path.join(folder.name, "backup.zip")

    def write_backup(self, read_back, before_read_back=None):
        """A backup of PARTNERS at ``self.path``, each member read back as soon as it is closed."""

        def member_closed(info):
            if before_read_back:
                before_read_back(info)
            read_back.member_closed(info)

        with open(self.path, "wb") as output:
            writer = write_backup(output, member_closed=member_closed)
            with writer.member(MEMBER) as sink:
                for record in PARTNERS * 500:
                    sink.add(record_line(record))
            writer.close(make_manifest({MEMBER: sink.summary()}))

    def check(self, read_back):
        with open(self.path, "rb") as stream:
            return read_back.check(open_backup(stream))

    def test_members_are_read_back_while_writing(self):
        with ReadBack(self.path) as read_back:
            self.write_backup(read_back)
            self.assertEqual(self.check(read_back), {MEMBER})

    def test_bytes_changed_on_disk_are_found(self):
        def flip_a_byte(info):
            with open(self.path, "r+b") as raw:
                raw.seek(info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 40)
                byte = raw.read(1)
                raw.seek(-1, 1)
                raw.write(bytes([byte[0] ^ 0xFF]))

        with (
            ReadBack(self.path) as read_back,
            self.assertRaisesRegex(BackupFormatError, "CRC-32|invalid|read back"),
        ):
            self.write_backup(read_back, flip_a_byte)
            self.check(read_back)

    def test_a_directory_pointing_elsewhere_is_found(self):
        with ReadBack(self.path) as read_back:
            self.write_backup(read_back)
            self.assertEqual(self.check(read_back), {MEMBER}, "read back before the file moves")
            with zipfile.ZipFile(self.path) as original, zipfile.ZipFile(self.path + ".moved", "w") as moved:
                moved.writestr("files/" + "0" * 40, b"pushes the member further")
                for info in original.infolist():
                    moved.writestr(info, original.read(info))
            os.replace(self.path + ".moved", self.path)
            with self.assertRaisesRegex(BackupFormatError, "does not point at the member read back"):
                self.check(read_back)
