import base64
import gc
import io
import json
import zipfile
from collections import Counter
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from ..engine import open_backup, write_backup
from ..engine.reader import _ZipReader
from ..models.danger_zone_job import COMPANY_LOCK_NAMESPACE
from ..models.danger_zone_scope import DangerZoneScope
from ..services.restore import record_check
from ..services.restore.foreign_keys import ForeignKeyCheck
from ..services.restore.record_check import RecordCheck
from .test_backup import BackupCase


def rewrite_backup(content, mutate, keep_signature=False, compresslevel=1, format_version=2):
    """A copy of a backup file whose members went through ``mutate(members, manifest)``.

    Hashes and counts are made to match again, as a forger would; the copy
    claims to come from another database unless ``keep_signature``. Records are
    arrays by the members' columns, or objects with ``format_version=1``.
    """
    reader = open_backup(io.BytesIO(content))
    manifest = json.loads(json.dumps(reader.manifest))
    members = {member["name"]: list(reader.records(member["name"])) for member in manifest["members"]}
    mutate(members, manifest)
    buffer = io.BytesIO()
    writer = write_backup(buffer, compresslevel=compresslevel, format_version=format_version)
    manifest["format_version"] = format_version
    entries = {entry["name"]: entry for entry in manifest["members"]}
    for name, records in members.items():
        entry = entries[name]
        columns = [column for column in entry.pop("columns", ["id"]) if column in entry["fields"]]
        columns += [field for field in entry["fields"] if field not in columns]
        if format_version > 1:
            entry["columns"] = columns
        with writer.member(name) as sink:
            for record in records:
                value = [record.get(column) for column in columns] if format_version > 1 else record
                sink.add(json.dumps(value, separators=(",", ":")))
        entry.update(sink.summary())
    manifest["members"] = list(entries.values())
    if not keep_signature:
        manifest.pop("signature", None)
        manifest["source"]["database_uuid"] = "another-database"
    writer.close(manifest)
    return buffer.getvalue()


def respace_member(content, name):
    """A copy of a backup whose member ``name`` holds the same records in other bytes (a space
    after one comma), its manifest and signature untouched: only the member's hash tells."""
    source, buffer = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == name:
                data = data.replace(b",", b", ", 1)
            copy.writestr(info, data)
    return buffer.getvalue()


def fingerprint(company):
    """What must survive a restore, in terms that do not depend on ids."""
    company = company.sudo()
    env = company.env
    moves = env["account.move"].search([("company_id", "=", company.id)], order="name, id")
    lines = moves.line_ids.filtered(lambda line: line.parent_state == "posted")
    trial_balance, partner_balances = {}, {}
    for line in lines:
        debit, credit = trial_balance.get(line.account_id.code, (0.0, 0.0))
        trial_balance[line.account_id.code] = (round(debit + line.debit, 2), round(credit + line.credit, 2))
        if line.account_id.account_type in ("asset_receivable", "liability_payable"):
            name = line.partner_id.name
            partner_balances[name] = round(partner_balances.get(name, 0.0) + line.balance, 2)
    partials = env["account.partial.reconcile"].search([("company_id", "=", company.id)])
    return {
        "trial_balance": trial_balance,
        "partner_balances": partner_balances,
        "moves": [
            (
                m.name,
                m.move_type,
                m.state,
                m.amount_total,
                m.amount_residual,
                m.payment_state,
                m.partner_id.name,
            )
            for m in moves
        ],
        "reconciliations": sorted(
            (p.debit_move_id.move_id.name, p.credit_move_id.move_id.name, p.amount, bool(p.full_reconcile_id))
            for p in partials
        ),
        "analytic": sorted(
            (line.move_id.name, line.name or "", json.dumps(_named_distribution(line), sort_keys=True))
            for line in lines
            if line.analytic_distribution
        ),
        "chatter": sorted(
            (message.record_name or "", message.author_id.name or "", message.message_type, str(message.body))
            for message in env["mail.message"].search(
                [("model", "=", "account.move"), ("res_id", "in", moves.ids)]
            )
        ),
        "tracking": sorted(
            (t.field_id.name, t.old_value_char or "", t.new_value_char or "")
            for t in env["mail.tracking.value"].search(
                [("mail_message_id.model", "=", "account.move"), ("mail_message_id.res_id", "in", moves.ids)]
            )
        ),
        "customers": sorted(
            (
                p.name,
                p.email or "",
                p.x_dz_loyalty or "",
                p.category_id.name or "",
                p.bank_ids.acc_number or "",
            )
            for p in env["res.partner"].search([("company_id", "=", company.id)])
        ),
        "visits": sorted(
            (v.x_name, v.x_partner_id.name)
            for v in env["x_dz_visit"].search([("x_partner_id.company_id", "=", company.id)])
        ),
    }


