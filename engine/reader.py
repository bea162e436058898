"""Read backup files, streaming, with limits against hostile input (see ``file_format``)."""

import base64
import hashlib
import io
import itertools
import json
import zipfile

from .errors import BackupFormatError
from .file_format import FILE_RE, FORMAT, MANIFEST_NAME, READABLE_VERSIONS, parse_member_name
from .manifest import validate_manifest
from .parsing import Limits, checked_parser, parse_checked, parse_record, parse_values
from .validation import check_record

_MIB = 1 << 20


class RecordBatch:
    """Records of one member read together. In format 2 each is the list of its values in the
    member's column order (``names``): a batch is checked a column at a time, and a dictionary
    per record would cost more than parsing its line. In format 1 each is a dictionary
    (``names`` None)."""

    __slots__ = ("names", "rows")

    def __init__(self, names, rows):
        self.names = names
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def records(self):
        """The records as dictionaries."""
        if self.names is None:
            return self.rows
        return [dict(zip(self.names, row, strict=True)) for row in self.rows]

    def values(self, name):
        """The value of field ``name`` of each record (None where a record has none)."""
        if self.names is None:
            return [record.get(name) for record in self.rows]
        if name not in self.names:
            return [None] * len(self.rows)
        position = self.names.index(name)
        return [row[position] for row in self.rows]


class _BackupReader:
    """Common part of the ZIP and JSON readers: checks and record iteration."""

    def __init__(self, limits):
        self.limits = limits
        self.manifest = None

    def member_names(self):
        raise NotImplementedError

    def _member_lines(self, name):
        raise NotImplementedError

    def file_checksums(self):
        raise NotImplementedError

    def read_file(self, checksum):
        raise NotImplementedError

    def lines(self, name):
        """The record lines of member ``name`` as stored (bytes, no newline), unparsed."""
        return self._member_lines(name)

    def columns(self, name):
        """The order of the values of member ``name``'s records, or None (format version 1)."""
        if self.manifest.get("format_version") == 1:
            return None
        return next(member["columns"] for member in self.manifest["members"] if member["name"] == name)

    def records(self, name, checked=False):
        """Yield the parsed records of member ``name``, as dictionaries.

        ``checked``: every line passed the strict parse already (nesting,
        duplicate keys, constants), so plain ``orjson.loads`` reads it.
        """
        columns = self.columns(name)
        if checked:
            yield from map(checked_parser(columns), self._member_lines(name))
            return
        for number, line in enumerate(self._member_lines(name), start=1):
            yield parse_record(line, self.limits, f"{name}, line {number}", columns)

    def verified_records(self, name, checked=False):
        """``records``, then the member's count and hash checked against the manifest as
        ``verify`` checks them: one reading of the member for both. The check comes after
        the last record: whatever was done with the records must wait for it."""
        digest, count = hashlib.sha256(), 0
        columns = self.columns(name)
        parse_line = checked_parser(columns)
        for number, line in enumerate(self._member_lines(name), start=1):
            digest.update(line)
            digest.update(b"\n")
            count += 1
            if checked:
                yield parse_line(line)
            else:
                yield parse_record(line, self.limits, f"{name}, line {number}", columns)
        self._check_totals(name, digest, count)

    def verified_batches(self, name, size, checked=False):
        """``verified_records`` ``size`` at a time, as ``RecordBatch``es: in format 2 each record
        the list of its values, never a dictionary (the hash checked after the last batch)."""
        columns = self.columns(name)
        if columns is None:  # format 1: the records are dictionaries already
            records = self.verified_records(name, checked)
            while batch := list(itertools.islice(records, size)):
                yield RecordBatch(None, batch)
            return
        names, width, digest, count = tuple(columns), len(columns), hashlib.sha256(), 0
        lines = self._member_lines(name)
        while chunk := list(itertools.islice(lines, size)):
            digest.update(b"\n".join(chunk) + b"\n")
            if checked:
                rows = list(map(parse_checked, chunk))
            else:
                rows = [
                    self._values(name, count + number, line, width) for number, line in enumerate(chunk, 1)
                ]
            count += len(chunk)
            yield RecordBatch(names, rows)
        self._check_totals(name, digest, count)

    def _values(self, name, number, line, width):
        try:
            return parse_values(line, self.limits, width)
        except BackupFormatError as error:
            raise BackupFormatError(f"{name}, line {number}: {error}") from None

    def verify(self, parse_records=True, read_later=()):
        """Check every member against the manifest: presence, count, hash, and each record's
        JSON and value types unless ``parse_records`` is false (for a file this process
        just wrote). Members named in ``read_later`` are only checked for presence: the
        caller reads them through ``verified_records``.

        Reads the whole file once. Raises BackupFormatError on the first problem.
        """
        expected = {member["name"]: member for member in self.manifest["members"]}
        present = set(self.member_names())
        if missing := sorted(set(expected) - present):
            raise BackupFormatError(f"members listed in the manifest are missing: {', '.join(missing)}")
        if extra := sorted(present - set(expected)):
            raise BackupFormatError(f"members not listed in the manifest: {', '.join(extra)}")
        for name, member in expected.items():
            if name not in read_later:
                self._verify_member(name, member, parse_records)
        self._verify_files()

    def _member_chunks(self, name):
        """The member's bytes as stored, records and newlines, in pieces of any size."""
        for line in self._member_lines(name):
            yield line + b"\n"

    def _verify_member(self, name, member, parse_records):
        if not parse_records:
            self._verify_member_bytes(name)
            return
        digest, count = hashlib.sha256(), 0
        columns = self.columns(name)
        for number, line in enumerate(self._member_lines(name), start=1):
            where = f"{name}, line {number}"
            check_record(parse_record(line, self.limits, where, columns), member["fields"], where)
            digest.update(line + b"\n")
            count += 1
        self._check_totals(name, digest, count)

    def _verify_member_bytes(self, name):
        """Count and hash of a member, a megabyte at a time rather than a line at a time."""
        digest, count, last = hashlib.sha256(), 0, b"\n"
        for chunk in self._member_chunks(name):
            digest.update(chunk)
            count += chunk.count(b"\n")
            last = chunk[-1:] or last
        if last != b"\n":
            raise BackupFormatError(f"{name}: the last line has no newline (truncated file?)")
        self._check_totals(name, digest, count)

    def _check_totals(self, name, digest, count):
        member = next(member for member in self.manifest["members"] if member["name"] == name)
        if count != member["count"]:
            raise BackupFormatError(f"{name} holds {count} records, the manifest says {member['count']}")
        if digest.hexdigest() != member["sha256"]:
            raise BackupFormatError(
                f"{name} does not match its SHA-256 in the manifest: the file was changed"
            )

    def _verify_files(self):
        listed = {entry["sha1"] for entry in self.manifest.get("files", [])}
        present = set(self.file_checksums())
        if listed != present:
            raise BackupFormatError("the attachment files do not match the manifest's list")
        for checksum in present:
            if hashlib.sha1(self.read_file(checksum)).hexdigest() != checksum:
                raise BackupFormatError(f"attachment file {checksum} does not match its checksum")


