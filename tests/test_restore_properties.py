"""A property of the restore over files anyone could make (#17), tested with Hypothesis.

A genuine backup of the sample company is mutated as a forger or a broken tool would: values of
the wrong type, extra, missing or renamed columns, ids huge, negative or repeated, references to
ids the file lacks, documents on any model of the registry, manifests that lie about counts, names
or field types. Each file is either

- refused by the pre-flight check and by the request, with a UserError and the database unchanged
  (an id-free fingerprint of the target company; users, groups, rules, crons, parameters), or
- restored by the job, which must then succeed (the check refuses whatever the job would), with
  every reference written inside the target company, and every document on a record the restore
  wrote.

``make test`` runs a fixed, bounded set of examples; ``scripts/restore_campaign.sh`` runs a long
random campaign (DZ_HYPOTHESIS_EXAMPLES, DZ_HYPOTHESIS_SEED).
"""

import collections
import copy
import logging
import os
from datetime import date, timedelta

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from odoo.exceptions import UserError
from odoo.tests import tagged

from .restore_case import RestoreCase, build_backup, fingerprint, parse_backup

_logger = logging.getLogger(__name__)

EXAMPLES = int(os.environ.get("DZ_HYPOTHESIS_EXAMPLES", "24"))
CAMPAIGN_SEED = os.environ.get("DZ_HYPOTHESIS_SEED")

FIELD_TYPES = (
    "char text html selection integer float monetary boolean date datetime json many2one "
    "many2one_reference many2many one2many reference binary properties"
).split()
ODD_IDS = (0, -1, -(2**31), 2**31, 2**40, 2**63 - 1, 2**64 + 5)
ODD_TEXTS = ("2026-02-30", "2026-01-01", "2026-01-01T10:00:00", "\x00", "res.partner,1", "posted", "")
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**65), max_value=2**65)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(ODD_TEXTS),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=4), children, max_size=2),
    max_leaves=4,
)
LINES = "data/account.move.line.jsonl"
# (member, fields) whose values Odoo derives or adds up: the "books" mutation changes one
DERIVED = (
    (LINES, ("debit", "credit", "balance", "amount_residual", "amount_residual_currency")),
    (
        "data/account.move.jsonl",
        (
            "amount_total_signed",
            "amount_tax_signed",
            "amount_residual_signed",
            "amount_residual",
            "payment_state",
            "date",
        ),
    ),
    ("data/sale.order.jsonl", ("amount_untaxed", "amount_total")),
    ("data/purchase.order.jsonl", ("amount_untaxed", "amount_tax")),
)
PAYMENT_STATES = ("not_paid", "in_payment", "paid", "partial", "reversed")
# Restored rows whose derived values are not what Odoo would derive: none may exist
UNTRUE_DERIVED_VALUES = {
    "an invoice's residual is its installments'": """
        SELECT move.name FROM account_move move
         WHERE move.company_id = %(company)s AND move.move_type != 'entry'
           AND ROUND(move.amount_residual_signed - COALESCE((
                 SELECT SUM(line.amount_residual) FROM account_move_line line
                  WHERE line.move_id = move.id AND line.display_type = 'payment_term'), 0), 2) != 0""",
    "an invoice's total is what its items make": """
        SELECT move.name FROM account_move move
         WHERE move.company_id = %(company)s AND move.move_type != 'entry'
           AND ROUND(move.amount_total_signed + COALESCE((
                 SELECT SUM(line.balance) FROM account_move_line line WHERE line.move_id = move.id
                    AND line.display_type IN ('product', 'tax', 'rounding')), 0), 2) != 0""",
    "a payment state says what the residual says": """
        SELECT move.name FROM account_move move
         WHERE move.company_id = %(company)s AND move.state = 'posted' AND (
               (move.payment_state IN ('paid', 'reversed')
                AND ROUND(move.amount_residual_signed, 2) != 0 AND ROUND(move.amount_residual, 2) != 0
                AND NOT EXISTS (SELECT 1 FROM account_move__account_payment m WHERE m.invoice_id = move.id))
            OR (move.payment_state IN ('not_paid', 'partial') AND move.move_type != 'entry'
                AND ROUND(move.amount_residual_signed, 2) = 0 AND ROUND(move.amount_residual, 2) = 0))""",
    **{
        f"a {table}'s totals are its lines'": f"""
        SELECT o.name FROM {table} o
         WHERE o.company_id = %(company)s
           AND (ROUND(o.amount_total - o.amount_untaxed - o.amount_tax, 2) != 0
                OR ROUND(o.amount_untaxed - COALESCE((SELECT SUM(l.price_subtotal)
                     FROM {table}_line l WHERE l.order_id = o.id), 0), 2) != 0)"""  # noqa: S608
        for table in ("sale_order", "purchase_order")
    },
}
SYSTEM_COUNTS = ("res.users", "res.groups", "ir.rule", "ir.cron", "ir.config_parameter", "res.company")


