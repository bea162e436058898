import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from unittest.mock import patch

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import config

from ..engine import open_backup, write_backup
from ..services import scope_closure
from ..services.backup_export import BackupExport
from ..services.snapshot_reader import SnapshotReader


def odoo_bin_command(*args):
    odoo_bin = Path(odoo.__file__).resolve().parent.parent / "odoo-bin"
    options = [
        f"--db_host={config['db_host']}",
        f"--db_port={config['db_port']}",
        f"--db_user={config['db_user']}",
    ]
    options = [option for option in options if not option.endswith("=False")]
    return [sys.executable, str(odoo_bin), f"--addons-path={config['addons_path']}", *args, *options]


@tagged("post_install", "-at_install")
class TestBackupOnCommittedData(BaseCase):
    """Real, committed data and real cursors: the command line and the snapshot guarantee.

    Each test removes what it committed.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())

    def _commit_company(self, name, partner_names):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].create({"name": name})
            partners = env["res.partner"].create(
                [{"name": n, "company_id": company.id} for n in partner_names]
            )
            return company.id, partners.ids

    def _commit_entry(self, company_id, partner_name):
        """A draft journal entry of the company whose lines name a contact of no company,
        which joins the scope only through them."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].browse(company_id)
            partner = env["res.partner"].create({"name": partner_name})
            accounts = env["account.account"].create(
                [
                    {"name": kind, "code": f"DZ{number}", "account_type": kind, "company_ids": company.ids}
                    for number, kind in enumerate(("asset_current", "income"))
                ]
            )
            journal = env["account.journal"].create(
                {"name": "DZ Entries", "code": "DZE", "type": "general", "company_id": company_id}
            )
            env["account.move"].with_company(company).create(
                {
                    "journal_id": journal.id,
                    "line_ids": [
                        Command.create({"account_id": account.id, "partner_id": partner.id, side: 10})
                        for account, side in zip(accounts, ("debit", "credit"), strict=True)
                    ],
                }
            )
            return partner.id

    def _drop_company(self, company_id):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT array_agg(DISTINCT partner_id) FROM account_move_line WHERE company_id = %s",
                [company_id],
            )
            entry_partners = cr.fetchone()[0] or []
            cr.execute("DELETE FROM account_move WHERE company_id = %s", [company_id])
            cr.execute("DELETE FROM account_journal WHERE company_id = %s", [company_id])
            cr.execute(
                """DELETE FROM account_account WHERE id IN (SELECT account_account_id
                     FROM account_account_res_company_rel WHERE res_company_id = %s)""",
                [company_id],
            )
            cr.execute("DELETE FROM danger_zone_backup WHERE company_id = %s", [company_id])
            cr.execute("DELETE FROM res_partner WHERE company_id = %s", [company_id])
            cr.execute("DELETE FROM res_company WHERE id = %s RETURNING partner_id", [company_id])
            cr.execute(
                "DELETE FROM res_partner WHERE id IN %s", [tuple(row[0] for row in cr.fetchall()) or (0,)]
            )
            cr.execute("DELETE FROM res_partner WHERE id = ANY(%s) AND company_id IS NULL", [entry_partners])

    def test_backup_reads_one_snapshot_while_others_commit(self):
        company_id, partner_ids = self._commit_company("DZ Snapshot Co", ["Snap A", "Snap B", "Snap C"])
        self.addCleanup(self._drop_company, company_id)
        changed = []

        def concurrent_writer(done, total):
            if done == 1:  # after the company settings, before the contacts
                with self.registry.cursor() as other:
                    other.execute(
                        "UPDATE res_partner SET name = name || ' (new)' WHERE id IN %s", [tuple(partner_ids)]
                    )
                    other.execute("DELETE FROM res_partner WHERE id = %s", [partner_ids[0]])
                changed.append(True)

        with self.registry.cursor() as cr:  # REPEATABLE READ, like the cron's snapshot
            env = api.Environment(cr, SUPERUSER_ID, {})
            scope = env["danger.zone.scope"]._danger_zone_resolve(env["res.company"].browse(company_id))
            buffer = io.BytesIO()
            writer = write_backup(buffer)
            members = BackupExport(scope, writer, progress=concurrent_writer).write_members()
            writer.close({"members": members})
            cr.rollback()
        self.assertTrue(changed)
        names = {record["name"] for record in jsonl_member(buffer, "data/res.partner.jsonl", members)}
        self.assertEqual(names, {"Snap A", "Snap B", "Snap C"}, "all-old: the concurrent commit is not seen")

    def test_two_connections_write_what_one_writes_from_the_same_snapshot(self):
        """With a second connection scanning the largest own model ahead (here whatever its size)
        and rendering the members cut in two (here every member of more than one record), the
        scope and the members are what one connection finds and writes, as of the snapshot."""
        names = [f"Split {number:02d}" for number in range(12)]
        company_id, partner_ids = self._commit_company("DZ Split Co", names)
        self.addCleanup(self._drop_company, company_id)
        entry_partner_id = self._commit_entry(company_id, "DZ Split Shared Contact")

        def rename_all(done, total):
            if done == 1:  # after the company settings, before the contacts
                with self.registry.cursor() as other:
                    other.execute(
                        "UPDATE res_partner SET name = 'changed' WHERE id IN %s", [tuple(partner_ids)]
                    )

        members, scopes = {}, {}
        for split in (True, False):
            scopes[split], members[split] = self._scope_and_members(company_id, split, rename_all)
            self._rename(partner_ids, names)  # as before the concurrent change, for the other run
        self.assertEqual(scopes[True], scopes[False])
        self.assertIn(("res.partner", entry_partner_id, "data"), scopes[True], "found through the lines")
        self.assertEqual(members[True], members[False])
        partners = [record["name"] for record in members[True]["data/res.partner.jsonl"]]
        self.assertEqual(partners, [*names, "DZ Split Shared Contact"], "in id order, none renamed")
        self.assertEqual(len(members[True]["data/account.move.line.jsonl"]), 2)

    def _scope_and_members(self, company_id, split, progress):
        """(scope rows, records by member) of a backup made on a snapshot of its own, with a second
        connection (``split``) or one."""
        with self.registry.cursor() as cr:  # REPEATABLE READ, like the cron's snapshot
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].browse(company_id)
            buffer = io.BytesIO()
            writer = write_backup(buffer)
            if split:
                with (
                    SnapshotReader(cr, self.registry) as second_reader,
                    patch.object(scope_closure, "SCAN_AHEAD_ROWS", 0),
                ):
                    scope = env["danger.zone.scope"]._danger_zone_resolve(company, helper=second_reader)
                    export = BackupExport(scope, writer, progress, second_reader, split_rows=1)
                    entries = export.write_members()
            else:
                scope = env["danger.zone.scope"]._danger_zone_resolve(company)
                entries = BackupExport(scope, writer).write_members()
            writer.close({"members": entries})
            cr.execute("SELECT model, id, kind FROM danger_zone_scope ORDER BY model, id")
            scope_rows = cr.fetchall()
            cr.rollback()
        return scope_rows, {entry["name"]: jsonl_member(buffer, entry["name"], entries) for entry in entries}

    def _rename(self, partner_ids, names):
        with self.registry.cursor() as cr:
            for partner_id, name in zip(partner_ids, names, strict=True):
                cr.execute("UPDATE res_partner SET name = %s WHERE id = %s", [name, partner_id])

    def test_command_line_backup(self):
        """Also with a pool of two connections, the job's and the snapshot's: progress, which
        needs a third, is skipped rather than failing the backup."""
        company_id, _partners = self._commit_company("DZ CLI Co", ["Cli Customer"])
        self.addCleanup(self._drop_company, company_id)
        with tempfile.TemporaryDirectory() as folder:
            output = os.path.join(folder, "cli.zip")
            command = odoo_bin_command(
                "danger-zone", "backup", "-d", get_db_name(), "--company", str(company_id), "-o", output,
                "--db_maxconn=2", "--log-level=info",
            )  # fmt: skip
            result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("sha256 ", result.stdout)
            self.assertIn("no free database connection to report progress", result.stdout + result.stderr)
            with open(output, "rb") as stream:
                reader = open_backup(stream)
                reader.verify()
                names = [r["name"] for r in reader.records("data/res.partner.jsonl")]
        self.assertEqual(names, ["Cli Customer"])
        with self.registry.cursor() as cr:
            cr.execute(
                """SELECT trigger, state, expires_at, attachment_id
                     FROM danger_zone_backup WHERE company_id = %s""",
                [company_id],
            )
            self.assertEqual(cr.fetchall(), [("cli", "done", None, None)])

    def test_command_line_errors_exit_non_zero(self):
        command = odoo_bin_command(
            "danger-zone", "backup", "-d", get_db_name(), "--company", "999999", "-o", "/tmp/x.zip"
        )
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("There is no company with id 999999", result.stderr)


def jsonl_member(buffer, name, members):
    """Records of one member of an in-memory ZIP, by the columns of its entry in ``members``."""
    columns = next(member["columns"] for member in members if member["name"] == name)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as archive:
        return [dict(zip(columns, json.loads(line), strict=True)) for line in archive.read(name).splitlines()]