class _ZipReader(_BackupReader):
    def __init__(self, fileobj, limits):
        super().__init__(limits)
        try:
            self._zip = zipfile.ZipFile(fileobj)
        except (zipfile.BadZipFile, OSError) as error:
            raise BackupFormatError(f"not a readable ZIP file ({error})") from None
        self._infos = self._check_entries()
        self.manifest = self._read_manifest()

    def _check_entries(self):
        infos, total = {}, 0
        entries = self._zip.infolist()
        if len(entries) > self.limits.max_members:
            raise BackupFormatError(f"too many members ({len(entries)})")
        for info in entries:
            name = info.filename
            if name in infos:
                raise BackupFormatError(f"member {name!r} appears twice")
            if name != MANIFEST_NAME and not FILE_RE.match(name):
                parse_member_name(name)
            if info.flag_bits & 0x1:
                raise BackupFormatError(f"member {name!r} is encrypted")
            self._check_size(name, info.file_size, info.compress_size)
            total += info.file_size
            if total > self.limits.max_total_bytes:
                raise BackupFormatError("the archive decompresses to more than the allowed total size")
            infos[name] = info
        if MANIFEST_NAME not in infos:
            raise BackupFormatError("manifest.json is missing: not a Danger Zone backup")
        return infos

    def _check_size(self, name, size, compressed):
        if size > self.limits.max_member_bytes:
            raise BackupFormatError(f"member {name!r} is larger than allowed ({size} bytes)")
        if size > _MIB and size > self.limits.max_ratio * max(compressed, 1):
            raise BackupFormatError(f"member {name!r} is compressed suspiciously well (zip bomb?)")

    def _open(self, name):
        info = self._infos[name]
        return _CountingReader(self._zip.open(info), info.file_size, name)

    def _read_manifest(self):
        with self._open(MANIFEST_NAME) as stream:
            data = stream.read(self.limits.max_line_bytes + 1)
        if len(data) > self.limits.max_line_bytes:
            raise BackupFormatError("manifest.json is too large")
        return parse_record(data, self.limits, MANIFEST_NAME)

    def member_names(self):
        return [name for name in self._infos if name != MANIFEST_NAME and not FILE_RE.match(name)]

    def member_info(self, name):
        """The ZipInfo of member ``name``: where the archive's directory says it is."""
        return self._infos[name]

    def _member_chunks(self, name):
        with self._open(name) as stream:
            while chunk := stream.read(_MIB):
                yield chunk

    def _member_lines(self, name):
        with self._open(name) as stream:
            buffered = io.BufferedReader(stream, 1 << 20)
            while line := buffered.readline(self.limits.max_line_bytes + 1):
                if not line.endswith(b"\n"):
                    if len(line) > self.limits.max_line_bytes:
                        raise BackupFormatError(
                            f"{name}: a line is longer than {self.limits.max_line_bytes} bytes"
                        )
                    raise BackupFormatError(f"{name}: the last line has no newline (truncated file?)")
                yield line[:-1]

    def file_checksums(self):
        return [FILE_RE.match(name).group(1) for name in self._infos if FILE_RE.match(name)]

    def read_file(self, checksum):
        with self._open(f"files/{checksum}") as stream:
            return stream.read()


