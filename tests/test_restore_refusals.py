import base64
import gc
import io
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..engine import open_backup
from ..services.restore import record_check
from ..services.restore.record_check import RecordCheck
from .restore_case import RestoreCase, fingerprint, respace_member, rewrite_backup


@tagged("post_install", "-at_install")
class TestRestoreRefusals(RestoreCase):
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

    def test_what_this_database_lacks_is_named_with_the_module_that_adds_it(self):
        accounts = []

        def add_routing_numbers(members, manifest, used=True):
            name = "data/res.partner.bank.jsonl"
            entry = next(member for member in manifest["members"] if member["name"] == name)
            entry["fields"]["aba_routing"] = {"type": "char", "module": "l10n_us"}
            for number, record in enumerate(members[name]):
                record["aba_routing"] = f"02100002{number}" if used else None
            accounts.append(len(members[name]))

        def add_deliveries(members, manifest):
            name = "data/stock.picking.jsonl"
            fields = {"id": {"type": "integer"}, "name": {"type": "char", "module": "stock"}}
            manifest["members"].append(
                {"name": name, "model": "stock.picking", "kind": "data", "module": "stock", "fields": fields}
            )
            members[name] = [{"id": 1, "name": "WH/OUT/00001"}, {"id": 2, "name": "WH/OUT/00002"}]

        self.assert_refused(
            rewrite_backup(self.content, add_routing_numbers),
            rf"Install l10n_us: it adds res\.partner\.bank\.aba_routing \({accounts[0]} records use it\)",
        )
        self.assert_refused(
            rewrite_backup(self.content, add_deliveries),
            r"Install stock: it adds stock\.picking \(2 records\)",
        )
        # a field that no record uses is left out, with a warning: nothing is lost
        target = self.new_company("DZ Lacking Co")
        unused = rewrite_backup(
            self.content, lambda members, manifest: add_routing_numbers(members, manifest, False)
        )
        report = self.preflight(target, unused)
        self.assertTrue(report["ok"], report["errors"])
        self.assertIn("Left out res.partner.bank.aba_routing", "\n".join(report["warnings"]))
        restore = self.restore(target, unused)
        self.assertEqual(restore.state, "done", restore.error)

    def test_a_missing_natural_key_names_the_module_that_provides_it(self):
        def add_currency(members, manifest):
            name = "keys/res.currency.jsonl"
            entry = next(member for member in manifest["members"] if member["name"] == name)
            members[name].append({"id": 999999, "name": "ZZZ"})
            entry.setdefault("modules", {})["999999"] = "l10n_zz"

        self.assert_refused(
            rewrite_backup(self.content, add_currency),
            r"Install l10n_zz: it provides res\.currency \(name='ZZZ'\)",
        )

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

    def test_what_the_tables_would_refuse_is_refused_before_anything_is_queued(self):
        """Whatever PostgreSQL would refuse as the rows are written, the pre-flight check refuses
        first, naming the record and the rule (#17): a required value missing, a required field
        the file lacks, a value its column cannot hold, a CHECK constraint of the table, a
        unique index among the file's records."""

        def change(member, field, value, pick=lambda record: True):
            def mutate(members, manifest):
                record = next(record for record in members[f"data/{member}.jsonl"] if pick(record))
                record[field] = value

            return mutate

        def without_journal_names(members, manifest):
            entry = next(m for m in manifest["members"] if m["name"] == "data/account.journal.jsonl")
            del entry["fields"]["name"]
            for journal in members[entry["name"]]:
                journal.pop("name", None)

        def debit_and_credit(members, manifest):
            line = next(line for line in members["data/account.move.line.jsonl"] if line.get("debit"))
            line["credit"] = line["debit"]

        def one_number_twice(members, manifest):
            invoices = [
                move
                for move in members["data/account.move.jsonl"]
                if move["state"] == "posted" and move["move_type"] == "out_invoice"
            ]
            invoices[1]["name"] = invoices[0]["name"]

        cases = {
            "required value": (
                change("account.move.line", "move_id", None),
                r"account\.move\.line\.jsonl, line 1: the required field 'move_id' has no value",
            ),
            "required field": (without_journal_names, "account.journal requires name here"),
            "calendar": (change("account.move", "date", "2026-02-30"), "field 'date' must be a date"),
            "int4": (change("account.move.line", "sequence", 2**31), "field 'sequence' must be an integer"),
            "NUL": (change("res.partner", "name", "Nul\x00led"), "field 'name' must be free of NUL"),
            "CHECK": (debit_and_credit, "account_move_line_check_credit_debit"),
            "unique": (one_number_twice, "account_move_unique_name"),
        }
        target = self.new_company("DZ Table Rules Co")
        for case, (mutate, message) in cases.items():
            with self.subTest(case=case):
                self.assert_refused(rewrite_backup(self.content, mutate), message, company=target)
        restore = self.restore(target, rewrite_backup(self.content, debit_and_credit), skip_invalid=True)
        self.assertEqual(restore.state, "done", restore.error)
        broken = [
            item
            for item in restore.report["skipped"]
            if "account_move_line_check_credit_debit" in item["reason"]
        ]
        self.assertEqual([item["model"] for item in broken], ["account.move.line"], restore.report["skipped"])

    def test_unknown_field_is_refused(self):
        def add_unknown(members, manifest):
            entry = next(m for m in manifest["members"] if m["model"] == "res.partner")
            entry["fields"]["x_not_here"] = {"type": "char"}
            members[entry["name"]][0]["x_not_here"] = "a value this database has no place for"

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

    def test_ids_read_before_their_member_is_checked_are_refused_in_their_turn(self):
        """A key member's ids are read while the data members are checked, the analytic plans'
        while the fields are; malformed ids are refused when their member is checked (found by
        the property test: a list or a name as an id stopped the check with a TypeError)."""

        def list_as_id(members, manifest):
            members["keys/res.partner.jsonl"][0]["id"] = []

        def names_as_ids(members, manifest):  # the plans' ids are read to name their columns
            for plan in members["data/account.analytic.plan.jsonl"]:
                plan["id"] = plan["name"]

        for mutate in (list_as_id, names_as_ids):
            with self.subTest(mutate.__name__):
                self.assert_refused(rewrite_backup(self.content, mutate), "'id' must be a positive integer")

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

    def test_documents_attach_only_to_the_records_the_restore_writes(self):
        """A message, follower or activity names its record by model and id: a file may attach
        it only to a data record of the same file, never to a key (a user of this database, a
        user's contact), the company itself, or a model the file does not carry (#17)."""
        target = self.new_company("DZ Documents Co", chart=False)

        def attach_to(model, record_id):
            def mutate(members, manifest):
                message = members["data/mail.message.jsonl"][0]
                message["model"], message["res_id"] = model, record_id

            return rewrite_backup(self.content, mutate)

        reader = open_backup(io.BytesIO(self.content))
        user_id = next(iter(reader.records("keys/res.users.jsonl")))["id"]
        user_partner_id = next(iter(reader.records("keys/res.partner.jsonl")))["id"]
        company_id = next(iter(reader.records("data/res.company.jsonl")))["id"]
        message_id = next(iter(reader.records("data/mail.message.jsonl")))["id"]
        documents = (
            ("res.users", user_id),
            ("res.partner", user_partner_id),
            ("res.company", company_id),
            ("ir.cron", 1),
        )
        for model, record_id in documents:
            with self.subTest(model=model):
                forged = attach_to(model, record_id)
                expected = f"mail.message {message_id}: res_id attaches it to {model} {record_id}"
                with self.assertRaisesRegex(UserError, expected):
                    self.preflight(target, forged)  # the pre-flight check refuses it...
                self.assert_refused(forged, expected, company=target)  # ...and so does the request
        report = self.preflight(target, attach_to("res.users", user_id), skip_invalid=True)
        self.assertTrue(report["ok"], report["errors"])
        skipped = [(item["model"], item["id"]) for item in report["skipped"]]
        self.assertEqual(skipped, [("mail.message", message_id)])

    def test_documents_of_records_matched_to_existing_ones_are_left_out(self):
        """A record of no company that this database has already (a product category) is matched,
        not written, and keeps its own timeline: a message of the file on it is left out, with its
        tracking values, and the report says so (found by the property test)."""
        reader = open_backup(io.BytesIO(self.content))
        category = next(
            record
            for record in reader.records("data/product.category.jsonl")
            if self.env["product.category"].search_count([("complete_name", "=", record["complete_name"])])
        )
        existing = self.env["product.category"].search([("complete_name", "=", category["complete_name"])])

        tracked = {value["mail_message_id"] for value in reader.records("data/mail.tracking.value.jsonl")}

        def on_the_category(members, manifest):
            message = next(m for m in members["data/mail.message.jsonl"] if m["id"] in tracked)
            message["model"], message["res_id"] = "product.category", category["id"]

        target = self.new_company("DZ Matched Category Co", chart=False)
        messages = self.env["mail.message"].search_count([("model", "=", "product.category")])
        restore = self.restore(target, rewrite_backup(self.content, on_the_category))
        self.assertEqual(restore.state, "done", restore.error)
        self.assertEqual(
            self.env["mail.message"].search_count([("model", "=", "product.category")]), messages
        )
        self.assertEqual(existing.message_ids.tracking_value_ids.mapped("id"), [], "no tracking value either")
        self.assertRegex(restore.report_text, r"mail\.message: \d+ records left out: they attach to records")
