import hashlib
import io

from ..stored_files import CHUNK_BYTES, open_attachment


class BackupSource:
    """The backup file a restore reads, opened as often as needed and never held in memory
    when it is on disk: bytes sent over XML-RPC, a path (command line), or an attachment
    (uploaded through the upload route, or a backup kept here)."""

    def __init__(self, content=None, path=None, attachment=None, name=None):
        self.content, self.path, self.attachment = content, path, attachment
        self.name = name or (attachment.name if attachment else None) or "backup"

    def open(self):
        """A new seekable binary stream on the file; the caller closes it."""
        if self.attachment is not None:
            return open_attachment(self.attachment)
        if self.path is not None:
            return open(self.path, "rb")  # noqa: SIM115 - the caller closes it
        return io.BytesIO(self.content)

    def sha256(self):
        digest = hashlib.sha256()
        with self.open() as stream:
            while chunk := stream.read(CHUNK_BYTES):
                digest.update(chunk)
        return digest.hexdigest()
