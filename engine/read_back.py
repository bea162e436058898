"""Read a ZIP backup's members back from disk while the file is still being written.

A backup is verified after writing: each member is read back from the file
and its record count and SHA-256 compared with what was written. A member is
found by its own local header as soon as it is closed, so it can be read back
in a thread while the next members are written; ``ReadBack.check`` then ties
what was read back to the finished file's central directory and manifest.
"""

import hashlib
import struct
from concurrent.futures import ThreadPoolExecutor

from isal import isal_zlib

from .errors import BackupFormatError

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # signature ... file name length, extra field length
_CHUNK = 1 << 16  # compressed bytes read at a time: about a megabyte once inflated


def _compressed_chunks(raw, size):
    while size > 0:
        chunk = raw.read(min(size, _CHUNK))
        if not chunk:
            raise BackupFormatError("the file ends inside a member")
        size -= len(chunk)
        yield chunk


def member_digest(path, info):
    """``(records, sha256)`` of the member ``info`` (a ZipInfo) read back from the file at ``path``;
    its CRC-32 and size are checked on the way, as a ZIP reader does."""
    try:
        return _digest(path, info)
    except isal_zlib.error as error:
        raise BackupFormatError(f"{info.filename} read back is not valid deflate data ({error})") from None


def _digest(path, info):
    with open(path, "rb") as raw:
        raw.seek(info.header_offset)
        header = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
        if header[0] != b"PK\x03\x04":
            raise BackupFormatError(f"{info.filename}: no member where the archive says it starts")
        raw.seek(header[-2] + header[-1], 1)  # past the file name and the extra field
        inflate = isal_zlib.decompressobj(-15) if info.compress_type == 8 else None
        digest, count, crc, size = hashlib.sha256(), 0, 0, 0
        for chunk in _compressed_chunks(raw, info.compress_size):
            data = inflate.decompress(chunk) if inflate else chunk
            digest.update(data)
            count += data.count(b"\n")
            crc = isal_zlib.crc32(data, crc)
            size += len(data)
    if crc != info.CRC or size != info.file_size:
        raise BackupFormatError(f"{info.filename} read back does not match its CRC-32 or size")
    return count, digest.hexdigest()


class ReadBack:
    """Reads each member back in a thread once the writer has closed it.

    Give ``member_closed`` to ``write_backup``; call ``check`` on the finished file.
    Use it as a context manager: leaving it stops the thread.
    """

    def __init__(self, path):
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="danger_zone_read_back")
        self._members = {}  # name -> (ZipInfo, future digest)

    def member_closed(self, info):
        self._members[info.filename] = (info, self._executor.submit(member_digest, self.path, info))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._executor.shutdown(cancel_futures=True)

    def check(self, reader):
        """Compare each member read back with the finished file's directory and manifest
        (``reader``: the file opened again); return the names of the members checked."""
        manifest = {member["name"]: member for member in reader.manifest["members"]}
        for name, (info, digest) in self._members.items():
            count, sha256 = digest.result()
            final = reader.member_info(name)
            if (final.header_offset, final.compress_size, final.CRC) != (
                info.header_offset,
                info.compress_size,
                info.CRC,
            ):
                raise BackupFormatError(
                    f"{name}: the finished archive does not point at the member read back"
                )
            if name in manifest and (count, sha256) != (manifest[name]["count"], manifest[name]["sha256"]):
                raise BackupFormatError(
                    f"{name} read back does not match its count and SHA-256 in the manifest"
                )
        return set(self._members)
