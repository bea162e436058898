import io
import os
import unittest
import zipfile

from ..zip_stream import ZipStreamWriter


def write_archive(members, fileobj=None):
    """An archive of ``members`` ({name: list of chunks}) written by ZipStreamWriter."""
    fileobj = fileobj or io.BytesIO()
    writer = ZipStreamWriter(fileobj)
    infos = {}
    for name, chunks in members.items():
        with writer.member(name) as stream:
            for chunk in chunks:
                stream.write(chunk)
        infos[name] = stream.info
    writer.close()
    return fileobj, infos


class ZipStreamCase(unittest.TestCase):
    def test_zipfile_reads_every_member_back(self):
        lines = [b'[%d,"line %d"]\n' % (number, number) for number in range(20_000)]
        members = {
            "data/res.partner.jsonl": [b"".join(lines[i : i + 700]) for i in range(0, len(lines), 700)],
            "empty.jsonl": [],
            "files/" + "a" * 40: [os.urandom(100_000)],  # incompressible
            "données/é.jsonl": [b"[1]\n"],
        }
        archive, infos = write_archive(members)
        with zipfile.ZipFile(archive) as reader:
            self.assertIsNone(reader.testzip(), "every CRC-32 matches")
            self.assertEqual(reader.namelist(), list(members))
            for name, chunks in members.items():
                self.assertEqual(reader.read(name), b"".join(chunks))
                info = reader.getinfo(name)
                self.assertEqual(info.compress_type, zipfile.ZIP_DEFLATED)
                self.assertEqual(
                    (info.header_offset, info.CRC, info.file_size, info.compress_size),
                    (infos[name].header_offset, infos[name].CRC, infos[name].file_size,
                     infos[name].compress_size),
                )  # fmt: skip
        data = members["data/res.partner.jsonl"]
        self.assertLess(infos["data/res.partner.jsonl"].compress_size * 3, len(b"".join(data)), "deflated")

    def test_local_headers_are_completed(self):
        """The local header (what a streaming reader and ReadBack see) holds the final CRC and sizes."""
        archive, infos = write_archive({"a.jsonl": [b"[1]\n" * 1000]})
        info = infos["a.jsonl"]
        archive.seek(info.header_offset)
        header = archive.read(30 + len(b"a.jsonl") + 20)
        self.assertEqual(header[:4], b"PK\x03\x04")
        self.assertEqual(int.from_bytes(header[14:18], "little"), info.CRC)
        zip64_sizes = header[30 + len(b"a.jsonl") + 4 :]
        self.assertEqual(int.from_bytes(zip64_sizes[:8], "little"), info.file_size)
        self.assertEqual(int.from_bytes(zip64_sizes[8:], "little"), info.compress_size)

    def test_more_members_than_a_plain_directory_can_count(self):
        """Over 65,535 members (one file per attachment) need the ZIP64 end records."""
        names = [f"files/{number:040x}" for number in range(70_000)]
        archive, _infos = write_archive(dict.fromkeys(names, [b"x"]))
        with zipfile.ZipFile(archive) as reader:
            self.assertEqual(len(reader.infolist()), 70_000)
            self.assertEqual(reader.read(names[-1]), b"x")

    def test_archive_after_other_bytes(self):
        """Offsets count from where the archive starts in the file."""
        fileobj = io.BytesIO()
        fileobj.write(b"prefix")
        archive, _infos = write_archive({"a.jsonl": [b"[1]\n"]}, fileobj)
        with zipfile.ZipFile(io.BytesIO(archive.getvalue()[len(b"prefix") :])) as reader:
            self.assertEqual(reader.read("a.jsonl"), b"[1]\n")

    def test_refusals(self):
        writer = ZipStreamWriter(io.BytesIO())
        with writer.member("a.jsonl") as stream:
            stream.write(b"[1]\n")
        with self.assertRaisesRegex(ValueError, "written twice"), writer.member("a.jsonl"):
            pass
        with self.assertRaisesRegex(ValueError, "one ZIP member"), writer.member("b.jsonl"):
            with writer.member("c.jsonl"):
                pass

        class Pipe(io.RawIOBase):
            def writable(self):
                return True

        with self.assertRaisesRegex(ValueError, "seekable"):
            ZipStreamWriter(Pipe())
