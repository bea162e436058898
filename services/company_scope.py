"""Resolve which rows of the database are one company's business data.

Set-based SQL only: rows owned by the company are found by their
``company_id``; everything else (shared contacts and products, children,
chatter, natural keys of global records) is collected in the temporary table
``danger_zone_scope`` by following references round by round until nothing
new turns up (semi-naive closure: each round only starts from the rows the
previous round added).
"""

import dataclasses
import json
import tempfile

from odoo import SUPERUSER_ID
from odoo.tools import SQL

from .scope_closure import SCOPE_TABLE, ScopeClosure
from .scope_rules import COMPANY_MODEL, MAGIC_FIELDS
from .sql import table_rows

SMALL_SET = 1000  # the ids of a smaller set are written into a query instead of a subquery
CHECK_AHEAD_ROWS = 10_000  # a larger member's many2ones may be checked once instead of row by row
ROWS_PER_OUTSIDE_RECORD = 20  # ... when the records outside the scope are that much fewer than its rows
SMALL_PART = 10  # a member whose rows are a tenth of its table or less is read from its own rows


class CompanyScope:
    """The records in scope for one company, and the fields a backup writes.

    ``data`` models are written in full; ``keys`` models only as natural keys
    of the shared records that the data refers to.
    """

    def __init__(self, env, company, rules, natural_keys, settings_fields):
        self.env = env
        self.cr = env.cr
        self.company = company
        self.rules = {rule.model: self._checked(rule) for rule in rules}
        self.natural_keys = natural_keys
        self.settings_fields = settings_fields
        self._fields_cache = {}
        self._defaults = {}
        self._counts = {}  # (model, kind) -> records in scope, once resolved
        self._small_ids = {}  # (model, kind) -> its ids in scope, for sets of at most SMALL_SET
        self._distribution_accounts = {}  # (model, field name) -> account ids its distributions name
        self._outside_counts = {}  # model -> (records outside the scope, the limit they were counted to)
        self._indexed_columns = {}  # table -> columns that start one of its btree indexes
        # The file holds what its owner may read: fields restricted to groups they lack stay out.
        self.owner_env = env(user=company.danger_zone_owner_id.id or env.uid, su=False)

    def _checked(self, rule):
        """A rule on the company of a model that keeps no company column falls back to ``none``."""
        fields = self.env[rule.model]._fields
        column = {"own": "company_id", "shared": "company_id", "companies": "company_ids"}.get(rule.company)
        if column and not (column in fields and fields[column].store):
            return dataclasses.replace(rule, company="none")
        return rule

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    def in_scope(self, model):
        return model in self.rules or model in self.natural_keys or model == COMPANY_MODEL

    def data_models(self):
        return [COMPANY_MODEL, *self.rules]

    def key_models(self):
        return [model for model in self.natural_keys if model != COMPANY_MODEL]

    def data_fields(self, model):
        """Fields written for records of ``model``: name -> odoo Field, ``id`` first."""
        if model not in self._fields_cache:
            fields = self.env[model]._fields
            if model == COMPANY_MODEL:
                names = ["id", *self.settings_fields]
            else:
                names = ["id", *sorted(name for name, field in fields.items() if self._writable(field))]
            self._fields_cache[model] = {
                name: fields[name] for name in names if self._exportable(fields[name])
            }
        return self._fields_cache[model]

    def key_fields(self, model):
        fields = self.env[model]._fields
        return {name: fields[name] for name in ["id", *self.natural_keys[model]] if name in fields}

    def _writable(self, field):
        # parent_path lists ancestors' ids; the ORM rebuilds it from parent_id
        return field.name not in MAGIC_FIELDS and field.name not in ("id", "parent_path") and field.store

    def _exportable(self, field):
        if field.name == "id":
            return True
        if field.groups and not field.is_accessible(self.owner_env):
            return False
        if field.type in ("one2many", "binary", "reference", "properties", "properties_definition"):
            return False
        if field.type in ("many2one", "many2many"):
            return self.in_scope(field.comodel_name)
        if field.type == "many2one_reference":
            return True
        return bool(field.column_type)

    # ------------------------------------------------------------------
    # Membership: SQL selecting the ids of a model's records in scope
    # ------------------------------------------------------------------
    def membership(self, model):
        """How records of ``model`` are in scope: ``company`` (the company itself), ``own`` and
        ``companies`` (by their company column), or ``collected`` (in danger_zone_scope)."""
        if model == COMPANY_MODEL:
            return "company"
        rule = self.rules.get(model)
        if rule and rule.company in ("own", "companies"):
            return rule.company
        return "collected"

    def ids_sql(self, model, kind=None):
        """SQL selecting the ids in scope of ``model`` (``kind``: 'data', 'keys' or both)."""
        table = SQL.identifier(self.env[model]._table)
        scope_kind = self.membership(model)
        if scope_kind == "company":
            return SQL("SELECT %s", self.company.id)
        if scope_kind == "own":
            return SQL("SELECT id FROM %s WHERE company_id = %s", table, self.company.id)
        if scope_kind == "companies":
            field = self.env[model]._fields["company_ids"]
            return SQL(
                "SELECT %s FROM %s WHERE %s = %s",
                SQL.identifier(field.column1),
                SQL.identifier(field.relation),
                SQL.identifier(field.column2),
                self.company.id,
            )
        if kind:
            return SQL("SELECT id FROM danger_zone_scope WHERE model = %s AND kind = %s", model, kind)
        return SQL("SELECT id FROM danger_zone_scope WHERE model = %s", model)

    def where_sql(self, model, kind):
        """Condition on alias ``t`` selecting the records in scope (cheapest form)."""
        if self.membership(model) == "own":
            return SQL("t.company_id = %s", self.company.id)
        return SQL("t.id IN (%s)", self.ids_sql(model, kind))

    def membership_sql(self, value, model, rows=None, kind=None):
        """SQL testing whether ``value`` is the id of a record of ``model`` in scope (``kind``:
        as 'data', 'keys' or either), for a query of about ``rows`` rows.

        A small set's ids go into the query as a constant array, which PostgreSQL
        tests faster than a subquery's results. Against a large set, a few rows
        look their ids up by index rather than hash the whole set first.
        """
        size = self.count(model, kind)
        ids = self.ids_sql(model, kind)
        if size > SMALL_SET and rows is not None and rows * 10 < size:
            return SQL("EXISTS (SELECT FROM (%s) AS ids(id) WHERE ids.id = %s)", ids, value)
        if size > SMALL_SET:
            return SQL("%s IN (%s)", value, ids)
        if (model, kind) not in self._small_ids:
            self.cr.execute(SQL("SELECT array_agg(id ORDER BY id) FROM (%s) AS ids(id)", ids))
            self._small_ids[model, kind] = self.cr.fetchone()[0] or []
        return SQL("%s = ANY(%s::int[])", value, self._small_ids[model, kind])

    def may_name_outside(self, model, kind, field):
        """Whether the many2one ``field`` may name, in a record of the member, a record outside
        the scope: then each value is checked as it is written.

        A large member is asked the other way round when that is cheap: from the
        few records of the comodel outside the scope, each looked up by index in
        the member's column. Only when one of them is named must every row be checked.
        """
        rows = self.count(model, kind)
        table = self.env[model]._table
        if field.company_dependent or rows <= CHECK_AHEAD_ROWS or field.name not in self._indexed(table):
            return True  # a computed value, few rows or no index: checking each costs less
        comodel = field.comodel_name
        outside = self._outside_sql(comodel)
        outside_count = self._outside_count(comodel, outside, rows // ROWS_PER_OUTSIDE_RECORD + 1)
        if not outside_count:
            return False
        if outside_count * ROWS_PER_OUTSIDE_RECORD > rows:
            return True
        if rows * SMALL_PART < table_rows(self.cr, table):
            # a small company among others: its own rows, read by company, are fewer than the
            # rows that the outside records would lead to
            query = (
                "SELECT EXISTS (SELECT FROM %(table)s t WHERE %(member)s AND t.%(field)s IN (%(outside)s))"
            )
        else:  # from the few records outside, each looked up by index in the member's column
            query = (
                "SELECT EXISTS (SELECT FROM (%(outside)s) o"
                " WHERE EXISTS (SELECT FROM %(table)s t WHERE t.%(field)s = o.id AND %(member)s))"
            )
        self.cr.execute(
            SQL(
                query,
                outside=outside,
                table=SQL.identifier(table),
                field=SQL.identifier(field.name),
                member=self.where_sql(model, kind),
            )
        )
        return self.cr.fetchone()[0]

    def _outside_count(self, model, outside, limit):
        """How many records of ``model`` are outside the scope, counted up to ``limit``."""
        count, counted_up_to = self._outside_counts.get(model, (0, 0))
        if count == counted_up_to < limit:  # not counted yet, or cut short below this limit
            self.cr.execute(SQL("SELECT count(*) FROM (%s LIMIT %s) outside", outside, limit))
            count, counted_up_to = self.cr.fetchone()[0], limit
            self._outside_counts[model] = (count, counted_up_to)
        return min(count, limit)

    def _outside_sql(self, model):
        """SQL selecting, as ``o.id``, the ids of the records of ``model`` outside the scope."""
        table = SQL.identifier(self.env[model]._table)
        if self.membership(model) == "own":
            return SQL("SELECT o.id FROM %s o WHERE o.company_id IS DISTINCT FROM %s", table, self.company.id)
        return SQL(
            "SELECT o.id FROM %s o WHERE NOT EXISTS (SELECT FROM (%s) AS ids(id) WHERE ids.id = o.id)",
            table,
            self.ids_sql(model),
        )

    def _indexed(self, table):
        """The columns that start a btree index of ``table``."""
        if table not in self._indexed_columns:
            self.cr.execute(
                """SELECT a.attname FROM pg_index i
                     JOIN pg_class ic ON ic.oid = i.indexrelid
                     JOIN pg_am am ON am.oid = ic.relam
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                    WHERE i.indrelid = %s::regclass AND am.amname = 'btree'""",
                [table],
            )
            self._indexed_columns[table] = {column for (column,) in self.cr.fetchall()}
        return self._indexed_columns[table]

    def count(self, model, kind="data"):
        """How many records of ``model`` are in scope as ``kind`` (once resolved, it stays so)."""
        if (model, kind) not in self._counts:
            self.cr.execute(SQL("SELECT count(*) FROM (%s) ids", self.ids_sql(model, kind)))
            self._counts[model, kind] = self.cr.fetchone()[0]
        return self._counts[model, kind]

    # ------------------------------------------------------------------
    # Closure (services/scope_closure.py) and what it found
    # ------------------------------------------------------------------
    def resolve(self, helper=None):
        """Fill danger_zone_scope with every collected record, round by round (``ScopeClosure``).

        ``helper`` (a SnapshotReader: another connection on the same snapshot)
        scans the company's largest own model for the first round meanwhile.
        """
        self._counts.clear()
        self._small_ids.clear()
        self._outside_counts.clear()
        closure = ScopeClosure(self)
        closure.run(helper)
        self._distribution_accounts = closure.distribution_accounts

    def copy_to(self, cr):
        """Give the cursor ``cr`` (another connection, on the same snapshot) the same scope table."""
        with tempfile.TemporaryFile() as rows:
            self.cr.copy_expert("COPY danger_zone_scope TO STDOUT", rows)
            rows.seek(0)
            cr.execute(SCOPE_TABLE)
            cr.copy_expert("COPY danger_zone_scope FROM STDIN", rows)
        cr.execute("ANALYZE danger_zone_scope")

    def distribution_accounts(self, model, field):
        """The account ids keying ``field``'s distributions in the scope's records of ``model``:
        every round's rows together. Every data record in scope is followed once, so a model
        with none is a model with no records here."""
        return self._distribution_accounts.get((model, field.name), set())

    def column_sql(self, column, field):
        """The company's value of a column: company-dependent columns are jsonb by company.

        A company-dependent many2one falls back to the company's default, as the ORM reads it.
        """
        if not field.company_dependent:
            return column
        value = SQL("(%s ->> %s)::int", column, str(self.company.id))
        return SQL("COALESCE(%s, %s)", value, self.company_default(field))

    def company_value_json(self, column, field):
        """The company's value of a company-dependent column as JSON, or the company's default."""
        default = json.dumps(self.company_default(field))
        return SQL("COALESCE(%s -> %s, %s::jsonb)", column, str(self.company.id), default)

    def company_default(self, field):
        """The value Odoo falls back to for ``field`` in this company (ir.default), or None."""
        model = field.model_name
        if model not in self._defaults:
            IrDefault = self.env["ir.default"].with_user(SUPERUSER_ID).with_company(self.company)
            self._defaults[model] = IrDefault._get_model_defaults(model)
        return self._defaults[model].get(field.name)

    @staticmethod
    def json_key_relation(field):
        """Model whose ids key a json field (analytic distributions), or None."""
        if field.type == "json" and field.name == "analytic_distribution":
            return "account.analytic.account"
        return None
