import os
import signal
import subprocess
import tempfile
import time
import uuid
import zipfile

from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

from .test_backup_cli_and_snapshot import odoo_bin_command
from .test_encryption import age_in_terminal

SAMPLE = """
from odoo.addons.danger_zone.demo.sample_company import create_sample_company
admin = env.ref("base.user_admin")
admin.groups_id |= env.ref("account.group_account_manager")
company = create_sample_company(env, "DZ Travelling Co", admin)
env.cr.commit()
print("SAMPLE_COMPANY", company.id)
"""

DOOMED = """
from odoo.addons.danger_zone.demo.sample_company import create_sample_company
company = create_sample_company(env, "DZ Doomed CLI Co", env.ref("base.user_admin"))
env.cr.commit()
print("DOOMED_COMPANY", company.id)
"""

ADVISORY_LOCKS = """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""

PASSPHRASE = "the owner's passphrase, on one line"
TRIAL_BALANCE = """SELECT a.code_store->>l.company_id::text, round(sum(l.debit), 2), round(sum(l.credit), 2)
                     FROM account_move_line l JOIN account_account a ON a.id = l.account_id
                    WHERE l.company_id = %s AND l.parent_state = 'posted' GROUP BY 1 ORDER BY 1"""
INVOICES = """SELECT name, move_type, state, round(amount_total, 2), round(amount_residual, 2), payment_state
                FROM account_move
               WHERE company_id = %s ORDER BY name, move_type"""


@tagged("post_install", "-at_install")
class TestRestoreIntoAnotherDatabase(BaseCase):
    """A backup made in one database restores into a company of another, from the command line."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        suffix = uuid.uuid4().hex[:8]
        cls.source_db, cls.target_db = f"dz_source_{suffix}", f"dz_target_{suffix}"
        template = os.environ.get("DZ_TEMPLATE_DB")
        cls._run(["createdb", *(["-T", template] if template else []), cls.source_db])
        cls.addClassCleanup(cls._run, ["dropdb", "--if-exists", cls.source_db])
        cls._run(
            odoo_bin_command(
                "-d", cls.source_db, "-i", "danger_zone", "--stop-after-init", "--log-level=warn"
            )
        )
        cls._run(["createdb", "-T", cls.source_db, cls.target_db])
        cls.addClassCleanup(cls._run, ["dropdb", "--if-exists", cls.target_db])
        # another database: its own identity and secret
        cls._psql(
            cls.target_db,
            "UPDATE ir_config_parameter SET value = md5(random()::text)"
            " WHERE key IN ('database.uuid', 'database.secret')",
        )
        shell = odoo_bin_command("shell", "-d", cls.source_db, "--log-level=warn", "--no-http")
        output = cls._run(shell, stdin=SAMPLE)
        cls.source_company = int(
            next(x for x in output.splitlines() if x.startswith("SAMPLE_COMPANY")).split()[1]
        )

    @staticmethod
    def _run(command, stdin=None):
        result = subprocess.run(
            command, capture_output=True, text=True, input=stdin, timeout=600, check=False
        )
        if result.returncode:
            raise AssertionError(f"{command[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
        return result.stdout

    @classmethod
    def _psql(cls, database, query, *params):
        return cls._run(["psql", "-d", database, "-Atc", query % params if params else query])

    def test_round_trip_through_another_database(self):
        self.assertNotEqual(self.source_db, get_db_name())
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "travelling.zip")
            self._run(
                odoo_bin_command(
                    "danger-zone",
                    "backup",
                    "-d",
                    self.source_db,
                    "--company",
                    str(self.source_company),
                    "-o",
                    path,
                )
            )
            restore = odoo_bin_command(
                "danger-zone", "restore", "-d", self.target_db, "--company", "1", "-i", path
            )
            dry_run = self._run([*restore, "--dry-run"])
            self.assertIn("the restore can run", dry_run)
            self.assertEqual(
                self._psql(self.target_db, "SELECT count(*) FROM account_move WHERE company_id = 1"), "0\n"
            )
            output = self._run(restore)
        self.assertIn("records restored into", output)
        for query in (TRIAL_BALANCE, INVOICES):
            source = self._psql(self.source_db, query, self.source_company)
            self.assertTrue(source.strip())
            self.assertEqual(self._psql(self.target_db, query, 1), source)
        jobs = self._psql(self.target_db, "SELECT trigger, mode, state FROM danger_zone_restore")
        self.assertEqual(jobs, "cli|replace|done\n")

    def _target_copy(self, suffix):
        """A copy of the target database, dropped after the test: the round trip wants the
        target untouched."""
        target = f"{self.target_db}_{suffix}"
        self._run(["createdb", "-T", self.target_db, target])
        self.addCleanup(self._run, ["dropdb", "--if-exists", target])
        return target

    def _backup(self, output, *options):
        """``danger-zone backup`` of the source company into ``output``; its printout."""
        source = ["-d", self.source_db, "--company", str(self.source_company)]
        return self._run(odoo_bin_command("danger-zone", "backup", *source, "-o", output, *options))

    def test_an_encrypted_backup_travels_and_only_its_identity_opens_it(self):
        """A backup encrypted to an age public key is a file the standard age tool decrypts;
        a file the age tool encrypted restores with its identity file; a wrong identity, or
        none, is refused with the reason and nothing is written."""
        entries = "SELECT count(*) FROM account_move WHERE company_id = 1"
        target = self._target_copy("encrypted")
        with tempfile.TemporaryDirectory() as folder:
            key, other_key = os.path.join(folder, "key.txt"), os.path.join(folder, "other.txt")
            self._run(["age-keygen", "-o", key])
            self._run(["age-keygen", "-o", other_key])
            recipient = self._run(["age-keygen", "-y", key]).strip()
            encrypted = os.path.join(folder, "company.zip.age")
            output = self._backup(encrypted, "--recipient", recipient)
            self.assertIn("encrypted to 1 age public key(s)", output)
            with open(encrypted, "rb") as file:
                self.assertEqual(file.read(22), b"age-encryption.org/v1\n")
            plain = os.path.join(folder, "company.zip")
            self._run(["age", "--decrypt", "-i", key, "-o", plain, encrypted])
            self.assertTrue(zipfile.is_zipfile(plain))
            with zipfile.ZipFile(plain) as backup:
                self.assertIn("manifest.json", backup.namelist())
            leftovers = [name for name in os.listdir(folder) if name.startswith("danger-zone-")]
            self.assertFalse(leftovers, "the backup before its encryption is not left behind")

            restore = odoo_bin_command("danger-zone", "restore", "-d", target, "--company", "1")
            before = self._psql(target, entries)
            for options, reason in (
                ([], "is encrypted (age): give its identity file with --identity"),
                (["--identity", other_key], "cannot be decrypted with the identity file"),
            ):
                refused = subprocess.run(
                    [*restore, "-i", encrypted, *options],
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                )
                self.assertEqual(refused.returncode, 1, refused.stderr[-2000:])
                self.assertIn(reason, refused.stderr)
                self.assertEqual(self._psql(target, entries), before, "nothing was written")

            by_age = os.path.join(folder, "by-age.zip.age")
            self._run(["age", "--encrypt", "-r", recipient, "-o", by_age, plain])
            output = self._run([*restore, "-i", by_age, "--identity", key])
        self.assertIn("records restored into", output)
        source = self._psql(self.source_db, TRIAL_BALANCE, self.source_company)
        self.assertEqual(self._psql(target, TRIAL_BALANCE, 1), source)

    def test_a_backup_encrypted_with_a_passphrase_opens_with_it_alone(self):
        """``--passphrase-file``: the backup is an age file that Debian's age opens with the
        passphrase; a restore with another passphrase is refused and writes nothing; with the
        right one, typed on the standard input, it restores the source's books."""
        entries = "SELECT count(*) FROM account_move WHERE company_id = 1"
        target = self._target_copy("passphrase")
        with tempfile.TemporaryDirectory() as folder:
            secret, wrong = os.path.join(folder, "secret.txt"), os.path.join(folder, "wrong.txt")
            for path, text in ((secret, f"{PASSPHRASE}\n"), (wrong, "not the passphrase\n")):
                with open(path, "w", encoding="utf-8") as file:
                    file.write(text)
            encrypted = os.path.join(folder, "company.zip.age")
            output = self._backup(encrypted, "--passphrase-file", secret)
            self.assertIn("a lost passphrase means a lost backup", output)
            plain = os.path.join(folder, "company.zip")
            status, terminal = age_in_terminal(["--decrypt", "-o", plain, encrypted], [PASSPHRASE])
            self.assertEqual(status, 0, terminal)
            self.assertTrue(zipfile.is_zipfile(plain))

            restore = odoo_bin_command(
                "danger-zone", "restore", "-d", target, "--company", "1", "-i", encrypted
            )
            before = self._psql(target, entries)
            refused = subprocess.run(
                [*restore, "--passphrase-file", wrong],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            self.assertEqual(refused.returncode, 1, refused.stderr[-2000:])
            self.assertIn("the backup cannot be decrypted: the passphrase is wrong", refused.stderr)
            self.assertEqual(self._psql(target, entries), before, "nothing was written")
            output = self._run([*restore, "--passphrase-file", "-"], stdin=f"{PASSPHRASE}\n")
        self.assertIn("records restored into", output)
        source = self._psql(self.source_db, TRIAL_BALANCE, self.source_company)
        self.assertEqual(self._psql(target, TRIAL_BALANCE, 1), source)

    def test_refused_restore_exits_non_zero(self):
        with tempfile.NamedTemporaryFile(suffix=".zip") as broken:
            broken.write(b"PK\x03\x04 not really a zip")
            broken.flush()
            command = odoo_bin_command(
                "danger-zone", "restore", "-d", self.target_db, "--company", "1", "-i", broken.name
            )
            result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("not valid", result.stderr)

    def test_command_line_deletes_a_company_once_its_name_is_typed(self):
        database = f"{self.source_db}_doomed"  # its own copy: the other tests keep their schema
        self._run(["createdb", "-T", self.source_db, database])
        self.addCleanup(self._run, ["dropdb", "--if-exists", database])
        shell = odoo_bin_command("shell", "-d", database, "--log-level=warn", "--no-http")
        output = self._run(shell, stdin=DOOMED)
        company = next(x for x in output.splitlines() if x.startswith("DOOMED_COMPANY")).split()[1]
        delete = odoo_bin_command("danger-zone", "delete", "-d", database, "--company", company)
        exists = f"SELECT count(*) FROM res_company WHERE id = {company}"

        answered_wrong = subprocess.run(
            delete, input="DZ Doomed\n", capture_output=True, text=True, timeout=300, check=False
        )
        self.assertEqual(answered_wrong.returncode, 1, answered_wrong.stderr[-2000:])
        self.assertIn("account.move", answered_wrong.stdout, "the question comes after the preview")
        self.assertIn("does not match", answered_wrong.stderr)
        self.assertEqual(self._psql(database, exists), "1\n")

        main = odoo_bin_command("danger-zone", "delete", "-d", database, "--company", "1", "--yes", "x")
        refused = subprocess.run(main, capture_output=True, text=True, timeout=300, check=False)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("main company", refused.stderr)

        output = self._run([*delete, "--yes", "DZ Doomed CLI Co", "--no-final-backup"])
        self.assertIn("records of DZ Doomed CLI Co", output)
        self.assertNotIn("Final backup", output)
        self.assertEqual(self._psql(database, exists), "0\n")
        jobs = self._psql(
            database, "SELECT company_name, trigger, state, final_backup, file_name FROM danger_zone_deletion"
        )
        self.assertEqual(jobs, "DZ Doomed CLI Co|cli|done|f|\n", "the choice is recorded")

    def test_a_killed_worker_leaves_the_company_unchanged_and_its_job_failed(self):
        database = f"{self.source_db}_killed"
        self._run(["createdb", "-T", self.source_db, database])
        self.addCleanup(self._run, ["dropdb", "--if-exists", database])
        company = str(self.source_company)
        entries = f"SELECT min(id), max(id), count(*) FROM account_move WHERE company_id = {company}"
        before = self._psql(database, entries)  # a restore, even of the same file, makes new rows
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "company.zip")
            self._run(
                odoo_bin_command("danger-zone", "backup", "-d", database, "--company", company, "-o", path)
            )
            restore = odoo_bin_command(
                "danger-zone", "restore", "-d", database, "--company", company, "-i", path
            )
            worker = subprocess.Popen(restore, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                self._wait_for(
                    database, "SELECT count(*) FROM danger_zone_restore WHERE state = 'running'", "1"
                )
                worker.send_signal(signal.SIGKILL)  # the worker dies in the middle of the restore
            finally:
                worker.wait(timeout=60)
            self.assertEqual(worker.returncode, -signal.SIGKILL)
            # its connection is gone, and with it its transaction and its locks
            self._wait_for(database, ADVISORY_LOCKS, "0")
            self.assertEqual(self._psql(database, entries), before, "nothing of the restore is left")
            output = self._run(restore)  # the next request finds the job interrupted, then restores
        self.assertIn("records restored into", output)
        jobs = self._psql(database, "SELECT state, error FROM danger_zone_restore ORDER BY id")
        self.assertEqual(
            jobs.splitlines(), ["failed|Interrupted: the worker that ran it stopped.", "done|"], jobs
        )
        self.assertNotEqual(self._psql(database, entries), before)

    def _wait_for(self, database, query, expected, timeout=120):
        deadline = time.monotonic() + timeout
        while (value := self._psql(database, query).strip()) != expected:
            if time.monotonic() > deadline:
                raise AssertionError(f"{query} gave {value}, not {expected}, after {timeout} s")
            time.sleep(0.05)
