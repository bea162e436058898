"""Copies of backup files on a remote storage: any fsspec filesystem (SFTP, S3, a local path...),
as the OCA's ``fs_storage`` gives it. Each copy is read back from the storage and its SHA-256
compared with the file's: an upload that went wrong is found now, not on the day of the restore.
Files stream a chunk at a time, whatever their size.
"""

import hashlib
import posixpath
import shutil

CHUNK_BYTES = 1 << 20


class CopyMismatch(Exception):
    """The copy read back from the storage is not the file that was sent."""


def send(filesystem, source, path, checksum):
    """Write the binary stream ``source`` to ``path`` on ``filesystem``, then read it back;
    return its size. Raises CopyMismatch when its SHA-256 is not ``checksum``."""
    folder = posixpath.dirname(path)
    if folder:
        filesystem.makedirs(folder, exist_ok=True)
    with filesystem.open(path, "wb") as target:
        shutil.copyfileobj(source, target, CHUNK_BYTES)
    return verify(filesystem, path, checksum)


def verify(filesystem, path, checksum):
    """Read ``path`` back from ``filesystem``; return its size if its SHA-256 is ``checksum``."""
    digest, size = hashlib.sha256(), 0
    with filesystem.open(path, "rb") as copy:
        while chunk := copy.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    if digest.hexdigest() != checksum:
        raise CopyMismatch(
            f"the copy read back from the storage ({size} bytes, SHA-256 {digest.hexdigest()}) "
            f"is not the backup (SHA-256 {checksum})"
        )
    return size


def remove(filesystem, path):
    """Delete ``path`` from ``filesystem``; a file already gone is no error."""
    if filesystem.exists(path):
        filesystem.rm(path)
