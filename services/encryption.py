"""Backup files in the age format (age-encryption.org/v1): encrypted to public keys (X25519
recipients, ``age1...``, as ``age-keygen`` makes them) and read with the identity files that hold
their secret keys (``AGE-SECRET-KEY-1...``), through pyrage (the bindings of rage); or encrypted
with a passphrase (age_passphrase.py). A file is encrypted or decrypted into another a chunk at
a time, never whole in memory. The standard ``age`` and ``rage`` tools read and write the same
files: ``age -d -i key.txt backup.zip.age``, or ``age -d backup.zip.age``, which asks for the
passphrase.
"""

import contextlib
import os

import pyrage
from pyrage import x25519

from . import age_passphrase

MAGIC = b"age-encryption.org/v1\n"  # how every age file begins


class EncryptionError(Exception):
    """A key or a file that cannot be used; the message says which, for the owner."""


def is_encrypted(path):
    """Whether the file at ``path`` is an age file."""
    with open(path, "rb") as file:
        return file.read(len(MAGIC)) == MAGIC


def recipients(keys):
    """The X25519 recipients of the public keys ``keys`` (texts ``age1...``)."""
    found = []
    for key in keys:
        try:
            found.append(x25519.Recipient.from_str(key.strip()))
        except pyrage.RecipientError as error:
            raise EncryptionError(f"{key!r} is not an age public key (age1...): {error}") from None
    if not found:
        raise EncryptionError("no public key to encrypt to")
    return found


def identities(path):
    """The identities of an identity file as ``age-keygen`` writes it (a secret key a line;
    comments and blank lines left out)."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = [line.strip() for line in file]
    except (OSError, UnicodeDecodeError) as error:
        raise EncryptionError(f"cannot read the identity file {path}: {error}") from None
    keys = [line for line in lines if line and not line.startswith("#")]
    try:
        found = [x25519.Identity.from_str(key) for key in keys]
    except pyrage.IdentityError:
        raise EncryptionError(f"{path} is not an age identity file (AGE-SECRET-KEY-1...)") from None
    if not found:
        raise EncryptionError(f"{path} holds no age identity (AGE-SECRET-KEY-1...)")
    return found


def encrypt_file(plain_path, encrypted_path, keys):
    """Write ``plain_path`` encrypted to the public keys ``keys`` into ``encrypted_path``."""
    try:
        pyrage.encrypt_file(plain_path, encrypted_path, recipients(keys))
    except pyrage.EncryptError as error:
        _remove(encrypted_path)
        raise EncryptionError(f"cannot encrypt {plain_path}: {error}") from None


def decrypt_file(encrypted_path, plain_path, identity_path):
    """Write ``encrypted_path`` decrypted with the identities of ``identity_path`` into
    ``plain_path``; a key that does not open it leaves nothing behind."""
    keys = identities(identity_path)
    try:
        pyrage.decrypt_file(encrypted_path, plain_path, keys)
    except pyrage.DecryptError as error:
        _remove(plain_path)
        raise EncryptionError(
            f"the backup cannot be decrypted with the identity file {identity_path}: {error}"
        ) from None


def encrypt_file_with_passphrase(plain_path, encrypted_path, passphrase):
    """Write ``plain_path`` encrypted with ``passphrase`` into ``encrypted_path``, a chunk at a
    time (``age --decrypt`` asks for the passphrase and reads it)."""
    try:
        with open(plain_path, "rb") as plain, open(encrypted_path, "wb") as encrypted:
            age_passphrase.encrypt(plain, encrypted, passphrase)
    except age_passphrase.AgeFormatError as error:
        _remove(encrypted_path)
        raise EncryptionError(f"cannot encrypt {plain_path}: {error}") from None


def decrypt_file_with_passphrase(encrypted_path, plain_path, passphrase):
    """Write ``encrypted_path`` decrypted with ``passphrase`` into ``plain_path``; a wrong
    passphrase, or a file altered or cut short, leaves nothing behind."""
    try:
        with open(encrypted_path, "rb") as encrypted, open(plain_path, "wb") as plain:
            age_passphrase.decrypt(encrypted, plain, passphrase)
    except age_passphrase.AgeFormatError as error:
        _remove(plain_path)
        raise EncryptionError(f"the backup cannot be decrypted: {error}") from None


def _remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