def _named_distribution(line):
    accounts = line.env["account.analytic.account"]
    return {
        ",".join(accounts.browse(int(part)).name for part in key.split(",")): value
        for key, value in line.analytic_distribution.items()
    }


class RestoreCase(BackupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner.groups_id = [Command.link(cls.env.ref("account.group_account_user").id)]
        cls._secure_sales_journal()
        cls.content = cls._build_backup().attachment_id.sudo().raw
        cls.source_fingerprint = fingerprint(cls.company)

    @classmethod
    def _secure_sales_journal(cls):
        """Hash the posted invoices, as a company under inalterability rules has them."""
        journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "sale")], limit=1
        )
        journal.restrict_mode_hash_table = True
        posted = cls.env["account.move"].search([("journal_id", "=", journal.id), ("state", "=", "posted")])
        posted._hash_moves(force_hash=True, raise_if_gap=False)
        assert posted.filtered("inalterable_hash"), "the test needs hashed entries"

    def new_company(self, name, chart=True):
        company = self.env["res.company"].with_user(self.owner).create({"name": name})
        self.owner.company_ids = [Command.link(company.id)]
        if chart:
            self.env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        return company

    def restore(self, company, content=None, **options):
        """Request a restore as the owner and run it as the cron would."""
        file_b64 = base64.b64encode(content or self.content).decode()
        restore_id = company.with_user(self.owner).danger_zone_restore(file_b64, confirm="RESTORE", **options)
        self.env["danger.zone.restore"]._cron_process_queue()
        return self.env["danger.zone.restore"].browse(restore_id)

    def preflight(self, company, content, **options):
        return company.with_user(self.owner).danger_zone_restore_preflight(
            base64.b64encode(content).decode(), **options
        )

    def as_owner(self, company):
        return company.with_user(self.owner).with_context(allowed_company_ids=[company.id])


@tagged("post_install", "-at_install")
class TestRestoreRoundTrip(RestoreCase):
    def test_restore_into_a_new_company_gives_the_same_books(self):
        target = self.new_company("DZ Restored Co")
        restore = self.restore(target)
        self.assertEqual(restore.state, "done", restore.error)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), self.source_fingerprint)
        self.assertEqual(restore.safety_backup_id.state, "done", "a replace first backs the target up")
        self.assertEqual(
            restore.restored_count + restore.skipped_count, sum(restore.report["counts"].values())
        )

    def test_a_file_of_format_version_1_restores_the_same_books(self):
        """Backups made before records became arrays (objects a line) still restore."""
        version_1 = rewrite_backup(self.content, lambda members, manifest: None, format_version=1)
        lines = zipfile.ZipFile(io.BytesIO(version_1)).read("data/account.move.line.jsonl")
        self.assertTrue(lines.startswith(b'{"id":'), "records are objects")
        target = self.new_company("DZ Version 1 Co")
        restore = self.restore(target, version_1)
        self.assertEqual(restore.state, "done", restore.error)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), self.source_fingerprint)

    def test_restored_hash_chains_pass_the_integrity_check(self):
        target = self.new_company("DZ Hashed Co")
        self.assertEqual(self.restore(target).state, "done")
        results = self.as_owner(target).sudo(False)._check_hash_integrity()["results"]
        statuses = {result["journal_name"]: result["status"] for result in results}
        self.assertIn("verified", statuses.values(), statuses)
        self.assertNotIn("corrupted", statuses.values(), statuses)

    def test_replace_over_the_same_company_gives_it_back_and_numbering_goes_on(self):
        invoices = self.env["account.move"].search(
            [("company_id", "=", self.company.id), ("move_type", "=", "out_invoice")]
        )
        last_number = max(invoices.mapped("sequence_number"))
        extra = invoices[0].copy()  # made after the backup: the replace removes it
        restore = self.restore(self.company)
        self.assertEqual(restore.state, "done", restore.error)
        self.env.invalidate_all()
        self.assertFalse(extra.exists())
        self.assertEqual(fingerprint(self.company), self.source_fingerprint)
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "sale")], limit=1
        )
        invoice = (
            self.as_owner(self.company)
            .env["account.move"]
            .create(
                {
                    "move_type": "out_invoice",
                    "journal_id": journal.id,
                    "partner_id": self.customer_of(self.company).id,
                    "invoice_line_ids": [Command.create({"name": "After restore", "price_unit": 10.0})],
                }
            )
        )
        invoice.action_post()
        self.assertEqual(invoice.sequence_number, last_number + 1, invoice.name)
        newcomer = self.as_owner(self.company).env["res.partner"].create({"name": "After the restore"})
        receivable = newcomer.property_account_receivable_id
        self.assertTrue(receivable.exists(), "the company's default accounts follow the restored ones")
        self.assertIn(self.company, receivable.company_ids)

    def customer_of(self, company):
        return self.env["res.partner"].search([("company_id", "=", company.id)], limit=1)

    def test_merge_adds_to_an_empty_company(self):
        target = self.new_company("DZ Merged Co", chart=False)
        restore = self.restore(target, mode="merge")
        self.assertEqual(restore.state, "done", restore.error)
        self.assertFalse(restore.safety_backup_id, "a merge deletes nothing, so it needs no safety backup")
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target)["trial_balance"], self.source_fingerprint["trial_balance"])

    def test_json_variant_restores_too(self):
        json_backup = self._build_backup(file_format="json")
        target = self.new_company("DZ Json Co")
        restore = self.restore(target, json_backup.attachment_id.sudo().raw)
        self.assertEqual(restore.state, "done", restore.error)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target)["moves"], self.source_fingerprint["moves"])


