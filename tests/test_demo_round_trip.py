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

# Every column of the database that points to a company, with the rows naming one.
COMPANY_REFERENCES = """
SELECT c.conrelid::regclass::text, a.attname::text
  FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.confrelid = 'res_company'::regclass
"""


@tagged("post_install", "-at_install")
class TestDemoCompanyAcrossDatabases(BaseCase):
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
        chart = cls._query(cls.source_db, "SELECT chart_template FROM res_company WHERE id = 1")[0][0]
        shell = odoo_bin_command("shell", "-d", cls.target_db, "--log-level=warn", "--no-http")
        output = cls._run(shell, stdin=NEW_COMPANY % {"name": "DZ Demo Target", "chart": chart})
        cls.target_company = int(
            next(x for x in output.splitlines() if x.startswith("NEW_COMPANY")).split()[1]
        )
        cls.folder = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.folder.cleanup)
        cls.backup = os.path.join(cls.folder.name, "demo.zip")
        cls._run(
            odoo_bin_command("danger-zone", "backup", "-d", cls.source_db, "--company", "1", "-o", cls.backup)
        )

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

    def test_the_backup_accounts_for_every_model_holding_the_company_rows(self):
        with zipfile.ZipFile(self.backup) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        carried = {member["model"]: member["count"] for member in manifest["members"]}
        for model in ("stock.picking", "stock.quant", "pos.order", "project.project", "mrp.production"):
            self.assertGreater(carried.get(model, 0), 0, model)
        reasons = {item["model"]: item["reason"] for item in manifest["left_out"]}
        for model, reason in reasons.items():
            self.assertFalse(reason.startswith(("no rule", "not carried")), f"{model}: {reason}")

    def test_the_demo_company_restores_into_another_database_identical(self):
        restore = odoo_bin_command(
            "danger-zone",
            "restore",
            "-d",
            self.target_db,
            "--company",
            str(self.target_company),
            "-i",
            self.backup,
        )
        self.assertIn("the restore can run", self._run([*restore, "--dry-run"]))
        self.assertIn("records restored into", self._run(restore))

        source = self._fingerprint(self.source_db, 1)
        self.assertEqual(set(source), set(QUERIES), "every app of the fingerprint is installed")
        for name, rows in source.items():
            self.assertTrue(rows, f"the demo company has {name}")
        restored = self._fingerprint(self.target_db, self.target_company)
        for name in QUERIES:
            with self.subTest(name):
                self.assertEqual(restored[name], source[name])

        delete = odoo_bin_command(
            "danger-zone", "delete", "-d", self.target_db, "--company", str(self.target_company)
        )
        self.assertIn("records of DZ Demo Target", self._run([*delete, "--yes", "DZ Demo Target"]))
        for table, column in self._query(self.target_db, COMPANY_REFERENCES):
            query = SQL(
                "SELECT count(*) FROM %s WHERE %s = %s",
                SQL.identifier(table),
                SQL.identifier(column),
                self.target_company,
            )
            count = self._query(self.target_db, query)[0][0]
            self.assertEqual(count, 0, f"{table}.{column} still names the deleted company")
