"""One Danger Zone job per company, whatever its kind, across concurrent transactions and workers.

Committed companies and real cursors, as requests in several workers have them; each test removes
what it committed. Odoo retries a request that fails with a serialization failure (HTTP, XML-RPC):
``retrying`` is that retry.
"""

import base64
import os
import socket
import subprocess
import tempfile
import threading
import time
import xmlrpc.client
from functools import partial

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, new_test_user, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger

from .common import OWNER_PASSWORD
from .test_backup_cli_and_snapshot import odoo_bin_command

JOB_TABLES = ("danger_zone_backup", "danger_zone_restore", "danger_zone_deletion")
ACTIVE_JOBS = " UNION ALL ".join(
    f"SELECT company_id FROM {table} WHERE state IN ('queued', 'running')" for table in JOB_TABLES
)
BUSY = "already queued or running"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@tagged("post_install", "-at_install")
class TestOneJobPerCompanyAcrossWorkers(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            owner = new_test_user(
                env,
                "dz_race_owner",
                groups="base.group_system,base.group_partner_manager",
                password=OWNER_PASSWORD,
                name="Rita Race",
            )
            cls.owner_id, cls.owner_login = owner.id, owner.login
        cls.addClassCleanup(cls._remove_owner)

    @classmethod
    def _remove_owner(cls):
        with cls.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["res.users"].browse(cls.owner_id).unlink()

    def _owner_env(self, cr):
        return api.Environment(cr, self.owner_id, {})

    def _commit_companies(self, count):
        """``count`` new companies of the owner, committed; deleted again after the test."""
        with self.registry.cursor() as cr:
            env = self._owner_env(cr)
            names = [f"DZ Race Co {time.monotonic_ns()} {number}" for number in range(count)]
            companies = env["res.company"].create([{"name": name} for name in names])
            env.user.sudo().company_ids |= companies
            ids = companies.ids
        self.addCleanup(self._delete_companies, ids)
        return ids

    def _delete_companies(self, company_ids):
        """Forget the test's jobs, then delete the companies as their owner would."""
        with self.registry.cursor() as cr:
            for table in JOB_TABLES:
                cr.execute(f"DELETE FROM {table} WHERE company_id = ANY(%s)", [company_ids])
            for company in self._owner_env(cr)["res.company"].browse(company_ids):
                deletion = company.env["danger.zone.deletion"]._request(company, trigger="cli")
                self.assertTrue(deletion._run(), deletion.error)
            cr.execute("DELETE FROM danger_zone_deletion WHERE deleted_company_id = ANY(%s)", [company_ids])

    def _active_jobs(self, company_ids):
        with self.registry.cursor() as cr:
            cr.execute(
                f"SELECT company_id FROM ({ACTIVE_JOBS}) jobs WHERE company_id = ANY(%s)", [company_ids]
            )
            return sorted(company_id for (company_id,) in cr.fetchall())

    def test_a_request_that_read_before_another_committed_is_retried_and_refused(self):
        (company_id,) = self._commit_companies(1)
        with self.registry.cursor() as late:
            late.execute("SELECT 1")  # the late request's snapshot: before the backup below commits
            with self.registry.cursor() as early:
                self._owner_env(early)["res.company"].browse(company_id).danger_zone_backup()
            company = self._owner_env(late)["res.company"].browse(company_id)
            delete = partial(company.danger_zone_delete, company.sudo().name, OWNER_PASSWORD)
            with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.SerializationFailure):
                delete()
            late.rollback()
            with self.assertRaisesRegex(UserError, f"backup of .* {BUSY}"):
                retrying(delete, company.env)
        self.assertEqual(self._active_jobs([company_id]), [company_id])

    def test_a_request_meeting_another_in_flight_waits_for_it_then_is_refused(self):
        (company_id,) = self._commit_companies(1)
        with self.registry.cursor() as first, self.registry.cursor() as second:
            company = self._owner_env(first)["res.company"].browse(company_id)
            company.danger_zone_delete(company.sudo().name, OWNER_PASSWORD)  # not committed yet
            second_env = self._owner_env(second)
            backup = second_env["res.company"].browse(company_id).danger_zone_backup
            second.execute("SET lock_timeout = '300ms'")  # rather than wait for the deletion's commit
            with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.LockNotAvailable):
                backup()
            second.rollback()
            first.commit()
            with self.assertRaisesRegex(UserError, f"deletion of .* {BUSY}"):
                retrying(backup, second_env)
            self.assertFalse(
                second_env["danger.zone.backup"].sudo().search([("company_id", "=", company_id)])
            )
        self.assertEqual(self._active_jobs([company_id]), [company_id])

    def test_a_backup_and_a_restore_requested_at_once_over_xmlrpc_one_wins(self):
        """Two HTTP workers take a backup and a restore request of one company at the same moment:
        exactly one is queued, the other refused with the reason; three companies, three races."""
        company_ids = self._commit_companies(3)
        files = {company_id: self._backup_file(company_id) for company_id in company_ids}
        url = self._start_server_with_two_workers()
        uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
            get_db_name(), self.owner_login, OWNER_PASSWORD, {}
        )
        for company_id in company_ids:
            requests = {
                "backup": ("danger_zone_backup", []),
                "restore": ("danger_zone_restore", [files[company_id]]),
            }
            outcomes = self._race(url, uid, company_id, requests)
            accepted = [name for name, outcome in outcomes.items() if isinstance(outcome, int)]
            self.assertEqual(len(accepted), 1, outcomes)
            (refused,) = set(outcomes) - set(accepted)
            self.assertIsInstance(outcomes[refused], xmlrpc.client.Fault, outcomes)
            self.assertIn(BUSY, outcomes[refused].faultString)
        self.assertEqual(self._active_jobs(company_ids), sorted(company_ids))

    def _race(self, url, uid, company_id, requests):
        """Send ``requests`` (name: (method, args)) on one company at once; name -> id or Fault."""
        start, outcomes = threading.Barrier(len(requests)), {}

        def request(name, method, args):
            models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")
            kwargs = {"confirm": "RESTORE"} if method == "danger_zone_restore" else {}
            start.wait()
            try:
                outcomes[name] = models.execute_kw(
                    get_db_name(), uid, OWNER_PASSWORD, "res.company", method, [[company_id], *args], kwargs
                )
            except xmlrpc.client.Fault as fault:
                outcomes[name] = fault

        threads = [threading.Thread(target=request, args=(name, *call)) for name, call in requests.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        return outcomes

    def _backup_file(self, company_id):
        """The company's backup, base64, built at once (the job is not kept)."""
        with tempfile.TemporaryDirectory() as folder, self.registry.cursor() as cr:
            company = self._owner_env(cr)["res.company"].browse(company_id)
            path = os.path.join(folder, "company.zip")
            company.env["danger.zone.backup"]._request(company, trigger="cli")._run_to_path(path)
            cr.rollback()
            with open(path, "rb") as stream:
                return base64.b64encode(stream.read()).decode()

    def _start_server_with_two_workers(self):
        port = _free_port()
        command = odoo_bin_command(
            "-d",
            get_db_name(),
            f"--db-filter=^{get_db_name()}$",
            "--workers=2",
            "--max-cron-threads=0",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            f"--gevent-port={_free_port()}",
            "--log-level=warn",
        )
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self._stop, server)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").version()
                return url
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"the server did not start:\n{server.stderr.read()[-3000:]}"
                    ) from None
                time.sleep(0.2)

    @staticmethod
    def _stop(server):
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