def comparable_records(reader, models):
    """The records of ``models`` with every id replaced by its rank in its member: stable keys."""
    members = {m["model"] + "/" + m["kind"]: m for m in reader.manifest["members"]}
    ranks = {}
    for key, member in members.items():
        ids = sorted(record["id"] for record in reader.records(member["name"]))
        ranks.setdefault(member["model"], {}).update({old: f"{key}#{rank}" for rank, old in enumerate(ids)})
    result = {}
    for model in models:
        member = members[f"{model}/data"]
        result[model] = [
            {
                name: ranks[model][value]
                if name == "id"
                else _stable(value, member["fields"][name], record, ranks)
                for name, value in record.items()
            }
            for record in reader.records(member["name"])
        ]
    return result


def _stable(value, field, record, ranks):
    if value is None:
        return None
    if field["type"] == "char" and record.get("matching_number") is value:  # made of reconciliation ids
        if value.isdigit():
            return ranks["account.full.reconcile"].get(int(value), value)
        if value.startswith("P") and value[1:].isdigit():
            return ranks["account.partial.reconcile"].get(int(value[1:]), value)
    relation = field.get("relation")
    if field["type"] == "many2one_reference":
        relation = record.get(field["model_field"])
    if field["type"] in ("many2one", "many2one_reference"):
        return ranks.get(relation, {}).get(value, value)
    if field["type"] in ("many2many", "one2many"):
        return sorted(ranks.get(relation, {}).get(item, item) for item in value)
    if key_relation := field.get("key_relation"):  # analytic distributions: keyed by ids
        ranked = ranks.get(key_relation, {})
        return {",".join(str(ranked.get(int(i), i)) for i in key.split(",")): v for key, v in value.items()}
    return value