@tagged("post_install", "-at_install")
class TestRestoreProperties(RestoreCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.members, cls.manifest = parse_backup(cls.content)
        cls.registry_models = sorted(cls.env.registry)
        cls.target = (
            cls.env["res.company"]
            .with_user(cls.owner)
            .create(
                {
                    "name": "DZ Property Target",
                    "account_fiscal_country_id": cls.company.account_fiscal_country_id.id,
                }
            )
        )
        cls.owner.company_ids |= cls.target
        cls.documents = [  # (table, model column, id column) of every stored many2one_reference
            (Model._table, field.model_field, name)
            for Model in map(cls.env.get, cls.registry_models)
            if Model is not None and Model._auto and not Model._abstract and not Model._transient
            for name, field in Model._fields.items()
            if field.type == "many2one_reference" and field.store and field.model_field in Model._fields
        ]

    def test_every_file_is_refused_unchanged_or_restored_inside_the_company(self):
        options = settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=CAMPAIGN_SEED is None,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        )
        prop = options(given(data=st.data())(self._one_file))
        if CAMPAIGN_SEED is not None:
            prop = seed(int(CAMPAIGN_SEED))(prop)
        self.outcomes = collections.Counter()
        prop()
        _logger.info("restore property: %s examples, %s", sum(self.outcomes.values()), dict(self.outcomes))
        self.assertTrue(
            self.outcomes["restored"] and self.outcomes["refused"], "both kinds of files were made"
        )

    # ------------------------------------------------------------------
    # One example
    # ------------------------------------------------------------------
    def _one_file(self, data):
        format_version = data.draw(st.sampled_from([2, 1]), label="format version")
        members, manifest = dict(self.members), copy.deepcopy(self.manifest)
        lies = []
        for _ in range(data.draw(st.integers(1, 3), label="mutations")):
            if lie := self._mutate(data, members, manifest):
                lies.append(lie)
        content = build_backup(
            members, manifest, format_version=format_version, lie=lambda m: [lie(m) for lie in lies]
        )
        savepoint = self.env.cr.savepoint()
        try:
            self._check_property(content)
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()

    def _check_property(self, content):
        before = self._state()
        try:
            report = self.preflight(self.target, content, mode="merge")
            refusal = "\n".join(report["errors"]) if not report["ok"] else None
        except UserError as error:
            refusal = str(error)
        if refusal is not None:
            self.assertTrue(refusal.strip(), "a refusal says what is wrong")
            with self.assertRaises(UserError):  # the request refuses it too, before queueing
                self.restore(self.target, content, mode="merge")
            self.assertEqual(self._state(), before, f"refused ({refusal[:300]}) but changed")
            self.outcomes["refused"] += 1
            return
        tables = self._tables(report["counts"])
        last_ids = self._last_ids(tables)
        restore = self.restore(self.target, content, mode="merge")  # into an empty company
        if restore.state == "failed" and "break rules of their models" in (restore.error or ""):
            # the models' own rules run on the written rows (model_rules.py): refused, rolled back
            self.assertEqual(self._state(), before, f"refused ({restore.error[:300]}) but changed")
            self.outcomes["refused by the models' rules"] += 1
            return
        self.assertEqual(restore.state, "done", f"the check accepted it, the job failed: {restore.error}")
        self._assert_references_inside(tables)
        self._assert_documents_on_restored_records(last_ids)
        self._assert_books_balance()
        self.outcomes["restored"] += 1

    def _state(self):
        counts = {
            model: self.env[model].sudo().with_context(active_test=False).search_count([])
            for model in SYSTEM_COUNTS
        }
        return fingerprint(self.target), counts

    # ------------------------------------------------------------------
    # Mutations: each changes ``members``/``manifest`` or returns a lie told after hashing
    # ------------------------------------------------------------------
    def _mutate(self, data, members, manifest):
        kind = data.draw(
            st.sampled_from(
                [
                    "value",
                    "id",
                    "dangling",
                    "document",
                    "extra",
                    "missing",
                    "renamed",
                    "type",
                    "count",
                    "name",
                    "books",
                ]
            ),
            label="kind",
        )
        if kind == "books":
            self._mutate_books(data, members)
            return None
        entry = data.draw(st.sampled_from(manifest["members"]), label="member")
        name, index = entry["name"], manifest["members"].index(entry)  # a lie may rename it
        if kind == "count":
            delta = data.draw(st.integers(-3, 3).filter(bool), label="count lie")
            return lambda m: m["members"][index].update(count=m["members"][index]["count"] + delta)
        if kind == "name":
            other = data.draw(
                st.sampled_from([*members, "data/res.users.jsonl", "data/x.jsonl"]), label="name"
            )
            model = data.draw(st.sampled_from(self.registry_models), label="model")
            return lambda m: m["members"][index].update(name=other, model=model)
        records = members[name] = [dict(record) for record in members[name]]
        fields = entry["fields"]
        if kind == "type":
            field = data.draw(st.sampled_from(sorted(fields)), label="field")
            fields[field] = {**fields[field], "type": data.draw(st.sampled_from(FIELD_TYPES), label="type")}
        elif kind == "extra":
            column = data.draw(st.sampled_from(["x_fuzz", "password", "create_uid", "company_id", "id2"]))
            if data.draw(st.booleans(), label="declared"):
                fields[column] = {"type": data.draw(st.sampled_from(FIELD_TYPES), label="type")}
            value = data.draw(JSON_VALUES, label="value")
            for record in records:
                record[column] = value
        elif kind == "missing" and len(fields) > 1:
            field = data.draw(st.sampled_from(sorted(set(fields) - {"id"})), label="field")
            del fields[field]
            for record in records:
                record.pop(field, None)
        elif kind == "renamed" and len(fields) > 1:
            field = data.draw(st.sampled_from(sorted(set(fields) - {"id"})), label="field")
            new = data.draw(
                st.sampled_from([*sorted(fields), "x_renamed", "name", "state"]), label="new name"
            )
            fields[new] = fields.pop(field)
            for record in records:
                record[new] = record.pop(field, None)
        elif records:
            record = data.draw(st.sampled_from(records), label="record")
            self._mutate_record(data, kind, entry, record, members)
        return None

    def _mutate_books(self, data, members):
        """Books that lie: an amount of a journal item, or a value Odoo derives of an entry, an
        item or an order, changed by a lot or by a rounding; or a payment state changed."""
        name, fields = data.draw(st.sampled_from(DERIVED), label="books member")
        if not members.get(name):
            return
        records = members[name] = [dict(record) for record in members[name]]
        record = data.draw(st.sampled_from(records), label="record")
        field = data.draw(st.sampled_from(fields), label="field")
        if field == "payment_state":
            record[field] = data.draw(st.sampled_from(PAYMENT_STATES), label="payment state")
            return
        if field == "date":  # a number no longer of its date, or still of it
            if isinstance(record.get("date"), str):
                day = date.fromisoformat(record["date"])
                shift = data.draw(st.sampled_from([-366, -31, 1, 31, 366]), label="days")
                record[field] = (day + timedelta(days=shift)).isoformat()
            return
        change = data.draw(st.sampled_from([100, -100, 0.01, 0.004, 1e-9]), label="change")
        record[field] = (record.get(field) or 0) + change

    def _mutate_record(self, data, kind, entry, record, members):
        fields = entry["fields"]
        if kind == "id":
            others = [other["id"] for other in members[entry["name"]][:20]]
            record["id"] = data.draw(st.sampled_from([*ODD_IDS, *others]), label="id")
            return
        references = sorted(name for name, field in fields.items() if field.get("relation"))
        documents = sorted(field["model_field"] for field in fields.values() if field.get("model_field"))
        if kind == "dangling" and references:
            field = data.draw(st.sampled_from(references), label="field")
            record[field] = 10**6 + data.draw(st.integers(0, 10**6), label="absent id")
        elif kind == "document" and documents:
            field = data.draw(st.sampled_from(documents), label="model field")
            record[field] = data.draw(st.sampled_from(self.registry_models), label="model")
        else:
            field = data.draw(st.sampled_from(sorted(fields)), label="field")
            record[field] = data.draw(JSON_VALUES, label="value")

    # ------------------------------------------------------------------
    # What a restore that ran must have written
    # ------------------------------------------------------------------
    def _tables(self, counts):
        """The tables of the models the file writes, and of the documents."""
        return {self.env[model]._table for model in counts if model in self.env} | {
            table for table, _model, _id in self.documents
        }

    def _assert_references_inside(self, tables):
        """No row of the target company refers to a row of another company (users, whose company
        is the one they work in, aside)."""
        cr = self.env.cr
        cr.execute(
            """SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text
                 FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.conrelid::regclass::text = ANY(%s)
                  AND c.confrelid NOT IN ('res_users'::regclass, 'res_company'::regclass)
                  AND EXISTS (SELECT 1 FROM pg_attribute
                               WHERE attrelid = c.conrelid AND attname = 'company_id')
                  AND EXISTS (SELECT 1 FROM pg_attribute
                               WHERE attrelid = c.confrelid AND attname = 'company_id')""",
            [sorted(tables)],
        )
        for table, column, target in cr.fetchall():
            cr.execute(
                f"""SELECT count(*) FROM {table} x JOIN {target} p ON p.id = x."{column}"
                     WHERE x.company_id = %s AND p.company_id <> %s""",  # noqa: S608 - catalog names
                [self.target.id, self.target.id],
            )
            self.assertEqual(cr.fetchone()[0], 0, f"{table}.{column} refers to another company's {target}")

    def _assert_books_balance(self):
        """Every restored journal item's balance is its debit minus its credit, and every
        restored posted entry balances, at the currency's rounding (as Odoo's _check_balanced);
        residuals, totals and payment states are what Odoo derives (UNTRUE_DERIVED_VALUES), and
        every posted entry's number is of its date (Odoo's _constrains_date_sequence)."""
        cr = self.env.cr
        cr.execute(
            """SELECT line.id FROM account_move_line line
                WHERE line.company_id = %s AND ROUND(line.balance - (line.debit - line.credit), 2) != 0""",
            [self.target.id],
        )
        self.assertFalse(cr.fetchall(), "a journal item's balance is its debit minus its credit")
        cr.execute(
            """SELECT move.name FROM account_move move JOIN account_move_line line ON line.move_id = move.id
                WHERE move.company_id = %s AND move.state = 'posted'
                GROUP BY move.id HAVING ROUND(SUM(line.balance), 2) != 0""",
            [self.target.id],
        )
        self.assertFalse(cr.fetchall(), "every posted entry balances")
        for rule, query in UNTRUE_DERIVED_VALUES.items():
            cr.execute(query, {"company": self.target.id})
            self.assertFalse(cr.fetchall(), rule)
        posted = self.env["account.move"].search(
            [("company_id", "=", self.target.id), ("state", "=", "posted")]
        )
        posted._constrains_date_sequence()  # every number is of its date, as Odoo wants it

    def _last_ids(self, tables):
        """The last id of each table before the restore (documents name records by id)."""
        cr, last = self.env.cr, {}
        for table in tables:
            cr.execute(f'SELECT COALESCE(max(id), 0) FROM "{table}"')  # noqa: S608 - catalog names
            last[table] = cr.fetchone()[0]
        return last

    def _assert_documents_on_restored_records(self, last_ids):
        """A document the restore wrote names a record the restore wrote."""
        cr = self.env.cr
        for table, model_column, id_column in self.documents:
            cr.execute(
                f'SELECT DISTINCT "{model_column}", "{id_column}" FROM "{table}"'  # noqa: S608
                f' WHERE id > %s AND "{id_column}" IS NOT NULL AND "{id_column}" <> 0',
                [last_ids[table]],
            )
            for model, record_id in cr.fetchall():
                if model.startswith("danger.zone."):
                    continue  # the restore job's own file
                self.assertIn(model, self.env, f"{table} names {model}, no model here")
                Model = self.env[model]
                self.assertIn(Model._table, last_ids, f"{table} attached to {model}, which the file lacks")
                self.assertGreater(
                    record_id, last_ids[Model._table], f"{table} attached to {model} {record_id}"
                )
