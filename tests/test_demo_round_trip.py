import hashlib
import itertools
import json
import os
import subprocess
import tempfile
import uuid
import zipfile
from pathlib import Path

from odoo.sql_db import close_db, db_connect
from odoo.tests import BaseCase, tagged
from odoo.tools import SQL

from ..engine import open_backup
from .common import dangling_references
from .company_fingerprint import QUERIES, fingerprint
from .test_backup_cli_and_snapshot import odoo_bin_command

DEMO_APPS = Path(__file__).with_name("demo_apps.txt").read_text().split()

NEW_COMPANY = """
source = env.ref("base.main_company")
admin = env.ref("base.user_admin")
company = env["res.company"].with_user(admin).create(
    {"name": %(name)r, "country_id": env.ref("base.us").id, "currency_id": env.ref("base.USD").id}
)
admin.company_ids |= company
env["account.chart.template"].with_user(admin).try_loading(%(chart)r, company, install_demo=False)
env.cr.commit()
print("NEW_COMPANY", company.id)
"""

# What the next operations of a company get: the next numbers of its pickings and points of
# sale, and the delivery that confirming its first draft order of goods creates (rolled back).
NEXT_OPERATIONS = """
import json
company = env["res.company"].browse(%(company)s)
env = env(user=company.danger_zone_owner_id, context={"allowed_company_ids": company.ids})
types = env["stock.picking.type"].search([("company_id", "=", company.id)])
configs = env["pos.config"].search([("company_id", "=", company.id)])
orders = env["sale.order"].search([("company_id", "=", company.id), ("state", "=", "draft")], order="name")
order = orders.filtered(lambda o: set(o.order_line.product_id.mapped("type")) == {"consu"})[:1]
order.action_confirm()
print("NEXT_OPERATIONS", json.dumps({
    "pickings": sorted([t.sequence_code, t.sequence_id.get_next_char(t.sequence_id.number_next_actual)]
                       for t in types),
    "points of sale": sorted([c.name, c.sequence_id.number_next_actual] for c in configs),
    "confirmed": [order.name, order.state, [[p.name, p.state] for p in order.picking_ids]],
}))
env.cr.rollback()
"""

# A restore made to write one quant's quantity wrong, as a wrong remapping would (rolled back).
MISCOUNTED_RESTORE = """
import json
from unittest.mock import patch
from odoo.addons.danger_zone.services.restore import RestorePipeline
from odoo.addons.danger_zone.services.restore.source import BackupSource
company = env["res.company"].browse(%(company)s)
company = company.with_env(env(user=company.danger_zone_owner_id.id))
write_settings = RestorePipeline._write_company_settings

def miscount(pipeline):
    write_settings(pipeline)
    pipeline.env.cr.execute(
        "UPDATE stock_quant SET quantity = quantity + 1"
        " WHERE id = (SELECT min(id) FROM stock_quant WHERE company_id = %%s AND quantity > 0)",
        [company.id],
    )

source = BackupSource(path=%(backup)r, name="demo.zip")
with patch.object(RestorePipeline, "_write_company_settings", miscount):
    job = company.env["danger.zone.restore"]._request(
        company, source, source.name, "replace", False, trigger="cli", confirm="RESTORE"
    )
    job._run()
quants = env["stock.quant"].search_count([("company_id", "=", company.id)])
print("MISCOUNTED", json.dumps([job.state, job.error, quants]))
"""

# The tables with a company column.
COMPANY_TABLES = """
SELECT c.table_name::text FROM information_schema.columns c
  JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
 WHERE c.column_name = 'company_id' AND c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
"""

# Every column of the database that points to a company, with the rows naming one.
COMPANY_REFERENCES = """
SELECT c.conrelid::regclass::text, a.attname::text
  FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.confrelid = 'res_company'::regclass
"""


def section(output, title):
    """The indented lines of a report under ``title``."""
    lines = output.split(f"  {title}\n", 1)[1].splitlines()
    return list(itertools.takewhile(lambda line: line.startswith("    "), lines))


def amount(line):
    """The amount that ends a report line."""
    return float(line.split()[-1].replace(",", ""))


