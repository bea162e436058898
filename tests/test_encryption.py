import io
import os
import pty
import select
import signal
import tempfile
import time

import pyrage.passphrase

from odoo.tests import BaseCase, tagged

from ..services import age_passphrase, encryption
from ..services.age_passphrase import AgeFormatError

PASSPHRASE = "correct horse battery staple é"
# sizes around the format's 64 KiB chunks: empty, one byte, a chunk less one, one, one more, three
SIZES = (0, 1, 65535, 65536, 65537, 3 * 65536)
FAST = 10  # a scrypt work factor for the round trips in memory (age's own, 18, in the files)


def age_in_terminal(arguments, answers, timeout=120):
    """Run the ``age`` tool in a terminal of its own, as a person would (it reads passphrases
    from the terminal only), typing ``answers`` at its prompts; return its output."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: age, with the terminal as its own
        try:
            os.execvp("age", ["age", *arguments])
        finally:
            os._exit(127)
    output, answered, deadline = b"", 0, time.monotonic() + timeout
    answers = list(answers)
    while True:
        ready, _, _ = select.select([terminal], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"age did not finish: {output!r}")
        try:
            data = os.read(terminal, 4096)
        except OSError:  # the terminal is closed: age is done
            data = b""
        if not data:
            break
        output += data
        while answered < output.count(b"assphrase") and answers:
            os.write(terminal, answers.pop(0).encode() + b"\n")
            answered += 1
    os.close(terminal)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


@tagged("post_install", "-at_install")
class TestAgePassphrase(BaseCase):
    """Backups encrypted with a passphrase in the age format: what we write, the standard
    ``age`` tool (Debian's, installed by the test command) and pyrage read, and the reverse."""

    def _encrypt(self, data, passphrase=PASSPHRASE, work_factor=FAST):
        encrypted = io.BytesIO()
        age_passphrase.encrypt(io.BytesIO(data), encrypted, passphrase, work_factor)
        return encrypted.getvalue()

    def _decrypt(self, data, passphrase=PASSPHRASE):
        plain = io.BytesIO()
        age_passphrase.decrypt(io.BytesIO(data), plain, passphrase)
        return plain.getvalue()

    def test_pyrage_reads_what_we_write_and_we_read_what_it_writes(self):
        for size in SIZES:
            data = os.urandom(size)
            with self.subTest(size=size):
                self.assertEqual(pyrage.passphrase.decrypt(self._encrypt(data), PASSPHRASE), data)
        for size in (0, 65536, 65537):  # pyrage's work factor takes a second or two a file
            data = os.urandom(size)
            with self.subTest(size=size):
                self.assertEqual(self._decrypt(pyrage.passphrase.encrypt(data, PASSPHRASE)), data)

    def test_the_age_tool_reads_what_we_write_and_we_read_what_it_writes(self):
        data = os.urandom(200_000)
        with tempfile.TemporaryDirectory() as folder:
            ours, plain = os.path.join(folder, "ours.age"), os.path.join(folder, "plain")
            with open(ours, "wb") as file:
                file.write(self._encrypt(data, work_factor=age_passphrase.WORK_FACTOR))
            status, output = age_in_terminal(["--decrypt", "-o", plain, ours], [PASSPHRASE])
            self.assertEqual(status, 0, output)
            with open(plain, "rb") as file:
                self.assertEqual(file.read(), data)

            status, output = age_in_terminal(["--decrypt", "-o", plain + "2", ours], ["wrong"])
            self.assertNotEqual(status, 0, "age refuses a wrong passphrase")
            self.assertIn("incorrect passphrase", output)

            theirs = os.path.join(folder, "theirs.age")
            status, output = age_in_terminal(["--passphrase", "-o", theirs, plain], [PASSPHRASE, PASSPHRASE])
            self.assertEqual(status, 0, output)
            with open(theirs, "rb") as file:
                self.assertEqual(self._decrypt(file.read()), data)

    def test_a_wrong_passphrase_an_altered_or_cut_file_are_refused_with_the_reason(self):
        data = os.urandom(3 * 65536 + 10)
        encrypted = self._encrypt(data)
        header_end = encrypted.index(b"\n---") + 1
        mac_end = encrypted.index(b"\n", header_end)
        flipped = bytearray(encrypted)
        flipped[-100] ^= 1
        cases = {
            "the passphrase is wrong": (encrypted, "wrong"),
            "the file was altered or cut short": (bytes(flipped), PASSPHRASE),
            "the file's header was altered": (
                encrypted[:header_end] + b"--- " + age_passphrase._b64(os.urandom(32)) + encrypted[mac_end:],
                PASSPHRASE,
            ),
        }
        for cut in (len(encrypted) - 1, len(encrypted) - 65536 - 16 - 26, header_end + 30):
            cases[f"cut at {cut}"] = (encrypted[:cut], PASSPHRASE)
        for name, (data_in, passphrase) in cases.items():
            with self.subTest(name), self.assertRaises(AgeFormatError) as caught:
                self._decrypt(data_in, passphrase)
            if not name.startswith("cut"):
                self.assertIn(name, str(caught.exception))
        with self.assertRaisesRegex(AgeFormatError, "the file's scrypt stanza is malformed|header"):
            self._decrypt(encrypted.replace(b" 10\n", b" 010\n", 1))
        with self.assertRaisesRegex(AgeFormatError, "work factor of 30"):
            self._decrypt(encrypted.replace(b" 10\n", b" 30\n", 1))
        with self.assertRaisesRegex(AgeFormatError, "not an age file"):
            self._decrypt(b"PK\x03\x04" + os.urandom(100))
        with self.assertRaisesRegex(AgeFormatError, "empty"):
            self._encrypt(b"data", passphrase="")

    def test_a_file_encrypted_to_keys_is_not_opened_with_a_passphrase(self):
        from pyrage import x25519  # noqa: PLC0415

        identity = x25519.Identity.generate()
        keys_file = pyrage.encrypt(b"data", [identity.to_public()])
        with self.assertRaisesRegex(AgeFormatError, "encrypted to public keys, not with a passphrase"):
            self._decrypt(keys_file)

    def test_files_are_encrypted_and_decrypted_a_chunk_at_a_time(self):
        """Through the file API the owner's backups take: 16 MB in, the same 16 MB out."""
        with tempfile.TemporaryDirectory() as folder:
            plain, encrypted, back = (os.path.join(folder, name) for name in ("plain", "enc", "back"))
            with open(plain, "wb") as file:
                for _ in range(16):
                    file.write(os.urandom(1 << 20))
            encryption.encrypt_file_with_passphrase(plain, encrypted, PASSPHRASE)
            self.assertTrue(encryption.is_encrypted(encrypted))
            encryption.decrypt_file_with_passphrase(encrypted, back, PASSPHRASE)
            with open(plain, "rb") as first, open(back, "rb") as second:
                self.assertEqual(first.read(), second.read())
            with self.assertRaisesRegex(encryption.EncryptionError, "the passphrase is wrong"):
                encryption.decrypt_file_with_passphrase(encrypted, back + "2", "wrong")
            self.assertFalse(os.path.exists(back + "2"), "a wrong passphrase leaves nothing behind")