@tagged("post_install", "-at_install")
class TestRestoreContent(RestoreCase):
    def test_backup_of_the_restored_company_matches_the_original(self):
        target = self.new_company("DZ Mirror Co")
        self.assertEqual(self.restore(target).state, "done")
        mirror_id = target.with_user(self.owner).danger_zone_backup()
        self.env["danger.zone.backup"]._cron_process_queue()
        mirror = open_backup(
            io.BytesIO(self.env["danger.zone.backup"].browse(mirror_id).attachment_id.sudo().raw)
        )
        original = open_backup(io.BytesIO(self.content))
        models = ["res.partner", "account.move.line", "account.partial.reconcile", "account.analytic.line"]
        expected, restored = comparable_records(original, models), comparable_records(mirror, models)
        for model in models:
            with self.subTest(model=model):
                self.assertEqual(restored[model], expected[model])

    def test_attachments_travel_with_their_files(self):
        invoice = self.env["account.move"].search(
            [("company_id", "=", self.company.id), ("move_type", "=", "out_invoice")], limit=1
        )
        self.env["ir.attachment"].create(
            {
                "name": "signed.txt",
                "raw": b"signed by the customer",
                "res_model": "account.move",
                "res_id": invoice.id,
            }
        )
        backup = self._build_backup(with_attachments=True)
        target = self.new_company("DZ Files Co")
        self.assertEqual(self.restore(target, backup.attachment_id.sudo().raw).state, "done")
        restored = (
            self.env["ir.attachment"]
            .search([("name", "=", "signed.txt"), ("res_model", "=", "account.move")])
            .filtered(lambda a: self.env["account.move"].browse(a.res_id).company_id == target)
        )
        self.assertEqual(len(restored), 1)
        self.assertEqual(restored.raw, b"signed by the customer")
        self.assertEqual(self.env["account.move"].browse(restored.res_id).name, invoice.name)

    def test_html_is_sanitized_on_the_way_in(self):
        def inject(members, manifest):
            message = next(
                m
                for m in members["data/mail.message.jsonl"]
                if m.get("body") and m["model"] == "account.move"
            )
            message["body"] = '<p>Hello</p><script>alert("owned")</script><img src="x" onerror="steal()">'

        target = self.new_company("DZ Clean Co")
        restore = self.restore(target, rewrite_backup(self.content, inject))
        self.assertEqual(restore.state, "done", restore.error)
        moves = self.env["account.move"].search([("company_id", "=", target.id)])
        bodies = (
            self.env["mail.message"]
            .search([("model", "=", "account.move"), ("res_id", "in", moves.ids)])
            .mapped("body")
        )
        hello = [str(body) for body in bodies if "Hello" in str(body)]
        self.assertEqual(len(hello), 1)
        self.assertNotIn("<script", hello[0])
        self.assertNotIn("onerror", hello[0])

    def test_timeline_users_without_access_are_relinked_to_the_restorer(self):
        clerk = self.env["res.users"].create(
            {
                "name": "Clara Clerk",
                "login": "dz_clerk",
                "email": "clerk@example.com",
                "company_id": self.company.id,
                "company_ids": [Command.set([self.company.id])],
                "groups_id": [Command.set([self.env.ref("account.group_account_invoice").id])],
            }
        )
        invoice = self.env["account.move"].search(
            [("company_id", "=", self.company.id), ("move_type", "=", "out_invoice")], limit=1
        )
        invoice.with_user(clerk).message_post(body="Checked by the clerk", message_type="comment")
        content = self._build_backup().attachment_id.sudo().raw
        target = self.new_company("DZ Relinked Co")
        restore = self.restore(target, content)
        self.assertEqual(restore.state, "done", restore.error)
        self.assertTrue(any("dz_clerk" in warning for warning in restore.report["warnings"]))
        moves = self.env["account.move"].search([("company_id", "=", target.id)])
        messages = self.env["mail.message"].search(
            [("model", "=", "account.move"), ("res_id", "in", moves.ids)]
        )
        clerk_note = messages.filtered(lambda m: "Checked by the clerk" in str(m.body))
        self.assertEqual(clerk_note.author_id, self.owner.partner_id, "relinked to the user who restored")
        owner_note = messages.filtered(lambda m: "next week" in str(m.body))
        self.assertEqual(owner_note.author_id, self.owner.partner_id, "the owner has access: kept")


