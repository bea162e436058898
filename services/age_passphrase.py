"""The age format's passphrase recipient (``scrypt``), streamed: a file of any size is encrypted
or decrypted 64 KiB at a time. pyrage reads and writes such files only whole in memory, which a
backup of a large company does not fit.

The format is age-encryption.org/v1 (the specification at C2SP, ``age.md``):

    age-encryption.org/v1
    -> scrypt <salt, base64> <log2 of scrypt's N>
    <the file key wrapped with scrypt(passphrase), base64>
    --- <HMAC-SHA256 of the lines above, base64>
    <16 bytes of nonce><payload: ChaCha20-Poly1305 chunks of 64 KiB, the STREAM construction>

The standard ``age`` and ``rage`` tools read what this writes (``age --decrypt``, which asks for
the passphrase) and write what this reads (``age --passphrase``).
"""

import base64
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import constant_time, hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

VERSION_LINE = b"age-encryption.org/v1\n"
SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
WORK_FACTOR = 18  # age's own: 256 MiB and about a second to derive the key
MAX_WORK_FACTOR = 22  # age's limit when it decrypts
CHUNK = 64 * 1024
TAG = 16
COLUMNS = 64  # base64 characters per line of a stanza's body
MAX_HEADER_LINE = 4096
WORK_FACTOR_ARGUMENT = re.compile(r"[1-9][0-9]?")


class AgeFormatError(Exception):
    """The file is not one this module can decrypt with a passphrase, or the passphrase is wrong."""


def encrypt(plain, encrypted, passphrase, work_factor=WORK_FACTOR):
    """Write the binary file object ``plain`` to ``encrypted``, for ``passphrase`` (text)."""
    if not passphrase:
        raise AgeFormatError("the passphrase is empty")
    file_key = os.urandom(16)
    salt = os.urandom(16)
    wrapped = ChaCha20Poly1305(_scrypt_key(passphrase, salt, work_factor)).encrypt(bytes(12), file_key, None)
    header = (
        VERSION_LINE
        + b"-> scrypt "
        + _b64(salt)
        + b" "
        + str(work_factor).encode()
        + b"\n"
        + _body_lines(wrapped)
        + b"---"
    )
    encrypted.write(header + b" " + _b64(_header_mac(file_key, header)) + b"\n")
    nonce = os.urandom(16)
    encrypted.write(nonce)
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    counter = 0
    chunk = plain.read(CHUNK)
    while True:
        following = plain.read(CHUNK) if len(chunk) == CHUNK else b""
        last = not following
        encrypted.write(aead.encrypt(_chunk_nonce(counter, last), chunk, None))
        if last:
            return
        counter += 1
        chunk = following


def decrypt(encrypted, plain, passphrase, max_work_factor=MAX_WORK_FACTOR):
    """Write the age file object ``encrypted`` decrypted with ``passphrase`` to ``plain``.

    Raises AgeFormatError, with the reason, when it is not an age file, not one encrypted with
    a passphrase, when the passphrase is wrong or the file altered or cut short.
    """
    header, stanzas, mac = _read_header(encrypted)
    scrypt = [stanza for stanza in stanzas if stanza[0] == b"scrypt"]
    if not scrypt:
        raise AgeFormatError("the file is encrypted to public keys, not with a passphrase")
    if len(stanzas) != 1:
        raise AgeFormatError("a file encrypted with a passphrase holds no other recipient")
    file_key = _unwrap(scrypt[0], passphrase, max_work_factor)
    if not constant_time.bytes_eq(mac, _header_mac(file_key, header)):
        raise AgeFormatError("the file's header was altered")
    nonce = encrypted.read(16)
    if len(nonce) != 16:
        raise AgeFormatError("the file is cut short")
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    counter = 0
    chunk = encrypted.read(CHUNK + TAG)
    while True:
        following = encrypted.read(CHUNK + TAG) if len(chunk) == CHUNK + TAG else b""
        last = not following
        try:
            data = aead.decrypt(_chunk_nonce(counter, last), chunk, None)
        except InvalidTag:
            raise AgeFormatError("the file was altered or cut short") from None
        if last and not data and counter:
            raise AgeFormatError("the file ends with an empty chunk")
        plain.write(data)
        if last:
            return
        counter += 1
        chunk = following


def _read_header(encrypted):
    """(the header's bytes up to ``---``, [(type, [arguments], body)], the MAC)."""
    lines = [_read_line(encrypted)]
    if lines[0] != VERSION_LINE:
        raise AgeFormatError("not an age file (age-encryption.org/v1)")
    stanzas = []
    while True:
        line = _read_line(encrypted)
        lines.append(line)
        if line.startswith(b"--- "):
            break
        if not line.startswith(b"-> "):
            raise AgeFormatError("the file's header is malformed")
        kind, *arguments = line[3:-1].split(b" ")
        body = b""
        while True:
            body_line = _read_line(encrypted)
            lines.append(body_line)
            body += body_line[:-1]
            if len(body_line) - 1 < COLUMNS:
                break
        stanzas.append((kind, arguments, _unb64(body)))
    header = b"".join(lines)[: -len(lines[-1])] + b"---"
    return header, stanzas, _unb64(lines[-1][4:-1])


def _read_line(encrypted):
    line = encrypted.readline(MAX_HEADER_LINE)
    if not line.endswith(b"\n"):
        raise AgeFormatError("not an age file, or its header is cut short")
    return line


def _unwrap(stanza, passphrase, max_work_factor):
    _kind, arguments, body = stanza
    if len(arguments) != 2 or not WORK_FACTOR_ARGUMENT.fullmatch(arguments[1].decode("ascii", "replace")):
        raise AgeFormatError("the file's scrypt stanza is malformed")
    salt, work_factor = _unb64(arguments[0]), int(arguments[1])
    if len(salt) != 16 or len(body) != 32:
        raise AgeFormatError("the file's scrypt stanza is malformed")
    if work_factor > max_work_factor:
        raise AgeFormatError(
            f"the file asks for a scrypt work factor of {work_factor}, above {max_work_factor}"
        )
    try:
        return ChaCha20Poly1305(_scrypt_key(passphrase, salt, work_factor)).decrypt(bytes(12), body, None)
    except InvalidTag:
        raise AgeFormatError("the passphrase is wrong") from None


def _scrypt_key(passphrase, salt, work_factor):
    kdf = Scrypt(salt=SCRYPT_LABEL + salt, length=32, n=1 << work_factor, r=8, p=1)
    return kdf.derive(passphrase.encode())


def _hkdf(key, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


def _header_mac(file_key, header):
    mac = hmac.HMAC(_hkdf(file_key, b"", b"header"), hashes.SHA256())
    mac.update(header)
    return mac.finalize()


def _chunk_nonce(counter, last):
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _b64(data):
    return base64.b64encode(data).rstrip(b"=")


def _unb64(text):
    """Base64 without padding, as age writes it; anything else is refused."""
    if len(text) % 4 == 1 or text.rstrip(b"=") != text:
        raise AgeFormatError("the file's header is malformed")
    try:
        data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except ValueError:
        raise AgeFormatError("the file's header is malformed") from None
    if _b64(data) != text:
        raise AgeFormatError("the file's header is malformed")
    return data


def _body_lines(data):
    text = _b64(data)
    lines = [text[start : start + COLUMNS] for start in range(0, len(text), COLUMNS)]
    if not lines or len(lines[-1]) == COLUMNS:
        lines.append(b"")  # the body's last line is always shorter than a full one
    return b"".join(line + b"\n" for line in lines)
