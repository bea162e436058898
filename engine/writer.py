"""Write backup files, streaming: a ZIP of JSON Lines or one JSON document (see ``file_format``)."""

import base64
import contextlib
import hashlib
import json

from .file_format import FORMAT, FORMAT_VERSION, MANIFEST_NAME, canonical_json
from .zip_stream import ZipStreamWriter


class MemberSink:
    """Receives one member's records as JSON text lines, hashing and counting them."""

    def __init__(self, name, write_raw):
        self.name = name
        self.count = 0
        self.bytes = 0
        self._hash = hashlib.sha256()
        self._write_raw = write_raw

    def add(self, line):
        """Append one record, given as a JSON array (or object) on a single line (str or bytes)."""
        if isinstance(line, str):
            line = line.encode()
        if b"\n" in line or not line.startswith((b"[", b"{")):
            raise ValueError(f"{self.name}: a record must be one JSON array on one line")
        self.add_lines(line + b"\n")

    def add_lines(self, chunk, count_lines=True):
        """Append records already laid out as JSON Lines (``chunk`` ends with a newline or
        continues in the next call). For trusted producers such as PostgreSQL's COPY.
        ``count_lines=False``: the producer counts its records (``records_added``)."""
        self._write_raw(chunk)
        self._hash.update(chunk)
        if count_lines:
            self.count += chunk.count(b"\n")
        self.bytes += len(chunk)

    def records_added(self, count):
        """Count records added uncounted (COPY reports how many rows it sent)."""
        self.count += count

    def summary(self):
        return {"count": self.count, "sha256": self._hash.hexdigest(), "bytes": self.bytes}


class _ZipWriter:
    def __init__(self, fileobj, compresslevel, member_closed=None):
        self._fileobj = fileobj
        self._zip = ZipStreamWriter(fileobj, compresslevel)
        self._member_closed = member_closed

    @contextlib.contextmanager
    def member(self, name):
        with self._zip.member(name) as stream:
            yield MemberSink(name, stream.write)
        if self._member_closed:
            self._fileobj.flush()  # the member, its header completed, on disk for a reader
            self._member_closed(stream.info)

    def add_file(self, checksum, chunks):
        with self._zip.member(f"files/{checksum}") as stream:
            for chunk in chunks:
                stream.write(chunk)

    def close(self, manifest):
        with self._zip.member(MANIFEST_NAME) as stream:
            stream.write(canonical_json(manifest))
        self._zip.close()


class _JsonWriter:
    """Writes the single-JSON variant; commas lead structural lines so it can stream."""

    def __init__(self, fileobj, format_version):
        self._out = fileobj
        self._out.write(
            b'{"format":"%s","format_version":%d,\n"members":{' % (FORMAT.encode(), format_version)
        )
        self._members = 0
        self._files = 0

    @contextlib.contextmanager
    def member(self, name):
        self._out.write(b"\n%s%s:[\n" % (b"," if self._members else b"", json.dumps(name).encode()))
        self._members += 1
        held = [b""]  # the last chunk waits: its final comma must go

        def write_raw(chunk):
            self._out.write(held[0])
            held[0] = chunk.replace(b"\n", b",\n")

        yield MemberSink(name, write_raw)
        last = held[0]
        self._out.write((last[:-2] + b"\n" if last.endswith(b",\n") else last) + b"]")

    def add_file(self, checksum, chunks):
        if not self._files:
            self._out.write(b'\n},\n"files":{')
        encoded = base64.b64encode(b"".join(chunks))
        self._out.write(b'\n%s"%s":"%s"' % (b"," if self._files else b"", checksum.encode(), encoded))
        self._files += 1

    def close(self, manifest):
        if not self._files:
            self._out.write(b'\n},\n"files":{')
        self._out.write(b'\n},\n"manifest":' + canonical_json(manifest) + b"\n}\n")


def write_backup(fileobj, as_json=False, compresslevel=1, format_version=FORMAT_VERSION, member_closed=None):
    """Return a writer for ``fileobj`` (a binary file open for writing).

    Use ``with writer.member(name) as sink: sink.add(line)`` for each member,
    ``writer.add_file(sha1, chunks)`` for attachment contents, then
    ``writer.close(manifest)``. A ZIP's members are deflated at ISA-L's level 1
    (``zip_stream.py``), faster than the disk and shrinking JSON Lines about thirtyfold.
    ``member_closed(zipinfo)`` is called once each data member of a ZIP is on disk
    (``read_back.ReadBack``).
    """
    if as_json:
        return _JsonWriter(fileobj, format_version)
    return _ZipWriter(fileobj, compresslevel, member_closed)
