"""Files of any size into and out of Odoo's filestore, a chunk at a time.

Odoo's ``ir.attachment`` takes and gives a file's whole content in memory
(``raw``, ``datas``); a backup with its attachments can be gigabytes. These
helpers copy a stream into the filestore while hashing it, under the same
content address Odoo uses (``ab/abcdef…``, the SHA-1), and open a stored file
as a stream. An attachment made from them is an ordinary one.
"""

import contextlib
import filecmp
import hashlib
import io
import os
import shutil
import tempfile

from odoo.exceptions import UserError

CHUNK_BYTES = 1 << 20
SPOOL_FOLDER = "danger_zone_spool"  # in the filestore: files still being written


class FileTooLarge(UserError):
    """A file above a limit: the size allowed, or the free space."""


class StoredFile:
    """A file written into the filestore: its name there, SHA-1 and size."""

    def __init__(self, store_fname, checksum, size):
        self.store_fname, self.checksum, self.size = store_fname, checksum, size


def human_size(size):
    """``1536`` -> ``"1.5 KB"``: sizes in messages."""
    if size < 1024:
        return f"{size} bytes"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            break
    return f"{size:.1f} {unit}"


def check_size(env, size, limit, limit_name, allowance=0):
    """Refuse ``size`` bytes above ``limit`` (give or take ``allowance`` bytes that are not the
    file's own), or above the filestore's free space, naming it."""
    if limit and size > limit + allowance:
        raise _too_large(env, size, limit, limit_name)
    free = shutil.disk_usage(_filestore(env)).free
    if size > free:
        raise FileTooLarge(
            env._(
                "The file is %(size)s, and the filestore has %(free)s free.",
                size=human_size(size),
                free=human_size(free),
            )
        )


def _too_large(env, size, limit, limit_name):
    """The refusal of a file of ``size`` bytes, or of unknown size (``None``) past ``limit``."""
    values = {"size": human_size(size or 0), "limit": human_size(limit), "name": limit_name}
    if size is None:
        return FileTooLarge(env._("The file is larger than the limit of %(limit)s (%(name)s).", **values))
    return FileTooLarge(env._("The file is %(size)s, above the limit of %(limit)s (%(name)s).", **values))


def store_stream(env, stream, limit=None, limit_name=""):
    """Copy ``stream`` into the filestore, a chunk at a time; return a ``StoredFile``.

    Reading stops with a ``UserError`` naming the limit as soon as ``limit`` bytes are passed.
    The file is marked for Odoo's garbage collection, which keeps it while an attachment names
    it: a transaction that rolls back leaves no file behind for long.
    """
    Attachment = env["ir.attachment"].sudo()
    spool = _filestore_path(env, SPOOL_FOLDER)
    os.makedirs(spool, exist_ok=True)
    sha1, size = hashlib.sha1(), 0
    with tempfile.NamedTemporaryFile(dir=spool, delete=False) as part:
        try:
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if limit and size > limit:
                    raise _too_large(env, None, limit, limit_name)
                sha1.update(chunk)
                part.write(chunk)
        except BaseException:
            os.unlink(part.name)
            raise
    checksum = sha1.hexdigest()
    store_fname = f"{checksum[:2]}/{checksum}"
    _move_into_place(env, part.name, store_fname)
    Attachment._mark_for_gc(store_fname)
    return StoredFile(store_fname, checksum, size)


def _move_into_place(env, spooled, store_fname):
    """Put the spooled file at its content address, unless the same content is there already."""
    full_path = env["ir.attachment"]._full_path(store_fname)
    os.makedirs(os.path.dirname(full_path), exist_ok=True)
    if not os.path.exists(full_path):
        os.replace(spooled, full_path)
        return
    same = filecmp.cmp(spooled, full_path, shallow=False)  # a SHA-1 collision must not pass
    os.unlink(spooled)
    if not same:
        raise UserError(env._("The file collides with an existing file of the filestore."))


def attach(env, values, stored):
    """Create an attachment (``values``: name, res_model, res_id…) of a stored file.

    Odoo computes ``store_fname``, ``checksum`` and ``file_size`` from the content and takes
    none of them in ``create``, so they are written after it. Where attachments are kept in
    the database (``ir_attachment.location`` = ``db``), the content is read in instead.
    """
    Attachment = env["ir.attachment"].sudo()
    if Attachment._storage() != "file":
        with open(Attachment._full_path(stored.store_fname), "rb") as stream:
            return Attachment.create({**values, "raw": stream.read()})
    mimetype = values.get("mimetype", mimetype_of(values.get("name")))
    attachment = Attachment.create({**values, "mimetype": mimetype})
    env.cr.execute(
        "UPDATE ir_attachment SET store_fname = %s, checksum = %s, file_size = %s WHERE id = %s",
        [stored.store_fname, stored.checksum, stored.size, attachment.id],
    )
    attachment.invalidate_recordset(["store_fname", "checksum", "file_size"])
    return attachment


def attach_copy(env, values, attachment):
    """Create an attachment (``values``) of the same content as ``attachment``, without copying
    the file: both name the same stored file, which Odoo keeps while any attachment names it."""
    source = attachment.sudo()
    if not source.store_fname:
        return env["ir.attachment"].sudo().create({**values, "raw": source.raw})
    stored = StoredFile(source.store_fname, source.checksum, source.file_size)
    return attach(env, {"mimetype": source.mimetype, **values}, stored)


def mimetype_of(name):
    """The mimetype of a backup file named ``name``."""
    name = name or ""
    if name.endswith(".json"):
        return "application/json"
    return "application/zip" if name.endswith(".zip") else "application/octet-stream"


def open_attachment(attachment):
    """The attachment's content as a seekable binary stream, from the filestore if it is there."""
    attachment = attachment.sudo()
    if attachment.store_fname:
        path = attachment._full_path(attachment.store_fname)
        with contextlib.suppress(FileNotFoundError):
            return open(path, "rb")  # noqa: SIM115 - the caller closes it
    return io.BytesIO(attachment.raw or b"")


def _filestore(env):
    path = env["ir.attachment"]._filestore()
    os.makedirs(path, exist_ok=True)
    return path


def _filestore_path(env, name):
    return os.path.join(_filestore(env), name)
