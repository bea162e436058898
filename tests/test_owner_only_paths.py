"""Odoo's own paths to a company and its backups, taken over real XML-RPC and HTTP by non-owners."""

from xmlrpc.client import Fault

from lxml import etree

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import ADMIN_PASSWORD, OWNER_PASSWORD, USER_PASSWORD, DangerZoneUsersMixin
from .test_xmlrpc_access import FAULT_ACCESS_ERROR, FAULT_WARNING

DATABASE_ADMIN_PASSWORD = "database-admin-Pa55word"
JOB_MODELS = ("danger.zone.backup", "danger.zone.restore", "danger.zone.deletion")


@tagged("post_install", "-at_install")
class TestOwnerOnlyPaths(DangerZoneUsersMixin, HttpCase):
    """Company B is the owner's, with contacts and a finished backup, and nobody's current company.

    Nobody but the owner may delete it, archive it, read its backup or queue a job on it,
    whatever the rights: the database administrator, a settings administrator, a plain user.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_owner_and_others()
        cls.database_admin = cls.env.ref("base.user_admin")
        cls.database_admin.password = DATABASE_ADMIN_PASSWORD
        Companies = cls.env["res.company"].with_user(cls.owner)
        cls.company_b = Companies.create({"name": "Owner Only Co B"})
        cls.owner.company_ids = [Command.link(cls.company_b.id)]
        for user in (cls.admin, cls.user):
            user.company_ids = [Command.link(cls.company_b.id)]
        cls.env["res.partner"].create(
            [{"name": f"B customer {n}", "company_id": cls.company_b.id} for n in range(3)]
        )
        cls.backup = cls.env["danger.zone.backup"].browse(
            cls.company_b.with_user(cls.owner).danger_zone_backup()
        )
        cls.env["danger.zone.backup"]._cron_process_queue()
        assert cls.backup.state == "done", cls.backup.error

    def _non_owners(self):
        return (
            (self.database_admin, DATABASE_ADMIN_PASSWORD),
            (self.admin, ADMIN_PASSWORD),
            (self.user, USER_PASSWORD),
        )

    def _call(self, user, password, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, password, model, method, list(args), kwargs
        )

    def _fault(self, user, password, model, method, *args, **kwargs):
        with self.assertRaises(Fault) as caught:
            self._call(user, password, model, method, *args, **kwargs)
        return caught.exception

    def _company_b_as_it_is(self):
        """What the deletion would remove, per model, plus the backup's state and file."""
        self.env.invalidate_all()
        counts = self.company_b._danger_zone_delete_preview()["counts"]
        return counts, self.backup.state, self.backup.attachment_id.checksum

    @mute_logger("odoo.http")
    def test_unlink_deletes_no_company_whoever_calls_it(self):
        before = self._company_b_as_it_is()
        for user, password in (*self._non_owners(), (self.owner, OWNER_PASSWORD)):
            with self.subTest(user=user.login):
                fault = self._fault(user, password, "res.company", "unlink", [self.company_b.id])
                self.assertEqual(fault.faultCode, FAULT_WARNING, fault.faultString)
                self.assertIn("Settings → Danger Zone → Delete Company", fault.faultString)
        self.assertTrue(self.company_b.exists())
        self.assertEqual(self._company_b_as_it_is(), before)
        self.assertIn("res.partner", before[0])

        deletion_id = self._call(
            self.owner, OWNER_PASSWORD, "res.company", "danger_zone_delete", [self.company_b.id],
            self.company_b.name, OWNER_PASSWORD,
        )  # fmt: skip
        self.env["danger.zone.deletion"]._cron_process_queue()
        deletion = self.env["danger.zone.deletion"].browse(deletion_id)
        self.assertEqual(deletion.state, "done", deletion.error)
        self.assertFalse(self.company_b.exists())

    def test_unlink_is_refused_in_superuser_mode_too(self):
        with self.assertRaisesRegex(Exception, "Danger Zone"):
            self.company_b.sudo().unlink()
        self.assertTrue(self.company_b.exists())

    def test_companies_views_offer_no_delete(self):
        views = (
            self.env["res.company"]
            .with_user(self.database_admin)
            .get_views([(False, "list"), (False, "form"), (False, "kanban")])["views"]
        )
        for view_type, view in views.items():
            with self.subTest(view=view_type):
                self.assertEqual(etree.fromstring(view["arch"]).get("delete"), "0")

    @mute_logger("odoo.http")
    def test_only_the_owner_archives_and_unarchives(self):
        for user, password in self._non_owners():
            with self.subTest(user=user.login):
                fault = self._fault(
                    user, password, "res.company", "write", [self.company_b.id], {"active": False}
                )
                self.assertEqual(fault.faultCode, FAULT_ACCESS_ERROR, fault.faultString)
        self.company_b.invalidate_recordset()
        self.assertTrue(self.company_b.active)

        self._call(self.owner, OWNER_PASSWORD, "res.company", "write", [self.company_b.id], {"active": False})
        self.company_b.invalidate_recordset()
        self.assertFalse(self.company_b.active)
        for user, password in self._non_owners():
            with self.subTest(user=user.login, unarchive=True):
                fault = self._fault(
                    user, password, "res.company", "write", [self.company_b.id], {"active": True}
                )
                self.assertEqual(fault.faultCode, FAULT_ACCESS_ERROR, fault.faultString)
        self._call(self.owner, OWNER_PASSWORD, "res.company", "write", [self.company_b.id], {"active": True})
        self.company_b.invalidate_recordset()
        self.assertTrue(self.company_b.active)
        # writing what is already there is not archiving: other users edit the company as before
        self._call(
            self.admin, ADMIN_PASSWORD, "res.company", "write", [self.company_b.id],
            {"active": True, "sequence": 7},
        )  # fmt: skip

    @mute_logger("odoo.http")
    def test_backup_file_is_the_owners_alone(self):
        attachment = self.backup.attachment_id
        domain = [("res_model", "=", "danger.zone.backup")]
        for user, password in self._non_owners():
            with self.subTest(user=user.login):
                found = self._call(user, password, "ir.attachment", "search_read", domain, fields=["name"])
                self.assertNotIn(attachment.id, [record["id"] for record in found])
                fault = self._fault(user, password, "ir.attachment", "read", [attachment.id], ["datas"])
                self.assertEqual(fault.faultCode, FAULT_ACCESS_ERROR, fault.faultString)
        for login, password in (("dz_admin", ADMIN_PASSWORD), ("dz_user", USER_PASSWORD), ("admin", None)):
            with self.subTest(browser=login):
                self.authenticate(login, password or DATABASE_ADMIN_PASSWORD)
                response = self.url_open(f"/web/content/{attachment.id}?download=true")
                self.assertIn(response.status_code, (403, 404))
                self.assertNotEqual(response.content[:2], b"PK")
        self.authenticate("dz_owner", OWNER_PASSWORD)
        response = self.url_open(f"/web/content/{attachment.id}?download=true")
        self.assertEqual((response.status_code, response.content[:2]), (200, b"PK"))

    @mute_logger("odoo.http")
    def test_no_job_is_made_or_changed_outside_the_danger_zone(self):
        """Even a settings administrator who gives himself every right on the jobs and switches
        their record rules off: a queued job runs unattended, so it must come from the owner."""
        own = self.env["res.company"].with_user(self.admin).sudo().create({"name": "Admin's Own Co"})
        self.assertIn(self.admin, self.env.ref("danger_zone.group_danger_zone_owner").users)
        for model in (*JOB_MODELS, "danger.zone.upload"):
            self.env["ir.model.access"].create(
                {
                    "name": f"{model} for admins",
                    "model_id": self.env["ir.model"]._get_id(model),
                    "group_id": self.env.ref("base.group_system").id,
                    "perm_read": True, "perm_write": True, "perm_create": True, "perm_unlink": True,
                }
            )  # fmt: skip
        self.env["ir.rule"].search(
            [("model_id.model", "in", [*JOB_MODELS, "danger.zone.upload"])]
        ).active = False
        common = {"company_id": self.company_b.id, "requested_by_id": self.owner.id, "state": "queued"}
        for model, values in (
            ("danger.zone.backup", {**common, "trigger": "manual"}),
            ("danger.zone.restore", {**common, "mode": "replace"}),
            ("danger.zone.deletion", {**common, "company_name": self.company_b.name}),
            # an upload names the file a restore reads in superuser mode: here, another's backup
            ("danger.zone.upload", {"company_id": own.id, "attachment_id": self.backup.attachment_id.id}),
        ):
            with self.subTest(model=model):
                fault = self._fault(self.admin, ADMIN_PASSWORD, model, "create", values)
                self.assertEqual(fault.faultCode, FAULT_ACCESS_ERROR, fault.faultString)
                self.assertIn("through the company's Danger Zone", fault.faultString)
        for method, args in (("write", [{"state": "queued"}]), ("unlink", [])):
            with self.subTest(method=method):
                fault = self._fault(
                    self.admin, ADMIN_PASSWORD, "danger.zone.backup", method, [self.backup.id], *args
                )
                self.assertEqual(fault.faultCode, FAULT_ACCESS_ERROR, fault.faultString)
        for model in JOB_MODELS:
            self.assertFalse(
                self.env[model].search([("company_id", "=", self.company_b.id), ("id", "!=", self.backup.id)])
            )
        self.assertEqual(self.backup.state, "done")

    @mute_logger("odoo.http")
    def test_owner_is_never_written_directly(self):
        manager = new_test_user(
            self.env, "dz_manager", groups="base.group_erp_manager", password="manager-Pa55word"
        )
        for user, password in (
            *self._non_owners(),
            (manager, "manager-Pa55word"),
            (self.owner, OWNER_PASSWORD),
        ):
            with self.subTest(user=user.login):
                fault = self._fault(
                    user,
                    password,
                    "res.company",
                    "write",
                    [self.company_b.id],
                    {"danger_zone_owner_id": user.id},
                )
                self.assertEqual(fault.faultCode, FAULT_ACCESS_ERROR, fault.faultString)
        self.company_b.invalidate_recordset()
        self.assertEqual(self.company_b.danger_zone_owner_id, self.owner)