@tagged("post_install", "-at_install")
class TestRestoreRefusals(RestoreCase):
    def assert_refused(self, content, message, company=None, **options):
        """The file is refused with ``message`` and nothing is written."""
        company = company or self.company
        before = self.state_of(company)
        with self.assertRaisesRegex(UserError, message):
            self.restore(company, content, **options)
        self.assertEqual(self.state_of(company), before)

    def state_of(self, company):
        return (
            self.env["danger.zone.restore"].search_count([]),
            self.env["account.move"].search_count([("company_id", "=", company.id)]),
            self.env["res.partner"].search_count([]),
        )

    def test_only_the_owner_restores(self):
        file_b64 = base64.b64encode(self.content).decode()
        for user in (self.admin, self.other_owner):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.company.with_user(user).danger_zone_restore(file_b64, confirm="RESTORE")
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.company.with_user(user).danger_zone_restore_preflight(file_b64)

    def test_confirmation_mode_and_encoding_are_checked(self):
        file_b64 = base64.b64encode(self.content).decode()
        company = self.company.with_user(self.owner)
        with self.assertRaisesRegex(UserError, "Type RESTORE"):
            company.danger_zone_restore(file_b64, confirm="restore")
        with self.assertRaisesRegex(UserError, "mode"):
            company.danger_zone_restore(file_b64, confirm="RESTORE", mode="everything")
        with self.assertRaisesRegex(UserError, "base64"):
            company.danger_zone_restore("not base64!", confirm="RESTORE")

    def test_changed_file_from_this_database_is_refused(self):
        def change_amount(members, manifest):
            members["data/account.move.line.jsonl"][0]["debit"] = 1e6

        forged = rewrite_backup(self.content, change_amount, keep_signature=True)
        self.assert_refused(forged, "signature does not match")

    def test_a_file_made_here_is_trusted_once_its_hashes_match(self):
        target = self.new_company("DZ Trusting Co", chart=False)
        from_elsewhere = rewrite_backup(self.content, lambda members, manifest: None)
        check_records = RecordCheck.run
        counts = []
        for content, options, checked in (
            (self.content, {}, False),  # signed by this database: its records are trusted
            (from_elsewhere, {}, True),
            (self.content, {"skip_invalid": True}, True),  # skipping names every fault
        ):
            with (
                self.subTest(checked=checked, **options),
                patch.object(RecordCheck, "run", autospec=True, side_effect=check_records) as spy,
            ):
                report = self.preflight(target, content, **options)
                self.assertTrue(report["ok"], report["errors"])
                self.assertEqual(spy.called, checked)
                counts.append(report["counts"])
        self.assertEqual(counts[0], counts[1], "the manifest's counts, as the full check finds them")
        changed = respace_member(self.content, "data/account.move.line.jsonl")
        self.assert_refused(changed, "account.move.line.jsonl does not match its SHA-256", company=target)

    def test_models_outside_the_scope_are_refused(self):
        for model in ("res.users", "res.groups", "ir.config_parameter", "ir.rule"):

            def add_member(members, manifest, model=model):
                name = f"data/{model}.jsonl"
                members[name] = [{"id": 1}]
                manifest["members"].append(
                    {"name": name, "model": model, "kind": "data", "fields": {"id": {"type": "integer"}}}
                )

            with self.subTest(model=model):
                self.assert_refused(rewrite_backup(self.content, add_member), "outside the business data")

    def test_fields_that_cannot_be_written_are_refused(self):
        cases = {
            "create_uid": ({"type": "many2one", "relation": "res.users"}, 2, "cannot be restored"),
            "url": ({"type": "char"}, "http://example.com", "cannot be restored"),
        }
        for name, (description, value, message) in cases.items():

            def add_field(members, manifest, name=name, description=description, value=value):
                model = "ir.attachment" if name == "url" else "account.move"
                member = f"data/{model}.jsonl"
                if member not in members:
                    members[member] = [
                        {"id": 1, "name": "a.txt", "res_model": "account.move", "res_id": None}
                    ]
                    manifest["members"].append(
                        {
                            "name": member,
                            "model": model,
                            "kind": "data",
                            "fields": {
                                "id": {"type": "integer"},
                                "name": {"type": "char"},
                                "res_model": {"type": "char"},
                                "res_id": {"type": "many2one_reference", "model_field": "res_model"},
                            },
                        }
                    )
                entry = next(m for m in manifest["members"] if m["name"] == member)
                entry["fields"][name] = description
                for record in members[member]:
                    record[name] = value

            with self.subTest(field=name):
                self.assert_refused(rewrite_backup(self.content, add_field), message)

    def test_columns_of_plans_outside_the_backup_are_left_out(self):
        """Each root plan of the source database gives analytic lines a column, other companies'
        plans too; the file carries them empty, and a database without those plans restores it."""

        def foreign_plan_column(members, manifest):
            entry = next(m for m in manifest["members"] if m["model"] == "account.analytic.line")
            entry["fields"]["x_plan999999_id"] = {"type": "many2one", "relation": "account.analytic.account"}
            for record in members[entry["name"]]:
                record["x_plan999999_id"] = None

        content = rewrite_backup(self.content, foreign_plan_column)
        company = self.new_company("DZ Foreign Plan Co")
        report = self.preflight(company, content)
        self.assertTrue(report["ok"], report["errors"])
        self.assertIn("account.analytic.line.x_plan999999_id", "\n".join(report["warnings"]))
        restore = self.restore(company, content)
        self.assertEqual(restore.state, "done", restore.error)
        self.assertEqual(fingerprint(company), self.source_fingerprint)

    def test_a_record_that_cannot_be_written_fails_the_restore_and_writes_nothing(self):
        def orphan_line(members, manifest):
            members["data/account.move.line.jsonl"][0]["move_id"] = None  # required here

        company = self.new_company("DZ Half Written Co")
        with mute_logger("odoo.addons.danger_zone.models.danger_zone_job"):
            restore = self.restore(company, rewrite_backup(self.content, orphan_line))
        self.assertEqual(restore.state, "failed")
        self.assertIn("'move_id' has no value", restore.error)
        self.assertEqual(self.env["account.move"].search_count([("company_id", "=", company.id)]), 0)
        self.assertEqual(self.env["res.partner"].search_count([("company_id", "=", company.id)]), 0)

    def test_unknown_field_is_refused(self):
        def add_unknown(members, manifest):
            entry = next(m for m in manifest["members"] if m["model"] == "res.partner")
            entry["fields"]["x_not_here"] = {"type": "char"}

        self.assert_refused(rewrite_backup(self.content, add_unknown), "x_not_here")

    def test_wrong_types_and_command_lists_are_refused(self):
        def command_list(members, manifest):
            members["data/res.partner.jsonl"][0]["category_id"] = [[6, 0, [1]]]

        def text_for_number(members, manifest):
            members["data/account.move.line.jsonl"][0]["debit"] = "lots"

        def nan(members, manifest):
            members["data/account.move.line.jsonl"][0]["debit"] = float("nan")

        self.assert_refused(rewrite_backup(self.content, command_list), "must be a list of ids")
        self.assert_refused(rewrite_backup(self.content, text_for_number), "debit")
        self.assert_refused(rewrite_backup(self.content, nan), "NaN|not valid")

    def test_a_bad_value_past_the_first_batch_is_named_by_its_line(self):
        lines = list(open_backup(io.BytesIO(self.content)).records("data/account.move.line.jsonl"))
        self.assertGreater(len(lines), 9, "the test needs several batches of journal items")

        def break_the_eighth(members, manifest):
            members["data/account.move.line.jsonl"][7]["tax_ids"] = [[6, 0, [1]]]

        with patch.object(record_check, "ROWS_PER_BATCH", 3):  # lines 1-3, 4-6, 7-9...
            self.assert_refused(
                rewrite_backup(self.content, break_the_eighth),
                r"account\.move\.line\.jsonl, line 8: field 'tax_ids' must be a list of ids",
            )
        self.assertTrue(gc.isenabled(), "the cycle collector runs again after a refused check")

    def test_reference_to_another_company_record_is_refused(self):
        foreign_partner = self.env["res.partner"].search(
            [("company_id", "=", self.other_company.id)], limit=1
        )

        def point_elsewhere(members, manifest):
            members["data/account.move.jsonl"][0]["partner_id"] = foreign_partner.id

        self.assert_refused(rewrite_backup(self.content, point_elsewhere), "not in the backup")

    def test_zip_bomb_is_refused(self):
        def bomb(members, manifest):
            members["data/res.partner.jsonl"][0]["comment"] = "0" * (50 << 20)

        self.assert_refused(rewrite_backup(self.content, bomb, compresslevel=3), "zip bomb")

    def test_other_currency_and_unknown_keys_are_reported_by_the_preflight(self):
        def elsewhere(members, manifest):
            manifest["source"]["currency"] = "XAF"
            name = "keys/res.country.jsonl"
            if name not in members:
                members[name] = []
                manifest["members"].append(
                    {
                        "name": name,
                        "model": "res.country",
                        "kind": "keys",
                        "fields": {"id": {"type": "integer"}, "code": {"type": "char"}},
                    }
                )
            members[name].append({"id": 99999, "code": "QQ"})

        content = rewrite_backup(self.content, elsewhere)
        report = self.preflight(self.company, content)
        self.assertFalse(report["ok"])
        self.assertEqual(report["currency"], {"backup": "XAF", "company": self.company.currency_id.name})
        self.assertTrue(any("QQ" in key for key in report["unresolved_keys"]), report["unresolved_keys"])
        self.assert_refused(content, "currency")

    def test_preflight_counts_and_writes_nothing(self):
        before = self.state_of(self.company)
        report = self.preflight(self.company, self.content)
        self.assertTrue(report["ok"], report["errors"])
        self.assertEqual(report["counts"]["account.move"], self.source_fingerprint["moves"].__len__())
        self.assertEqual(report["deleted"]["account.move"], len(self.source_fingerprint["moves"]))
        self.assertEqual(self.state_of(self.company), before)

    def test_merge_into_the_same_company_reports_conflicts(self):
        report = self.preflight(self.company, self.content, mode="merge")
        self.assertFalse(report["ok"])
        self.assertTrue(
            any("journal" in conflict.lower() for conflict in report["conflicts"]), report["conflicts"]
        )
        self.assert_refused(self.content, "already exists", mode="merge")

    def test_skip_invalid_leaves_out_bad_records_and_reports_them(self):
        def break_one(members, manifest):
            members["data/res.partner.bank.jsonl"][0]["partner_id"] = 987654

        content = rewrite_backup(self.content, break_one)
        self.assert_refused(content, "not in the backup")
        target = self.new_company("DZ Skipping Co")
        restore = self.restore(target, content, skip_invalid=True)
        self.assertEqual(restore.state, "done", restore.error)
        self.assertEqual([item["model"] for item in restore.report["skipped"]].count("res.partner.bank"), 1)
        self.assertEqual(
            restore.restored_count + restore.skipped_count, sum(restore.report["counts"].values())
        )
        self.assertIn("res.partner.bank", restore.report_text)


