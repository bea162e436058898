"""What the backup and restore tests share: two rich companies, and how to read a backup."""

import io
from pathlib import Path

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from ..demo.sample_company import create_sample_company
from ..engine import open_backup

DOCS = Path(__file__).resolve().parent.parent / "docs"


def read_backup(backup):
    """The reader of a done backup's file, verified."""
    reader = open_backup(io.BytesIO(backup.attachment_id.sudo().raw))
    reader.verify()
    return reader


def records_by_model(reader, kind="data"):
    return {
        member["model"]: list(reader.records(member["name"]))
        for member in reader.manifest["members"]
        if member["kind"] == kind
    }


class BackupCase(TransactionCase):
    """Company A (rich, owned by ``owner``) and company B (rich, owned by ``other_owner``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = (
            "base.group_system,base.group_partner_manager,account.group_account_manager,"
            "sales_team.group_sale_manager,purchase.group_purchase_manager,hr_expense.group_hr_expense_manager"
        )
        cls.owner = new_test_user(cls.env, "dz_backup_owner", groups=groups, name="Bea Backup")
        cls.other_owner = new_test_user(cls.env, "dz_other_owner", groups=groups, name="Otto Other")
        cls.admin = new_test_user(
            cls.env, "dz_backup_admin", groups="base.group_system,base.group_erp_manager"
        )
        cls.env["ir.model.fields"].create(
            {
                "name": "x_dz_loyalty",
                "field_description": "Loyalty level",
                "model_id": cls.env.ref("base.model_res_partner").id,
                "ttype": "char",
            }
        )
        cls.company = create_sample_company(cls.env, "DZ Backup Co", cls.owner)
        cls.other_company = create_sample_company(cls.env, "DZ Other Co", cls.other_owner)
        cls.customer = cls.env["res.partner"].search(
            [("company_id", "=", cls.company.id), ("name", "like", "Customer 1")]
        )
        cls.customer.x_dz_loyalty = "gold"
        cls._create_custom_visits()
        cls.admin.company_ids = [Command.link(cls.company.id), Command.link(cls.other_company.id)]

    @classmethod
    def _create_custom_visits(cls):
        """A custom model (made in the UI, x_*) whose records point to each company's customers."""
        cls.env["ir.model"].create(
            {
                "name": "Customer visit",
                "model": "x_dz_visit",
                "field_id": [
                    Command.create({"name": "x_name", "field_description": "Subject", "ttype": "char"}),
                    Command.create(
                        {
                            "name": "x_partner_id",
                            "field_description": "Customer",
                            "ttype": "many2one",
                            "relation": "res.partner",
                        }
                    ),
                ],
            }
        )
        other_customer = cls.env["res.partner"].search([("company_id", "=", cls.other_company.id)], limit=1)
        cls.env["x_dz_visit"].create(
            [
                {"x_name": "Showroom visit", "x_partner_id": cls.customer.id},
                {"x_name": "Other company's visit", "x_partner_id": other_customer.id},
            ]
        )

    @classmethod
    def _build_backup(cls, **options):
        """Request a backup as the owner and build it as the cron would."""
        backup_id = cls.company.with_user(cls.owner).danger_zone_backup(**options)
        cls.env["danger.zone.backup"]._cron_process_queue()
        return cls.env["danger.zone.backup"].browse(backup_id)

    def backup(self, **options):
        backup = self._build_backup(**options)
        self.assertEqual(backup.state, "done", backup.error)
        return backup