class _CountingReader(io.RawIOBase):
    """Refuses to yield more bytes than the ZIP header announced."""

    def __init__(self, raw, announced, name):
        self._raw, self._left, self._name = raw, announced, name

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._raw.read(len(buffer))
        self._left -= len(data)
        if self._left < 0:
            raise BackupFormatError(f"member {self._name!r} is larger than its header says")
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        self._raw.close()
        return super().close()


class _JsonReader(_BackupReader):
    """Reads the single-JSON variant, whose layout puts one record on each line."""

    def __init__(self, fileobj, limits):
        super().__init__(limits)
        self._file = fileobj
        self._offsets = {}  # member name -> offset of its first record line
        self._file_offsets = {}  # checksum -> offset of its line
        self.manifest = self._index()

    def _lines(self, offset=0):
        self._file.seek(offset)
        while line := self._file.readline(self.limits.max_line_bytes + 1):
            if len(line) > self.limits.max_line_bytes:
                raise BackupFormatError(f"a line is longer than {self.limits.max_line_bytes} bytes")
            yield offset, line.rstrip(b"\n")
            offset += len(line)

    def _index(self):
        """Find where each member and file starts; return the parsed manifest."""
        lines = self._lines()
        headers = {
            b'{"format":"%s","format_version":%d,' % (FORMAT.encode(), v): v for v in READABLE_VERSIONS
        }
        version = headers.get(next(lines, (0, b""))[1])
        if not version or next(lines, (0, b""))[1] != b'"members":{':
            raise BackupFormatError(
                "not a Danger Zone JSON backup of a format version this reads (unexpected first lines)"
            )
        for offset, line in lines:
            if line == b"},":
                break
            self._index_member(line, offset, lines)
        if next(lines, (0, b""))[1] != b'"files":{':
            raise BackupFormatError('the JSON backup has no "files" section (truncated file?)')
        for offset, line in lines:
            if line == b"},":
                break
            checksum = line.lstrip(b",")[1:41].decode(errors="replace")
            if not FILE_RE.match(f"files/{checksum}") or checksum in self._file_offsets:
                raise BackupFormatError(f"unexpected line in the files section: {line[:60]!r}")
            self._file_offsets[checksum] = offset
        _offset, line = next(lines, (0, b""))
        if not line.startswith(b'"manifest":') or next(lines, (0, b""))[1] != b"}":
            raise BackupFormatError("the JSON backup has no manifest at its end (truncated file?)")
        manifest = parse_record(line[len(b'"manifest":') :], self.limits, MANIFEST_NAME)
        if manifest.get("format_version") != version:
            raise BackupFormatError(
                "the JSON backup's first line and its manifest name other format versions"
            )
        return manifest

    def _index_member(self, line, offset, lines):
        if not line.endswith(b":["):
            raise BackupFormatError(f"unexpected line in the members section: {line[:60]!r}")
        try:
            name = json.loads(line.removeprefix(b",")[:-2])
        except ValueError:
            raise BackupFormatError(f"invalid member line {line[:60]!r}") from None
        parse_member_name(name)
        if name in self._offsets:
            raise BackupFormatError(f"member {name!r} appears twice")
        self._offsets[name] = offset + len(line) + 1
        if len(self._offsets) > self.limits.max_members:
            raise BackupFormatError("too many members")
        for _offset, record in lines:
            if record == b"]":
                return
        raise BackupFormatError(f"member {name!r} is not closed (truncated file?)")

    def member_names(self):
        return list(self._offsets)

    def _member_lines(self, name):
        for _offset, line in self._lines(self._offsets[name]):
            if line == b"]":
                return
            yield line[:-1] if line.endswith(b",") else line

    def file_checksums(self):
        return list(self._file_offsets)

    def read_file(self, checksum):
        _offset, line = next(self._lines(self._file_offsets[checksum]))
        try:
            return base64.b64decode(line.removeprefix(b",")[44:].rstrip(b'"'), validate=True)
        except ValueError:
            raise BackupFormatError(f"attachment file {checksum} is not valid base64") from None


def open_backup(fileobj, limits=None):
    """Open a backup (ZIP or JSON variant) from a seekable binary file.

    The manifest is parsed and checked for structure; call ``verify()`` to
    check every member before using the records.
    """
    limits = limits or Limits()
    fileobj.seek(0)
    magic = fileobj.read(4)
    fileobj.seek(0)
    if magic == b"PK\x03\x04":
        reader = _ZipReader(fileobj, limits)
    elif magic.startswith(b"{"):
        reader = _JsonReader(fileobj, limits)
    elif magic == b"age-":
        raise BackupFormatError(
            "the file is encrypted (age): decrypt it first, with its passphrase or its identity file"
        )
    else:
        raise BackupFormatError("not a Danger Zone backup: neither a ZIP nor a JSON file")
    validate_manifest(reader.manifest)
    return reader