@tagged("post_install", "-at_install")
class TestRestoreJob(RestoreCase):
    LINES = "data/account.move.line.jsonl"

    def test_a_failure_halfway_changes_nothing_and_fails_the_job(self):
        target = self.new_company("DZ Failing Co")
        before = self.env["account.account"].search_count([("company_ids", "in", target.id)])

        def explode(*args, **kwargs):
            raise ValueError("disk on fire")

        with patch.object(DangerZoneScope, "_danger_zone_after_restore", explode):
            restore = self.restore(target)
        self.assertEqual(restore.state, "failed")
        self.assertIn("disk on fire", restore.error)
        self.env.invalidate_all()
        self.assertEqual(self.env["account.account"].search_count([("company_ids", "in", target.id)]), before)
        self.assertFalse(self.env["account.move"].search_count([("company_id", "=", target.id)]))

    def test_the_job_refuses_its_copy_changed_after_the_check_and_reads_it_once(self):
        target = self.new_company("DZ Changed Copy Co")
        file_b64 = base64.b64encode(self.content).decode()
        request = target.with_user(self.owner).danger_zone_restore
        changed = self.env["danger.zone.restore"].browse(request(file_b64, confirm="RESTORE"))
        changed.attachment_id.sudo().raw = respace_member(self.content, self.LINES)  # after the check
        self.env["danger.zone.restore"]._cron_process_queue()
        self.assertEqual(changed.state, "failed")
        self.assertRegex(
            changed.error,
            r"^The backup file is not valid: data/account\.move\.line\.jsonl does not match its SHA-256",
        )
        self.assertFalse(self.env["account.move"].search_count([("company_id", "=", target.id)]))

        intact = self.env["danger.zone.restore"].browse(request(file_b64, confirm="RESTORE"))
        member_lines = _ZipReader._member_lines
        with patch.object(_ZipReader, "_member_lines", autospec=True, side_effect=member_lines) as spy:
            self.env["danger.zone.restore"]._cron_process_queue()
        self.assertEqual(intact.state, "done", intact.error)
        # per file read (the restored one, and the safety backup's own check of what it wrote)
        reads = Counter(id(call.args[0]) for call in spy.call_args_list if call.args[1] == self.LINES)
        self.assertEqual(set(reads.values()), {1}, "journal items read once, for their rows and their hash")

    @mute_logger("odoo.sql_db")
    def test_a_statement_timeout_fails_the_job_and_changes_nothing(self):
        target = self.new_company("DZ Slow Co")
        moves_before = self.env["account.move"].search_count([("company_id", "=", target.id)])
        original = DangerZoneScope._danger_zone_after_restore

        def slow(self, *args, **kwargs):
            self.env.cr.execute("SET LOCAL statement_timeout = 1")  # undone with the savepoint
            self.env.cr.execute("SELECT pg_sleep(0.05)")
            return original(self, *args, **kwargs)

        with patch.object(DangerZoneScope, "_danger_zone_after_restore", slow):
            restore = self.restore(target)
        self.assertEqual(restore.state, "failed")
        self.assertIn("timeout", restore.error)
        self.assertEqual(
            self.env["account.move"].search_count([("company_id", "=", target.id)]), moves_before
        )

    def test_one_job_at_a_time_per_company(self):
        file_b64 = base64.b64encode(self.content).decode()
        company = self.company.with_user(self.owner)
        company.danger_zone_restore(file_b64, confirm="RESTORE")
        with self.assertRaisesRegex(UserError, "restore of .* already queued"):
            company.danger_zone_restore(file_b64, confirm="RESTORE")
        with self.assertRaisesRegex(UserError, "already queued"):
            company.danger_zone_backup()

    def test_a_job_running_in_another_worker_blocks_the_company(self):
        restore_id = self.company.with_user(self.owner).danger_zone_restore(
            base64.b64encode(self.content).decode(), confirm="RESTORE"
        )
        moves_before = self.env["account.move"].search_count([("company_id", "=", self.company.id)])
        with self.env.registry.cursor() as other_worker:  # another connection, as another worker has
            other_worker.execute("SELECT pg_advisory_lock(%s, %s)", [COMPANY_LOCK_NAMESPACE, self.company.id])
            self.env["danger.zone.restore"]._cron_process_queue()
            other_worker.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [COMPANY_LOCK_NAMESPACE, self.company.id]
            )
        restore = self.env["danger.zone.restore"].browse(restore_id)
        self.assertEqual(restore.state, "failed")
        self.assertIn("Another Danger Zone job is running", restore.error)
        self.assertEqual(
            self.env["account.move"].search_count([("company_id", "=", self.company.id)]), moves_before
        )

    def test_restore_is_refused_while_a_backup_waits(self):
        self.company.with_user(self.owner).danger_zone_backup()
        with self.assertRaisesRegex(UserError, "backup of .* already queued"):
            self.company.with_user(self.owner).danger_zone_restore(
                base64.b64encode(self.content).decode(), confirm="RESTORE"
            )

    def test_interrupted_restore_is_marked_failed(self):
        restore = (
            self.env["danger.zone.restore"]
            .sudo()
            .create({"company_id": self.company.id, "requested_by_id": self.owner.id, "state": "running"})
        )
        self.env["danger.zone.restore"]._check_none_active(self.company)  # nobody holds its lock
        self.assertEqual(restore.state, "failed")
        self.assertIn("Interrupted", restore.error)

    def wizard(self, company, content, **values):
        return (
            self.env["danger.zone.restore.wizard"]
            .with_user(self.owner)
            .with_company(company)
            .create({"backup_file": base64.b64encode(content), "file_name": "company.zip", **values})
        )

    def test_the_wizard_checks_each_record_once_and_a_token_proves_nothing_else(self):
        target = self.new_company("DZ Wizard Co")
        from_elsewhere = rewrite_backup(self.content, lambda members, manifest: None)  # checked in full
        wizard = self.wizard(target, from_elsewhere, confirm="RESTORE")
        check_records = RecordCheck.run
        with patch.object(RecordCheck, "run", autospec=True, side_effect=check_records) as spy:
            wizard.action_check()
            self.assertTrue(wizard.check_ok, wizard.check_report)
            wizard.action_restore()
        self.assertEqual(spy.call_count, 1, "the Restore button trusts the check the wizard just made")
        restore = self.env["danger.zone.restore"].search([("company_id", "=", target.id)])
        self.assertEqual((restore.state, restore.file_name), ("queued", "company.zip"))
        self.env["danger.zone.restore"]._cron_process_queue()
        self.assertEqual(restore.state, "done", restore.error)

        def break_a_partner(members, manifest):
            members["data/res.partner.jsonl"][0]["category_id"] = [[6, 0, [1]]]

        broken = self.wizard(target, rewrite_backup(self.content, break_a_partner), confirm="RESTORE")
        broken.check_token = wizard.check_token  # the token of another file
        with self.assertRaisesRegex(UserError, "must be a list of ids"):
            broken.action_restore()
        self.assertEqual(self.env["danger.zone.restore"].search_count([("company_id", "=", target.id)]), 1)

    def test_uploaded_file_is_the_owner_s_alone(self):
        restore = self.restore(self.new_company("DZ Private Co"))
        attachment = restore.attachment_id
        self.assertTrue(attachment)
        with self.assertRaises(AccessError):
            attachment.with_user(self.admin).read(["name"])
        self.assertFalse(self.env["ir.attachment"].with_user(self.admin).search([("id", "=", attachment.id)]))
        self.assertTrue(attachment.with_user(self.owner).read(["name"]))
        self.assertLessEqual(restore.finished_at, fields.Datetime.now())


