import base64
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from xmlrpc.client import Fault

import odoo
from odoo.tests import HttpCase, tagged
from odoo.tests.common import HOST
from odoo.tools import mute_logger

from ..engine import open_backup
from .common import ADMIN_PASSWORD, OWNER_PASSWORD, USER_PASSWORD, DangerZoneUsersMixin

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
FAULT_WARNING = 2  # UserError, see odoo/addons/base/controllers/rpc.py
FAULT_ACCESS_ERROR = 4


def _load_example(name):
    if str(EXAMPLES) not in sys.path:  # the restore example imports the backup one
        sys.path.append(str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"danger_zone_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestXmlrpcAccess(DangerZoneUsersMixin, HttpCase):
    """Every public Danger Zone entry point, called through Odoo's real XML-RPC server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_owner_and_others()
        cls.page_action = cls.env.ref("danger_zone.action_danger_zone_page")
        cls.backup = (
            cls.env["danger.zone.backup"].sudo().create({"company_id": cls.company.id, "trigger": "daily"})
        )

    def _call(self, user, password, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, password, model, method, list(args), kwargs
        )

    def _public_calls(self, new_owner, password):
        """(name, model, method, args, kwargs) of every public method this addon exposes."""
        return [
            *self._ownership_calls(new_owner, password),
            *self._backup_calls(),
            *self._restore_and_delete_calls(password),
        ]

    def _ownership_calls(self, new_owner, password):
        company = [self.company.id]
        return [
            (
                "transfer",
                "res.company",
                "danger_zone_transfer_ownership",
                [company, new_owner.id, password],
                {},
            ),
            ("open wizard", "res.company", "action_danger_zone_transfer_ownership", [company], {}),
            ("write owner", "res.company", "write", [company, {"danger_zone_owner_id": new_owner.id}], {}),
            (
                "wizard create",
                "danger.zone.ownership.wizard",
                "create",
                [{"company_id": self.company.id, "new_owner_id": new_owner.id, "password": password}],
                {},
            ),
            (
                "open page",
                "ir.actions.server",
                "run",
                [[self.page_action.id]],
                {"context": {"allowed_company_ids": company}},
            ),
        ]

    def _backup_calls(self):
        company = [self.company.id]
        return [
            ("backup", "res.company", "danger_zone_backup", [company], {}),
            ("backup wizard", "res.company", "action_danger_zone_backup", [company], {}),
            (
                "backup wizard create",
                "danger.zone.backup.wizard",
                "create",
                [{"company_id": self.company.id}],
                {},
            ),
            ("read backups", "danger.zone.backup", "read", [[self.backup.id], ["state"]], {}),
            ("download", "danger.zone.backup", "action_download", [[self.backup.id]], {}),
            ("daily setting", "res.company", "write", [company, {"danger_zone_daily_backup": True}], {}),
        ]

    def _restore_and_delete_calls(self, password):
        company = [self.company.id]
        return [
            ("restore", "res.company", "danger_zone_restore", [company, "", "RESTORE"], {}),
            ("restore preflight", "res.company", "danger_zone_restore_preflight", [company, ""], {}),
            (
                "restore attachment",
                "res.company",
                "danger_zone_restore_attachment",
                [company, 1, "RESTORE"],
                {},
            ),
            (
                "restore attachment preflight",
                "res.company",
                "danger_zone_restore_attachment_preflight",
                [company, 1],
                {},
            ),
            ("read restores", "danger.zone.restore", "search_read", [[]], {"fields": ["state"]}),
            ("delete", "res.company", "danger_zone_delete", [company, self.company.name, password], {}),
            ("delete preview", "res.company", "danger_zone_delete_preview", [company], {}),
            ("delete wizard", "res.company", "action_danger_zone_delete", [company], {}),
            (
                "delete wizard create",
                "danger.zone.delete.wizard",
                "create",
                [{"company_id": self.company.id}],
                {},
            ),
        ]

    @mute_logger("odoo.http")
    def test_non_owners_get_access_error_everywhere(self):
        for user, password in ((self.admin, ADMIN_PASSWORD), (self.user, USER_PASSWORD)):
            for name, model, method, args, kwargs in self._public_calls(user, password):
                with self.subTest(user=user.login, call=name):
                    with self.assertRaises(Fault) as caught:
                        self._call(user, password, model, method, *args, **kwargs)
                    self.assertEqual(
                        caught.exception.faultCode, FAULT_ACCESS_ERROR, caught.exception.faultString
                    )
        self.assertEqual(self.company.danger_zone_owner_id, self.owner)

    def test_owner_opens_page_and_wizard(self):
        page = self._call(
            self.owner,
            OWNER_PASSWORD,
            "ir.actions.server",
            "run",
            [self.page_action.id],
            context={"allowed_company_ids": [self.company.id]},
        )
        self.assertEqual((page["res_model"], page["res_id"]), ("res.company", self.company.id))
        wizard_action = self._call(
            self.owner,
            OWNER_PASSWORD,
            "res.company",
            "action_danger_zone_transfer_ownership",
            [self.company.id],
        )
        self.assertEqual(wizard_action["res_model"], "danger.zone.ownership.wizard")

    def _transfer_as_owner(self, new_owner, password):
        return self._call(
            self.owner,
            OWNER_PASSWORD,
            "res.company",
            "danger_zone_transfer_ownership",
            [self.company.id],
            new_owner.id,
            password,
        )

    @mute_logger("odoo.http")
    def test_owner_transfers_with_password_only(self):
        with self.assertRaises(Fault) as caught:
            self._transfer_as_owner(self.admin, "not-my-password")
        self.assertEqual(caught.exception.faultCode, FAULT_WARNING)
        self.assertIn("password is wrong", caught.exception.faultString)
        self.assertEqual(self.company.danger_zone_owner_id, self.owner)

        self._transfer_as_owner(self.admin, OWNER_PASSWORD)
        self.company.invalidate_recordset()
        self.assertEqual(self.company.danger_zone_owner_id, self.admin)

    def test_documented_example_script_backs_up_over_xmlrpc(self):
        example = _load_example("xmlrpc_backup")
        self.backup.unlink()
        url = f"http://{HOST}:{odoo.tools.config['http_port']}"
        call = example.connect(url, self.env.cr.dbname, "dz_owner", OWNER_PASSWORD)
        backup_id = example.request_backup(call, self.company.id)
        self.assertEqual(call("danger.zone.backup", "read", [backup_id], ["state"])[0]["state"], "queued")
        self.env["danger.zone.backup"]._cron_process_queue()  # the scheduled action, run here
        backup = example.wait_until_done(call, backup_id, timeout=10, poll_seconds=0.1)
        with tempfile.TemporaryDirectory() as folder:
            output = os.path.join(folder, "backup.zip")
            size = example.download(call, backup, output)
            with open(output, "rb") as stream:
                open_backup(stream).verify()
        self.assertEqual(size, self.env["danger.zone.backup"].browse(backup_id).file_size)

    def test_documented_example_script_restores_over_xmlrpc(self):
        backup_example, example = _load_example("xmlrpc_backup"), _load_example("xmlrpc_restore")
        self.backup.unlink()
        url = f"http://{HOST}:{odoo.tools.config['http_port']}"
        call = backup_example.connect(url, self.env.cr.dbname, "dz_owner", OWNER_PASSWORD)
        backup_id = backup_example.request_backup(call, self.company.id)
        self.env["danger.zone.backup"]._cron_process_queue()
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "backup.zip")
            backup_example.download(call, backup_example.wait_until_done(call, backup_id, 10, 0.1), path)
            report = example.preflight(call, self.company.id, path)
            self.assertTrue(report["ok"], report["errors"])
            restore_id = example.request_restore(call, self.company.id, path)
        self.env["danger.zone.restore"]._cron_process_queue()
        restore = example.wait_until_done(call, restore_id, timeout=10, poll_seconds=0.1)
        self.assertIn("Restored", restore["report_text"])

    @mute_logger("odoo.http")
    def test_a_file_above_odoos_upload_limit_is_refused_naming_the_limit_and_the_way(self):
        self.env["ir.config_parameter"].sudo().set_param("web.max_file_upload_size", 2048)
        file_b64 = base64.b64encode(os.urandom(8192)).decode()
        for method in ("danger_zone_restore_preflight", "danger_zone_restore"):
            with self.subTest(method=method), self.assertRaises(Fault) as caught:
                self._call(self.owner, OWNER_PASSWORD, "res.company", method, [self.company.id], file_b64)
            self.assertEqual(caught.exception.faultCode, FAULT_WARNING, caught.exception.faultString)
            self.assertRegex(
                caught.exception.faultString,
                r"^The request is [\d.]+ KB, above Odoo's upload limit of 2\.0 KB \(system parameter "
                r"web\.max_file_upload_size\)\. To restore a larger backup, upload it to "
                r"/danger_zone/api/restore/upload and call danger_zone_restore_attachment\.$",
            )
        self.assertFalse(self.env["danger.zone.restore"].search_count([]))

    @mute_logger("odoo.http")
    def test_documented_example_script_uploads_large_files_and_restores_them(self):
        backup_example, example = _load_example("xmlrpc_backup"), _load_example("xmlrpc_restore")
        self.backup.unlink()
        api_key = self.env["res.users.apikeys"].with_user(self.owner)._generate("rpc", "dz upload", None)
        url = f"http://{HOST}:{odoo.tools.config['http_port']}"
        call = backup_example.connect(url, self.env.cr.dbname, "dz_owner", api_key)
        backup_id = backup_example.request_backup(call, self.company.id)
        self.env["danger.zone.backup"]._cron_process_queue()
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "backup.zip")
            backup_example.download(call, backup_example.wait_until_done(call, backup_id, 10, 0.1), path)
            attachment_id = example.upload(url, api_key, self.company.id, path)
            with self.assertRaisesRegex(RuntimeError, r"upload refused \(401\)"):
                example.upload(url, OWNER_PASSWORD, self.company.id, path)  # a password is no API key
        report = example.preflight_uploaded(call, self.company.id, attachment_id)
        self.assertTrue(report["ok"], report["errors"])
        restore_id = example.restore_uploaded(call, self.company.id, attachment_id)
        self.env["danger.zone.restore"]._cron_process_queue()
        restore = example.wait_until_done(call, restore_id, timeout=10, poll_seconds=0.1)
        self.assertIn("Restored", restore["report_text"])

    def test_owner_can_confirm_with_an_api_key(self):
        api_key = self.env["res.users.apikeys"].with_user(self.owner)._generate("rpc", "dz test", None)
        self._call(
            self.owner,
            api_key,
            "res.company",
            "danger_zone_transfer_ownership",
            [self.company.id],
            self.admin.id,
            api_key,
        )
        self.company.invalidate_recordset()
        self.assertEqual(self.company.danger_zone_owner_id, self.admin)

    @mute_logger("odoo.http")
    def test_documented_example_script_deletes_over_xmlrpc(self):
        example = _load_example("xmlrpc_delete")
        self.backup.unlink()  # a queued job would block the deletion
        url = f"http://{HOST}:{odoo.tools.config['http_port']}"
        call = example.connect(url, self.env.cr.dbname, "dz_owner", OWNER_PASSWORD)
        report = example.preview(call, self.company.id)
        self.assertTrue(report["ok"], report["blockers"])
        self.assertEqual(report["counts"]["res.company"], 1)
        for name, password, message in (
            ("danger zone test co", OWNER_PASSWORD, "exactly as shown"),
            (self.company.name, "not-my-password", "password is wrong"),
        ):
            with self.subTest(message=message), self.assertRaises(Fault) as caught:
                example.request_deletion(call, self.company.id, name, password)
            self.assertEqual(caught.exception.faultCode, FAULT_WARNING)
            self.assertIn(message, caught.exception.faultString)
        self.assertTrue(self.company.exists())

        deletion_id = example.request_deletion(call, self.company.id, self.company.name, OWNER_PASSWORD)
        self.env["danger.zone.deletion"]._cron_process_queue()
        deletion = example.wait_until_done(call, deletion_id, timeout=10, poll_seconds=0.1)
        self.assertIn("res.company", deletion["report_text"])
        self.assertFalse(self.company.exists())
        self.assertTrue(self.user.active and self.admin.active, "other users keep their accounts")
