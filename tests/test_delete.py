import json
import os

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..demo.sample_company import create_sample_company
from ..models.danger_zone_password_failure import MAX_FAILURES
from ..services.company_deletion import CompanyDeletion
from ..services.company_users import CompanyUsers
from .common import dangling_references, forget_password_failures

PASSWORD = "doomed-Pa55word"
GROUPS = (
    "base.group_system,base.group_partner_manager,account.group_account_manager,"
    "sales_team.group_sale_manager,purchase.group_purchase_manager,hr_expense.group_hr_expense_manager"
)


def company_columns(cr):
    """(table, column) of every foreign key to res_company."""
    cr.execute(
        """SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND c.confrelid = 'res_company'::regclass ORDER BY 1, 2"""
    )
    return cr.fetchall()


def rows_of(cr, company_id):
    """Every row that names the company in a foreign key: {(table, id): row as JSON}."""
    rows = {}
    for table, column in company_columns(cr):
        cr.execute(f'SELECT * FROM "{table}" WHERE "{column}" = %s', [company_id])
        names = [description[0] for description in cr.description]
        for values in cr.fetchall():
            row = dict(zip(names, values, strict=True))
            rows[(table, row.get("id", tuple(values)))] = row
    return rows


def company_dependent_keys(env, company_id):
    """Company-dependent values still keyed by the company: [(model, field, count)]."""
    found = []
    for name, Model in env.registry.items():
        if Model._abstract or not Model._auto:
            continue
        for field in Model._fields.values():
            if field.company_dependent and field.store:
                env.cr.execute(
                    f'SELECT count(*) FROM "{Model._table}" WHERE "{field.name}" ? %s', [str(company_id)]
                )
                if count := env.cr.fetchone()[0]:
                    found.append((name, field.name, count))
    return found