@tagged("post_install", "-at_install")
class TestDemoCompanyAcrossDatabases(BaseCase):
    maxDiff = None
    """Odoo's own demo company, with Inventory, Point of Sale, Project, CRM, Manufacturing,
    Time Off and Expenses installed, backed up in one database (A, with demo data) and restored
    into a fresh company of another (B, the same apps and chart, no demo data).

    The databases are copies of templates that ``make test`` builds once per run
    (``DZ_DEMO_TEMPLATE_A``, ``DZ_DEMO_TEMPLATE_B``); without them, this class builds them.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        suffix = uuid.uuid4().hex[:8]
        cls.source_db, cls.target_db = f"dz_demo_a_{suffix}", f"dz_demo_b_{suffix}"
        for database, template, demo in (
            (cls.source_db, os.environ.get("DZ_DEMO_TEMPLATE_A"), True),
            (cls.target_db, os.environ.get("DZ_DEMO_TEMPLATE_B"), False),
        ):
            cls.addClassCleanup(cls._run, ["dropdb", "--if-exists", database])
            cls.addClassCleanup(close_db, database)  # first: its pooled connections would stop dropdb
            if template:
                cls._run(["createdb", "-T", template, database])
            else:
                cls._build(database, demo)
        [(cls.chart,)] = cls._query(cls.source_db, "SELECT chart_template FROM res_company WHERE id = 1")
        cls.target_company = cls._new_company(cls.target_db, "DZ Demo Target")
        cls.folder = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.folder.cleanup)
        cls.backup = os.path.join(cls.folder.name, "demo.zip")
        cls._run(
            odoo_bin_command("danger-zone", "backup", "-d", cls.source_db, "--company", "1", "-o", cls.backup)
        )

    @classmethod
    def _new_company(cls, database, name):
        """A fresh company of ``database`` with A's chart, created by its administrator."""
        shell = odoo_bin_command("shell", "-d", database, "--log-level=warn", "--no-http")
        output = cls._run(shell, stdin=NEW_COMPANY % {"name": name, "chart": cls.chart})
        return int(next(x for x in output.splitlines() if x.startswith("NEW_COMPANY")).split()[1])

    @classmethod
    def _build(cls, database, demo):
        modules = ",".join([*DEMO_APPS, "danger_zone", *([] if demo else ["l10n_us"])])
        options = [] if demo else ["--without-demo=all"]
        cls._run(
            odoo_bin_command(
                "-d", database, "-i", modules, *options, "--stop-after-init", "--log-level=warn"
            ),
            timeout=1800,
        )

    @staticmethod
    def _run(command, stdin=None, timeout=900):
        result = subprocess.run(
            command, capture_output=True, text=True, input=stdin, timeout=timeout, check=False
        )
        if result.returncode:
            raise AssertionError(f"{command[2:6]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result.stdout

    @staticmethod
    def _query(database, query, params=None):
        with db_connect(database).cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall()

    @staticmethod
    def _fingerprint(database, company_id):
        with db_connect(database).cursor() as cr:
            return fingerprint(cr, company_id)

    def _copy_of_source(self, name):
        """A copy of database A for one test (the others keep it as it is)."""
        database = f"{self.source_db}_{name}"
        close_db(self.source_db)  # createdb copies only a database nobody is connected to
        self._run(["createdb", "-T", self.source_db, database])
        self.addCleanup(self._run, ["dropdb", "--if-exists", database])
        self.addCleanup(close_db, database)
        return database

    def _restore(self, database, company_id):
        command = ["danger-zone", "restore", "-d", database, "--company", str(company_id), "-i", self.backup]
        output = self._run(odoo_bin_command(*command))
        self.assertIn("records restored into", output)
        return output

    def _next_operations(self, database, company_id):
        shell = odoo_bin_command("shell", "-d", database, "--log-level=warn", "--no-http")
        output = self._run(shell, stdin=NEXT_OPERATIONS % {"company": company_id})
        return json.loads(next(x for x in output.splitlines() if x.startswith("NEXT_OPERATIONS"))[16:])

    def _assert_restored_identical(self, database, company_id, expected=None):
        expected = expected or self._fingerprint(self.source_db, 1)
        restored = self._fingerprint(database, company_id)
        for name in QUERIES:
            with self.subTest(name):
                self.assertTrue(expected[name], f"the demo company has {name}")
                self.assertEqual(restored[name], expected[name])

    def test_the_backup_accounts_for_every_model_holding_the_company_rows(self):
        with zipfile.ZipFile(self.backup) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        carried = {member["model"]: member["count"] for member in manifest["members"]}
        for model in ("stock.picking", "stock.quant", "pos.order", "project.project", "mrp.production"):
            self.assertGreater(carried.get(model, 0), 0, model)
        reasons = {item["model"]: item["reason"] for item in manifest["left_out"]}
        for model, reason in reasons.items():
            self.assertFalse(reason.startswith(("no rule", "not carried")), f"{model}: {reason}")
        # every table holding rows of the company is a member's or left out, with its reason
        accounted = {model.replace(".", "_") for model in [*carried, *reasons]}
        tables = self._query(self.source_db, COMPANY_TABLES)
        self.assertGreater(len(tables), 100)
        for (table,) in tables:
            query = SQL("SELECT count(*) FROM %s WHERE company_id = 1", SQL.identifier(table))
            if table not in accounted:
                self.assertEqual(self._query(self.source_db, query), [(0,)], f"{table} is unaccounted for")

    def test_the_demo_company_restores_into_another_database_identical(self):
        dry_run = ["danger-zone", "restore", "-d", self.target_db, "--company", str(self.target_company)]
        self.assertIn(
            "the restore can run", self._run(odoo_bin_command(*dry_run, "-i", self.backup, "--dry-run"))
        )
        output = self._restore(self.target_db, self.target_company)
        self._assert_stock_verified(output)
        self.assertEqual(set(self._fingerprint(self.source_db, 1)), set(QUERIES), "every app is installed")
        self._assert_restored_identical(self.target_db, self.target_company)
        # numbering goes on where it was, and a restored draft order is confirmed with its delivery
        expected = self._next_operations(self.source_db, 1)
        self.assertTrue(expected["confirmed"][2], "the order creates a delivery")
        self.assertEqual(self._next_operations(self.target_db, self.target_company), expected)

        self._assert_deletion_leaves_nothing(self.target_db, self.target_company, "DZ Demo Target")

    def _assert_stock_verified(self, output):
        """The restore compared the stock it wrote with the file's and printed it: each product's
        quantity on hand per location, and its valuation."""
        [(quants,)] = self._query(self.source_db, "SELECT count(*) FROM stock_quant WHERE company_id = 1")
        self.assertIn(f"Stock verified against the file ({quants} quants):", output)
        on_hand = self._query(
            self.source_db,
            """SELECT l.complete_name, sum(q.quantity) FROM stock_quant q
                 JOIN stock_location l ON l.id = q.location_id
                WHERE q.company_id = 1 AND l.usage = 'internal' GROUP BY 1 HAVING sum(q.quantity) > 0""",
        )
        self.assertTrue(on_hand, "the demo company has stock on hand")
        shown = section(output, "On hand:")  # product (40), location (30), quantity
        for location, quantity in on_hand:
            in_location = [line for line in shown if line[45:75].strip() == location[:30]]
            self.assertAlmostEqual(sum(amount(line) for line in in_location), float(quantity), 2)
        [(value,)] = self._query(
            self.source_db, "SELECT round(sum(value), 2) FROM stock_valuation_layer WHERE company_id = 1"
        )
        self.assertAlmostEqual(sum(amount(line) for line in section(output, "Valuation:")), float(value), 2)

    def test_stock_that_differs_from_the_file_fails_the_restore(self):
        """A restore that wrote one quantity on hand wrong (as a wrong remapping would) is caught
        by the verification: the restore fails with the product and location named, and rolls
        back."""
        company = self._new_company(self.target_db, "DZ Demo Miscounted")
        shell = odoo_bin_command("shell", "-d", self.target_db, "--log-level=warn", "--no-http")
        output = self._run(shell, stdin=MISCOUNTED_RESTORE % {"company": company, "backup": self.backup})
        printed = next(line for line in output.splitlines() if line.startswith("MISCOUNTED"))
        state, error, quants = json.loads(printed[len("MISCOUNTED") :])
        self.assertEqual(state, "failed")
        self.assertRegex(
            error,
            r"^The restored stock differs from the file's, so nothing was restored:\n"
            r".+, .+: the file has quantity [\d.]+; the restore wrote quantity [\d.]+",
        )
        self.assertEqual(quants, 0)

    def _assert_deletion_leaves_nothing(self, database, company_id, name):
        """Deleting the company leaves no row that names it, and makes no row shared but the file
        of its final backup, which holds every business record that the deletion deleted."""
        references = self._query(database, COMPANY_REFERENCES)
        shared_before = self._company_references(database, references, None)
        delete = odoo_bin_command("danger-zone", "delete", "-d", database, "--company", str(company_id))
        with tempfile.TemporaryDirectory() as folder:
            final_backup = os.path.join(folder, "final.zip")
            output = self._run([*delete, "--yes", name, "--final-backup-to", final_backup])
            self.assertIn(f"records of {name}", output)
            self.assertIn(f"Final backup written to {final_backup}", output)
            self._assert_final_backup_holds_the_deleted_records(database, company_id, final_backup)
        self.assertEqual(self._company_references(database, references, company_id), {})
        with db_connect(database).cursor() as cr:
            self.assertEqual(dangling_references(cr), [], "no row points to a deleted one")
        shared_after = self._company_references(database, references, None)
        # the final backup's file, which the deletion keeps with no company
        shared_before[("ir_attachment", "company_id")] = (
            shared_before.get(("ir_attachment", "company_id"), 0) + 1
        )
        for (table, column), count in shared_after.items():
            if not table.startswith("danger_zone_"):  # the deletion's own job keeps its report
                self.assertLessEqual(count, shared_before.get((table, column), 0), f"{table}.{column}")

    def _assert_final_backup_holds_the_deleted_records(self, database, company_id, path):
        [(checksum, deleted)] = self._query(
            database,
            "SELECT checksum, report->'counts' FROM danger_zone_deletion WHERE deleted_company_id = %s",
            [company_id],
        )
        with open(path, "rb") as file:
            self.assertEqual(hashlib.sha256(file.read()).hexdigest(), checksum, "the file the deletion kept")
            file.seek(0)
            reader = open_backup(file)
            reader.verify()
            in_backup = {m["model"]: m["count"] for m in reader.manifest["members"] if m["kind"] == "data"}
        business = (
            "account.move.line",
            "stock.move",
            "stock.quant",
            "sale.order.line",
            "pos.order",
            "mrp.production",
        )
        self.assertEqual(
            {model: in_backup.get(model) for model in business},
            {model: deleted.get(model) for model in business},
        )
        self.assertGreater(in_backup["stock.move"], 0)

    def _company_references(self, database, references, company_id):
        """(table, column) -> how many rows name ``company_id`` (None: no company), when any."""
        counts = {}
        for table, column in references:
            test = SQL("IS NULL") if company_id is None else SQL("= %s", company_id)
            query = SQL(
                "SELECT count(*) FROM %s WHERE %s %s", SQL.identifier(table), SQL.identifier(column), test
            )
            if count := self._query(database, query)[0][0]:
                counts[table, column] = count
        return counts

    def test_the_demo_company_restores_over_itself_identical(self):
        database = self._copy_of_source("replaced")
        self._restore(database, 1)
        self._assert_restored_identical(database, 1)

    def test_the_demo_company_restores_into_another_company_of_its_database(self):
        database = self._copy_of_source("second")
        company = self._new_company(database, "DZ Demo Second")
        output = self._restore(database, company)
        # names unique in the whole database are numbered as Odoo numbers copies
        self.assertIn("'Furniture Shop/00000' is taken here, restored as 'Furniture Shop/00000 [2]'", output)
        self.assertIn("'Sale' is taken here, restored as 'Sale [2]'", output)
        expected = self._fingerprint(self.source_db, 1)
        expected["point of sale"] = sorted(
            row.replace('/00000"', '/00000 [2]"').replace('/00001"', '/00001 [2]"')
            for row in expected["point of sale"]
        )
        self._assert_restored_identical(database, company, expected)
