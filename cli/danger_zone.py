# pylint: disable=print-used,translation-required
"""``odoo-bin danger-zone``: the Danger Zone from the command line.

    odoo-bin --addons-path=... danger-zone backup -d DB --company ID -o FILE [--json] [--with-attachments]
        [--recipient AGE_PUBLIC_KEY ... | --passphrase-file FILE]
    odoo-bin --addons-path=... danger-zone restore -d DB --company ID -i FILE
        [--merge] [--skip-invalid] [--dry-run] [--identity AGE_IDENTITY_FILE | --passphrase-file FILE]
    odoo-bin --addons-path=... danger-zone delete -d DB --company ID [--yes NAME]
        [--final-backup-to FILE | --no-final-backup]

Runs synchronously as the company's owner and exits non-zero with a clear
message on any error. Odoo server options (--db_host, -c CONFIG, ...) may follow.
"""

import argparse
import contextlib
import getpass
import os
import shutil
import sys
import tempfile
import time

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.cli import Command
from odoo.exceptions import AccessError, UserError
from odoo.modules.registry import Registry
from odoo.tools import config

from ..engine import BackupFormatError
from ..services import encryption
from ..services.reports import format_counts, format_restore_report
from ..services.stored_files import open_attachment

PASSPHRASE_HELP = (
    "%s the passphrase on the first line of FILE (age format); '-': typed at the terminal, or "
    "the first line of the standard input"
)


def _read_passphrase(path, twice):
    """The passphrase of ``--passphrase-file``: typed (``twice`` for a new one) when ``path``
    is ``-`` at a terminal, else the first line of the file or of the standard input."""
    if path == "-" and sys.stdin.isatty():
        passphrase = getpass.getpass("Passphrase: ")
        if twice and getpass.getpass("Type it again: ") != passphrase:
            raise UserError("The two passphrases differ: nothing was done.")
    elif path == "-":
        passphrase = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            with open(path, encoding="utf-8") as file:
                passphrase = file.readline().rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as error:
            raise UserError(f"Cannot read the passphrase file {path}: {error}") from None
    if not passphrase:
        raise UserError("The passphrase is empty: nothing was done.")
    return passphrase


