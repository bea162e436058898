# pylint: disable=print-used,translation-required
"""``odoo-bin danger-zone``: the Danger Zone from the command line.

    odoo-bin --addons-path=... danger-zone backup -d DB --company ID -o FILE [--json] [--with-attachments]

Runs synchronously as the company's owner and exits non-zero with a clear
message on any error. Odoo server options (--db_host, -c CONFIG, ...) may follow.
"""

import argparse
import sys
import time

from odoo import SUPERUSER_ID, api
from odoo.cli import Command
from odoo.exceptions import AccessError, UserError
from odoo.modules.registry import Registry
from odoo.tools import config

from ..engine import BackupFormatError


def _parser():
    parser = argparse.ArgumentParser(
        prog="odoo-bin danger-zone", description="Back up one company's business data (Danger Zone)."
    )
    actions = parser.add_subparsers(dest="action", required=True)
    backup = actions.add_parser("backup", help="write a backup file of one company")
    backup.add_argument("-d", "--database", required=True)
    backup.add_argument("--company", type=int, required=True, help="id of the company")
    backup.add_argument("-o", "--output", required=True, help="file to write")
    backup.add_argument("--json", action="store_true", help="write the single-JSON variant instead of a ZIP")
    backup.add_argument("--with-attachments", action="store_true", help="include attached files")
    return parser


def _company(env, company_id):
    company = env["res.company"].browse(company_id).exists()
    if not company:
        raise UserError(f"There is no company with id {company_id} in this database.")
    return company


def backup(registry, args):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = _company(env, args.company)
        owner_env = env(user=company.danger_zone_owner_id.id)
        company = company.with_env(owner_env)
        company._danger_zone_check_owner()
        file_format = "json" if args.json else "zip"
        job = owner_env["danger.zone.backup"]._request(
            company, trigger="cli", file_format=file_format, with_attachments=args.with_attachments
        )
        started = time.perf_counter()
        manifest = job._run_to_path(args.output)
        elapsed = time.perf_counter() - started
        for member in manifest["members"]:
            print(f"{member['count']:>10}  {member['name']}")
        print(f"{job.record_count} records of {company.name} written to {args.output}")
        print(f"sha256 {job.checksum}")
        print(f"built in {elapsed:.2f} s")


class DangerZone(Command):
    """Back up one company's business data (Danger Zone)"""

    name = "danger-zone"

    def run(self, cmdargs):
        args, odoo_args = _parser().parse_known_args(cmdargs)
        config.parse_config([*odoo_args, "-d", args.database])
        try:
            {"backup": backup}[args.action](Registry(args.database), args)
        except (UserError, AccessError, BackupFormatError) as error:
            print(f"danger-zone: {error}", file=sys.stderr)
            sys.exit(1)