@tagged("post_install", "-at_install")
class TestForeignKeyCheck(TransactionCase):
    """A restore skips PostgreSQL's per-row foreign key checks only when allowed, and checks per table."""

    def test_broken_reference_written_unchecked_is_found(self):
        cr = self.env.cr
        check = ForeignKeyCheck(cr)
        self.assertTrue(check.enabled, "the test database role may set session_replication_role")
        partner = self.env["res.partner"].create({"name": "DZ unchecked"})
        self.env.flush_all()
        with check.deferred():
            cr.execute("UPDATE res_partner SET parent_id = 2147483000 WHERE id = %s", [partner.id])
        check.wrote("res_partner", SQL("t.id = %s", partner.id))
        self.assertEqual(check.check(), [("res_partner", "parent_id", "res_partner", [2147483000])])
        cr.execute("SHOW session_replication_role")
        self.assertEqual(cr.fetchone()[0], "origin", "later writes are checked as usual")

    def test_roles_without_the_right_keep_row_by_row_checks(self):
        cr = self.env.cr
        cr.execute("CREATE ROLE dz_restore_no_superuser")
        cr.execute("SET LOCAL ROLE dz_restore_no_superuser")
        try:
            check = ForeignKeyCheck(cr)
        finally:
            cr.execute("RESET ROLE")
        self.assertFalse(check.enabled)
        self.assertEqual(check.check(), [])