def _parser():
    parser = argparse.ArgumentParser(
        prog="odoo-bin danger-zone",
        description="Back up, restore or delete one company's business data (Danger Zone).",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    backup = actions.add_parser("backup", help="write a backup file of one company")
    backup.add_argument("-d", "--database", required=True)
    backup.add_argument("--company", type=int, required=True, help="id of the company")
    backup.add_argument("-o", "--output", required=True, help="file to write")
    backup.add_argument("--json", action="store_true", help="write the single-JSON variant instead of a ZIP")
    backup.add_argument("--with-attachments", action="store_true", help="include attached files")
    backup.add_argument(
        "--recipient",
        action="append",
        metavar="AGE_PUBLIC_KEY",
        help="encrypt the file to this age public key (age1..., repeatable); its identity file opens it",
    )
    backup.add_argument("--passphrase-file", metavar="FILE", help=PASSPHRASE_HELP % "encrypt the file with")
    restore = actions.add_parser("restore", help="restore a backup file into one company")
    restore.add_argument("-d", "--database", required=True)
    restore.add_argument("--company", type=int, required=True, help="id of the target company")
    restore.add_argument("-i", "--input", required=True, help="backup file (ZIP or JSON)")
    restore.add_argument(
        "--merge", action="store_true", help="add to the company's data instead of replacing it"
    )
    restore.add_argument(
        "--skip-invalid", action="store_true", help="leave out invalid records and report them"
    )
    restore.add_argument(
        "--dry-run", action="store_true", help="only run the pre-flight check; write nothing"
    )
    restore.add_argument(
        "--identity", metavar="FILE", help="age identity file (AGE-SECRET-KEY-1...) of an encrypted backup"
    )
    restore.add_argument("--passphrase-file", metavar="FILE", help=PASSPHRASE_HELP % "decrypt the file with")
    delete = actions.add_parser("delete", help="delete one company and all its data")
    delete.add_argument("-d", "--database", required=True)
    delete.add_argument("--company", type=int, required=True, help="id of the company")
    delete.add_argument(
        "--yes", metavar="NAME", help="confirm without a question: the company's name, exactly"
    )
    final = delete.add_mutually_exclusive_group()
    final.add_argument(
        "--final-backup-to",
        metavar="FILE",
        help="also write the final backup (kept 24 hours on the deletion, and copied to the "
        "owner's remote storage) to FILE",
    )
    final.add_argument(
        "--no-final-backup",
        action="store_true",
        help="do not take the final backup; the choice is recorded",
    )
    return parser


def _company(env, company_id):
    company = env["res.company"].browse(company_id).exists()
    if not company:
        raise UserError(f"There is no company with id {company_id} in this database.")
    return company


def _owner_company(cr, company_id):
    """The company, in the environment of its owner: the command line acts as the owner."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    company = _company(env, company_id)
    company = company.with_env(env(user=company.danger_zone_owner_id.id))
    company._danger_zone_check_owner()
    return company


def backup(registry, args):
    if args.recipient and args.passphrase_file:
        raise UserError("Encrypt to public keys (--recipient) or with a passphrase, not both.")
    if args.recipient:
        encryption.recipients(args.recipient)  # a key that is not one is refused before anything
    passphrase = args.passphrase_file and _read_passphrase(args.passphrase_file, twice=True)
    with registry.cursor() as cr:
        company = _owner_company(cr, args.company)
        owner_env = company.env
        file_format = "json" if args.json else "zip"
        job = owner_env["danger.zone.backup"]._request(
            company, trigger="cli", file_format=file_format, with_attachments=args.with_attachments
        )
        started = time.perf_counter()
        if args.recipient or passphrase:
            with _private_file(os.path.dirname(os.path.abspath(args.output))) as plain:
                manifest = job._run_to_path(plain)
                if passphrase:
                    encryption.encrypt_file_with_passphrase(plain, args.output, passphrase)
                else:
                    encryption.encrypt_file(plain, args.output, args.recipient)
        else:
            manifest = job._run_to_path(args.output)
        elapsed = time.perf_counter() - started
        for member in manifest["members"]:
            print(f"{member['count']:>10}  {member['name']}")
        print(f"{job.record_count} records of {company.name} written to {args.output}")
        print(f"sha256 {job.checksum}" + (" (before encryption)" if args.recipient or passphrase else ""))
        if args.recipient:
            print(f"encrypted to {len(args.recipient)} age public key(s)")
        if passphrase:
            print("encrypted with the passphrase (age); a lost passphrase means a lost backup")
        print(f"built in {elapsed:.2f} s")


@contextlib.contextmanager
def _private_file(folder=None):
    """The path of a new file only this user reads, removed afterwards (a backup before its
    encryption, or after its decryption)."""
    handle, path = tempfile.mkstemp(prefix="danger-zone-", dir=folder)
    os.close(handle)
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


@contextlib.contextmanager
def _plain_input(args, encrypted):
    """The path of the backup to read: the input, or its decryption with ``--identity`` or
    ``--passphrase-file`` into a private temporary file (an age file, ``encrypted``)."""
    if not encrypted:
        yield args.input
        return
    if not (args.identity or args.passphrase_file):
        raise UserError(
            f"{args.input} is encrypted (age): give its identity file with --identity, or its "
            "passphrase with --passphrase-file."
        )
    with _private_file() as plain:
        if args.identity:
            encryption.decrypt_file(args.input, plain, args.identity)
        else:
            passphrase = _read_passphrase(args.passphrase_file, twice=False)
            encryption.decrypt_file_with_passphrase(args.input, plain, passphrase)
        yield plain


def restore(registry, args):
    from ..services.restore.source import BackupSource  # noqa: PLC0415

    try:
        encrypted = encryption.is_encrypted(args.input)  # read a chunk at a time later, never whole
    except OSError as error:
        raise UserError(f"Cannot read {args.input}: {error.strerror}") from None
    with _plain_input(args, encrypted) as path:
        _restore(registry, args, BackupSource(path=path, name=os.path.basename(args.input)))


def _restore(registry, args, source):
    from ..models.danger_zone_restore import CONFIRMATION  # noqa: PLC0415

    mode = "merge" if args.merge else "replace"
    with registry.cursor() as cr:
        company = _owner_company(cr, args.company)
        Restore = company.env["danger.zone.restore"]
        if args.dry_run:
            report = Restore._preflight(company, source, mode, args.skip_invalid)
            print(format_restore_report(report))
            print(
                "pre-flight: " + ("the restore can run" if report["ok"] else "the restore would be refused")
            )
            if not report["ok"]:
                sys.exit(1)
            return
        started = time.perf_counter()
        # the command is the confirmation: it names the file and the company
        job = Restore._request(
            company, source, source.name, mode, args.skip_invalid, trigger="cli", confirm=CONFIRMATION
        )
        job._run()
        print(job.report_text)
        if job.state != "done":
            raise UserError(f"The restore failed: {job.error}")
        elapsed = time.perf_counter() - started
        print(f"{job.restored_count} records restored into {company.name} in {elapsed:.2f} s")


def delete(registry, args):
    with registry.cursor() as cr:
        company = _owner_company(cr, args.company)
        name, company_id = company.name, company.id
        if reasons := company._danger_zone_delete_blockers():
            raise UserError("The company cannot be deleted:\n" + "\n".join(reasons))
        confirmation = args.yes
        if confirmation is None:
            preview = company._danger_zone_delete_preview()
            print(format_counts(preview["counts"]))
            try:
                confirmation = input(f"This deletes {name} (id {company_id}) for good. Type its name: ")
            except EOFError:
                confirmation = ""
        if confirmation != name:
            raise UserError(f"The name does not match {name!r}: nothing was deleted.")
        started = time.perf_counter()
        job = company.env["danger.zone.deletion"]._request(
            company, trigger="cli", final_backup=not args.no_final_backup
        )
        job._run()
        print(job.report_text)
        if job.file_name:
            print(f"Final backup: {job.file_name} ({job.file_size} bytes, SHA-256 {job.checksum})")
        if args.final_backup_to and job.attachment_id:
            with open_attachment(job.attachment_id) as stored, open(args.final_backup_to, "wb") as output:
                shutil.copyfileobj(stored, output, 1 << 20)
            print(f"Final backup written to {args.final_backup_to}")
        if job.state != "done":
            raise UserError(f"The deletion failed: {job.error}")
        elapsed = time.perf_counter() - started
        print(f"{job.deleted_count} records of {name} (id {company_id}) deleted in {elapsed:.2f} s")


class DangerZone(Command):
    """Back up, restore or delete one company's business data (Danger Zone)"""

    name = "danger-zone"

    def run(self, cmdargs):
        args, odoo_args = _parser().parse_known_args(cmdargs)
        config.parse_config([*odoo_args, "-d", args.database])
        try:
            actions = {"backup": backup, "restore": restore, "delete": delete}
            actions[args.action](Registry(args.database), args)
        except (UserError, AccessError, BackupFormatError, encryption.EncryptionError) as error:
            print(f"danger-zone: {error}", file=sys.stderr)
            sys.exit(1)
        except psycopg2.errors.SerializationFailure:
            print(
                "danger-zone: another Danger Zone request on this company came at the same moment;"
                " nothing was done. Try again.",
                file=sys.stderr,
            )
            sys.exit(1)