class DeleteCase(TransactionCase):
    """Company A (rich, owned by ``owner``) is deleted; company B (rich) must not notice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_test_user(cls.env, "dz_doomed_owner", groups=GROUPS, password=PASSWORD, name="Dora")
        cls.other_owner = new_test_user(cls.env, "dz_survivor_owner", groups=GROUPS, name="Sam")
        cls.company = create_sample_company(cls.env, "DZ Doomed Co", cls.owner)
        cls.other_company = create_sample_company(cls.env, "DZ Survivor Co", cls.other_owner)
        cls.owner.company_ids |= cls.other_company

    def setUp(self):
        super().setUp()
        self.addCleanup(forget_password_failures, self.env, self.owner)

    def delete(self, company=None, name=None, password=PASSWORD, user=None, final_backup=True):
        """Ask for the deletion as the owner and run it as the cron would."""
        company = company or self.company
        deletion_id = company.with_user(user or self.owner).danger_zone_delete(
            company.name if name is None else name, password, final_backup=final_backup
        )
        self.env["danger.zone.deletion"]._cron_process_queue()
        return self.env["danger.zone.deletion"].browse(deletion_id)

    def assert_refused(self, message, error=UserError, company=None, **options):
        company = company or self.company
        before = self.env["danger.zone.deletion"].search_count([])
        with self.assertRaisesRegex(error, message):
            company.with_user(options.pop("user", self.owner)).danger_zone_delete(
                options.pop("name", company.name), options.pop("password", PASSWORD)
            )
        self.assertTrue(company.exists())
        self.assertEqual(self.env["danger.zone.deletion"].search_count([]), before, "nothing is written")


@tagged("post_install", "-at_install")
class TestDeleteCompany(DeleteCase):
    def test_rich_company_is_deleted_without_a_trace(self):
        company_id, partner = self.company.id, self.company.partner_id
        self.env["ir.sequence"].create({"name": "Doomed numbers", "company_id": company_id})
        self.env.flush_all()
        own_rows = rows_of(self.env.cr, company_id)
        others_before = rows_of(self.env.cr, self.other_company.id)
        self.assertTrue(
            {"account_move", "account_move_line", "sale_order", "purchase_order"}
            <= {table for table, _id in own_rows}
        )
        sequences = [f"ir_sequence_{row_id:03d}" for table, row_id in own_rows if table == "ir_sequence"]

        deletion = self.delete()

        self.assertEqual(deletion.state, "done", deletion.error)
        self.assertEqual((deletion.company_name, deletion.company_id.id), ("DZ Doomed Co", False))
        self.assertGreater(deletion.report["counts"]["account.move.line"], 10)
        cr = self.env.cr
        self.assertEqual(rows_of(cr, company_id), {}, "no row references the company")
        self.assertEqual(dangling_references(cr), [], "no row points to a deleted one")
        self.assertEqual(company_dependent_keys(self.env, company_id), [])
        for (table, row_id), _row in own_rows.items():
            if table == "res_users" or not isinstance(row_id, int):
                continue  # users stay, without the company; links are covered by rows_of
            cr.execute(f'SELECT count(*) FROM "{table}" WHERE id = %s', [row_id])
            self.assertEqual(cr.fetchone()[0], 0, f"{table} {row_id} was left behind, with no company")
        self.assertFalse(partner.exists(), "the company's own partner goes with it")
        for name in sequences:
            cr.execute("SELECT to_regclass(%s)", [name])
            self.assertIsNone(cr.fetchone()[0], f"sequence {name} is dropped")
        # the other company's rows are the same, to the last column
        others_after = rows_of(cr, self.other_company.id)
        self.assertEqual(
            {key: row for key, row in others_after.items() if key in others_before and key[0] != "res_users"},
            {key: row for key, row in others_before.items() if key[0] != "res_users"},
        )

    def test_only_files_that_nobody_else_uses_are_removed(self):
        Attachment = self.env["ir.attachment"]
        invoice = self.env["account.move"].search([("company_id", "=", self.company.id)], limit=1)
        other = self.env["account.move"].search([("company_id", "=", self.other_company.id)], limit=1)
        own = Attachment.create(
            {
                "name": "own.txt",
                "raw": b"only the doomed company",
                "res_model": "account.move",
                "res_id": invoice.id,
            }
        )
        shared = Attachment.create(
            {"name": "a.txt", "raw": b"both companies", "res_model": "account.move", "res_id": invoice.id}
        )
        kept = Attachment.create(
            {"name": "b.txt", "raw": b"both companies", "res_model": "account.move", "res_id": other.id}
        )
        own_path, shared_path = (
            Attachment._full_path(own.store_fname),
            Attachment._full_path(shared.store_fname),
        )

        self.assertEqual(self.delete().state, "done")
        Attachment._gc_file_store_unsafe()  # what the deletion job starts once committed

        self.assertFalse(own.exists() or shared.exists())
        self.assertFalse(os.path.exists(own_path))
        self.assertTrue(os.path.exists(shared_path))
        self.assertEqual(kept.raw, b"both companies")

    def test_users_are_moved_archived_or_left_alone(self):
        mover = new_test_user(
            self.env,
            "dz_mover",
            company_id=self.company.id,
            company_ids=[Command.set([self.company.id, self.other_company.id])],
        )
        loner = new_test_user(
            self.env, "dz_loner", company_id=self.company.id, company_ids=[Command.set([self.company.id])]
        )
        bystander = new_test_user(
            self.env,
            "dz_bystander",
            company_id=self.other_company.id,
            company_ids=[Command.set([self.other_company.id, self.company.id])],
        )
        preview = self.company.with_user(self.owner).danger_zone_delete_preview()
        self.assertIn("dz_mover", preview["moved"])
        self.assertEqual(preview["archived"], ["dz_loner"])

        deletion = self.delete()

        self.assertEqual(deletion.state, "done", deletion.error)
        self.assertEqual(
            (mover.active, mover.company_id, mover.company_ids),
            (True, self.other_company, self.other_company),
        )
        self.assertFalse(loner.active, "a user with no other company is archived")
        self.assertFalse(loner.company_ids, "and given access nowhere")
        self.assertTrue(loner.exists() and loner.partner_id.exists())
        self.assertEqual((bystander.active, bystander.company_ids), (True, self.other_company))
        self.assertEqual(deletion.report["archived"], ["dz_loner"])

    def test_owner_is_sent_to_the_final_backup_or_home_or_signed_out(self):
        deletion = self.delete(final_backup=False)
        self.assertEqual(self._last_notification(deletion)["redirect"], "/odoo")
        self.assertTrue(self.owner.active)
        second = self.env["res.company"].with_user(self.owner).create({"name": "DZ Second Co"})
        self.owner.company_ids |= second
        deletion = self.delete(second)
        self.assertEqual(deletion.state, "done", deletion.error)
        self.assertEqual(
            self._last_notification(deletion)["redirect"], f"/odoo/danger-zone-deletions/{deletion.id}"
        )

        lonely = new_test_user(
            self.env,
            "dz_lonely_owner",
            groups="base.group_erp_manager,base.group_partner_manager",
            password=PASSWORD,
        )
        own = self.env["res.company"].with_user(lonely).create({"name": "DZ Lonely Co"})
        lonely.write({"company_ids": [Command.set(own.ids)], "company_id": own.id})
        self.addCleanup(forget_password_failures, self.env, lonely)
        warning = self._wizard(own, lonely).final_backup_warning
        self.assertIn("your account is archived with this one, so you cannot download", warning)
        self.assertIn("Download a backup now", warning)
        self.assertFalse(self._wizard(self.other_company, self.other_owner).final_backup_warning)
        deletion = self.delete(own, user=lonely)
        self.assertEqual(deletion.state, "done", deletion.error)
        self.assertEqual(self._last_notification(deletion)["redirect"], "/web/session/logout")
        self.assertFalse(lonely.active, "an owner with no company left is archived, so signed out")

    def _wizard(self, company, user):
        action = company.with_user(user).action_danger_zone_delete()
        return self.env[action["res_model"]].with_user(user).browse(action["res_id"])

    def _last_notification(self, deletion):
        for values in reversed(self.env.cr.precommit.data.get("bus.bus.values", [])):  # sent at commit
            payload = json.loads(values["message"]).get("payload")
            if (
                isinstance(payload, dict)
                and payload.get("model") == deletion._name
                and payload["id"] == deletion.id
            ):
                return payload
        raise AssertionError("no notification for the deletion")

    def test_preview_counts_and_writes_nothing(self):
        moves = self.env["account.move"].search_count([("company_id", "=", self.company.id)])
        preview = self.company.with_user(self.owner).danger_zone_delete_preview()
        self.assertTrue(preview["ok"], preview["blockers"])
        self.assertEqual(preview["counts"]["account.move"], moves)
        self.assertEqual(preview["counts"]["res.company"], 1)
        self.assertEqual(self.env["account.move"].search_count([("company_id", "=", self.company.id)]), moves)

    def test_a_failure_halfway_deletes_nothing(self):
        self.env.cr.execute(
            """CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
               CREATE TRIGGER refuse BEFORE DELETE ON sale_order
                  FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse();
               ALTER TABLE sale_order ENABLE ALWAYS TRIGGER refuse"""
        )
        moves = self.env["account.move"].search_count([("company_id", "=", self.company.id)])
        with mute_logger("odoo.addons.danger_zone.models.danger_zone_job", "odoo.sql_db"):
            deletion = self.delete()
        self.assertEqual(deletion.state, "failed")
        self.assertIn("disk on fire", deletion.error)
        self.assertTrue(self.company.exists())
        self.assertEqual(self.env["account.move"].search_count([("company_id", "=", self.company.id)]), moves)
        self.assertIn(self.company, self.owner.company_ids)

    def test_records_that_stay_lose_their_links_to_its_data(self):
        """Shared records keep all but their references to the company's records, as PostgreSQL's
        keys say (links dropped, references cleared), whether or not it checks row by row."""
        taxes = self.env["account.tax"].search(
            [("company_id", "in", self.company.ids + self.other_company.ids), ("type_tax_use", "=", "sale")]
        )
        product = self.env["product.product"].create({"name": "DZ shared widget", "company_id": False})
        contact = self.env["res.partner"].create({"name": "DZ doomed contact", "company_id": self.company.id})
        shared = self.env["res.partner"].create({"name": "DZ shared contact", "company_id": False})
        message = shared.message_post(body="Hello", author_id=contact.id, message_type="comment")
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            "INSERT INTO product_taxes_rel (prod_id, tax_id) SELECT %s, unnest(%s) ON CONFLICT DO NOTHING",
            [product.product_tmpl_id.id, taxes.ids],
        )
        product.invalidate_recordset()
        cr.execute(
            "UPDATE res_partner SET parent_id = %s, commercial_partner_id = %s WHERE id = %s",
            [contact.id, contact.id, shared.id],
        )
        kept_taxes = product.taxes_id.filtered(lambda tax: tax.company_id != self.company)
        self.assertTrue(kept_taxes & taxes and product.taxes_id - kept_taxes)
        for row_checks, small_part in ((False, 0), (False, 10**9), (True, 10)):
            savepoint = cr.savepoint()
            try:
                with self.subTest(row_checks=row_checks, small_part=small_part):
                    CompanyUsers(self.company).release()
                    deletion = CompanyDeletion(self.env(su=True), self.company, row_checks=row_checks)
                    deletion.small_part = small_part  # 0: every index looked up; 10**9: every table read
                    deletion.collect()
                    self.assertEqual(deletion.blockers, [])
                    deletion.delete()
                    cr.execute(
                        "SELECT array_agg(tax_id) FROM product_taxes_rel WHERE prod_id = %s",
                        [product.product_tmpl_id.id],
                    )
                    self.assertEqual(sorted(cr.fetchone()[0]), sorted(kept_taxes.ids))
                    cr.execute(
                        "SELECT parent_id, commercial_partner_id FROM res_partner WHERE id = %s", [shared.id]
                    )
                    self.assertEqual(cr.fetchone(), (None, None))
                    cr.execute("SELECT author_id FROM mail_message WHERE id = %s", [message.id])
                    self.assertEqual(cr.fetchone(), (None,))
                    cr.execute("SELECT count(*) FROM res_partner WHERE id = %s", [contact.id])
                    self.assertEqual(cr.fetchone(), (0,))
                    self.assertEqual(dangling_references(cr), [])
            finally:
                savepoint.close(rollback=True)
                self.env.invalidate_all()

    def test_wizard_previews_and_deletes_and_forgets_the_password(self):
        action = self.company.with_user(self.owner).action_danger_zone_delete()
        wizard = self.env[action["res_model"]].with_user(self.owner).browse(action["res_id"])
        self.assertTrue(wizard.can_delete, wizard.blockers)
        self.assertIn("account.move", wizard.preview)
        wizard.write({"confirm_name": "DZ Doomed Co", "password": PASSWORD})
        wizard.action_delete()
        self.assertFalse(wizard.password)
        with self.assertRaises(AccessError):  # a deletion is read by whoever asked for it only
            self.env["danger.zone.deletion"].with_user(self.other_owner).browse(
                self.env["danger.zone.deletion"].search([]).ids
            ).read(["company_name"])
        deletion = self.env["danger.zone.deletion"].search([("company_name", "=", "DZ Doomed Co")])
        self.assertEqual(deletion.state, "queued")
        self.env["danger.zone.deletion"]._cron_process_queue()
        self.assertEqual(deletion.state, "done", deletion.error)
        self.assertFalse(self.company.exists())


@tagged("post_install", "-at_install")
class TestDeleteConditions(DeleteCase):
    def test_only_the_owner_and_no_admin(self):
        admin = new_test_user(
            self.env,
            "dz_doomed_admin",
            groups="base.group_system,base.group_erp_manager",
            company_ids=[Command.set([self.company.id])],
            company_id=self.company.id,
            password=PASSWORD,
        )
        self.addCleanup(forget_password_failures, self.env, admin, self.other_owner)
        self.assert_refused("Only the owner", AccessError, user=self.other_owner)
        self.assert_refused("Only the owner", AccessError, user=admin)
        with self.assertRaises(AccessError):
            self.company.with_user(admin).danger_zone_delete_preview()
        with self.assertRaises(AccessError):
            self.company.with_user(admin).action_danger_zone_delete()

    def test_name_must_match_exactly(self):
        self.assert_refused("exactly as shown", name="dz doomed co")
        self.assert_refused("exactly as shown", name="")

    def test_wrong_password_then_lockout(self):
        self.assert_refused("password is wrong", password="nope")
        self.assert_refused("Enter your password", password="")
        for _attempt in range(MAX_FAILURES - 1):
            self.assert_refused("password is wrong", password="nope")
        self.assert_refused("Too many wrong passwords", password=PASSWORD)
        # the count lives in the database, whatever the worker: another environment sees it
        with self.assertRaisesRegex(UserError, "Too many wrong passwords"):
            self.env["danger.zone.password.failure"]._check_not_locked(self.owner)
        self.env["danger.zone.password.failure"]._gc_old_failures()  # recent ones stay
        self.assert_refused("Too many wrong passwords", password=PASSWORD)
        forget_password_failures(self.env, self.owner)
        self.assertEqual(self.delete().state, "done")

    def test_running_subscription_blocks(self):
        self.env.cr.execute("ALTER TABLE sale_order ADD COLUMN subscription_state varchar")
        order = self.env["sale.order"].search([("company_id", "=", self.company.id)], limit=1)
        self.env.cr.execute(
            "UPDATE sale_order SET subscription_state = '3_progress' WHERE id = %s", [order.id]
        )
        self.assert_refused("running subscriptions.*" + order.name)
        self.env.cr.execute("UPDATE sale_order SET subscription_state = '6_churn' WHERE id = %s", [order.id])
        self.assertEqual(self.company._danger_zone_delete_blockers(), [])

    def test_last_company_main_company_and_branches_block(self):
        self.env.cr.execute("UPDATE res_company SET active = false WHERE id != %s", [self.company.id])
        self.env["res.company"].invalidate_model(["active"])
        self.assert_refused("only active company")
        self.env.cr.execute("UPDATE res_company SET active = true")
        self.env["res.company"].invalidate_model(["active"])
        main = self.env.ref("base.main_company")
        self.assertIn("main company", "\n".join(main._danger_zone_delete_blockers()))
        self.env["res.company"].create({"name": "DZ Doomed Branch", "parent_id": self.company.id})
        self.assert_refused("branches.*DZ Doomed Branch")

    def test_a_running_job_blocks(self):
        self.company.with_user(self.owner).danger_zone_backup()
        self.assert_refused("backup of DZ Doomed Co is already queued")

    def test_rows_that_stay_are_found_by_index_or_by_reading_their_table(self):
        contact = self.env["res.partner"].create({"name": "DZ doomed contact", "company_id": self.company.id})
        tax = self.env["account.tax"].search([("company_id", "=", self.company.id)], limit=1)
        lines = self.env["account.move.line"].search([("company_id", "=", self.other_company.id)], limit=2)
        self.env.cr.execute(
            "UPDATE account_move_line SET partner_id = %s WHERE id = %s", [contact.id, lines[0].id]
        )
        self.env.cr.execute(
            "UPDATE account_move_line SET tax_line_id = %s WHERE id = %s", [tax.id, lines[1].id]
        )
        for small_part in (0, 10**9):  # every indexed column looked up; every table read
            with self.subTest(small_part=small_part):
                deletion = CompanyDeletion(self.env(su=True), self.company)
                deletion.small_part = small_part
                deletion.collect()
                self.assertEqual(
                    sorted(deletion.blockers),
                    [
                        ("account.move.line", "partner_id", "res.partner", [lines[0].id]),
                        ("account.move.line", "tax_line_id", "account.tax", [lines[1].id]),
                    ],
                )

    def test_other_companies_records_that_use_its_data_block(self):
        contact = self.env["res.partner"].search([("company_id", "=", self.company.id)], limit=1)
        line = self.env["account.move.line"].search([("company_id", "=", self.other_company.id)], limit=1)
        self.env.cr.execute(
            "UPDATE account_move_line SET partner_id = %s WHERE id = %s", [contact.id, line.id]
        )
        preview = self.company.with_user(self.owner).danger_zone_delete_preview()
        self.assertFalse(preview["ok"])
        self.assertIn("Journal Item", "\n".join(preview["blockers"]))
        self.assert_refused("Records that stay")
