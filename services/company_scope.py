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
from collections import Counter
from dataclasses import dataclass

from odoo import SUPERUSER_ID
from odoo.tools import SQL

from .closure import close, identity_partner
from .sql import disable_jit


@dataclass(frozen=True)
class ScopeRule:
    """How the records of one business model belong to a company.

    ``company``:
      - ``own``: records whose ``company_id`` is the company;
      - ``companies``: records whose ``company_ids`` hold the company (shared accounts);
      - ``shared``: records of the company, and records of no company that the
        company's data refers to;
      - ``none``: the model has no company; records come along when referred
        to, as children of a parent (``parents``) or as documents.
    ``parents``: many2one fields; a record comes along with its parent.
    ``document``: records attached by ``res_model``/``res_id`` to records in scope.
    ``option``: included only when this backup option is on (e.g. ``attachments``).
    """

    model: str
    company: str = "own"
    parents: tuple = ()
    document: bool = False
    option: str = ""


# Columns of every model that belong to the database, not to the business data.
MAGIC_FIELDS = frozenset({"create_uid", "create_date", "write_uid", "write_date", "__last_update"})

# res.company fields that are identity or localisation, never settings.
COMPANY_IDENTITY_FIELDS = frozenset(
    """name partner_id currency_id logo logo_web parent_id parent_path sequence active report_header
    report_footer company_details layout_background external_report_layout_id paperformat_id primary_color
    secondary_color font email phone mobile website vat company_registry street street2 zip city state_id
    country_id chart_template account_fiscal_country_id account_enabled_tax_country_ids
    multi_vat_foreign_country_ids expects_chart_of_accounts danger_zone_owner_id uses_default_logo bank_ids
    user_ids""".split()
)


SCOPE_TABLE = """CREATE TEMPORARY TABLE danger_zone_scope (
                   model varchar NOT NULL, id integer NOT NULL, kind varchar NOT NULL,
                   round integer NOT NULL, PRIMARY KEY (model, id)
               ) ON COMMIT DROP"""
SMALL_SET = 1000  # the ids of a smaller set are written into a query instead of a subquery
CHECK_AHEAD_ROWS = 10_000  # a larger member's many2ones may be checked once instead of row by row
ROWS_PER_OUTSIDE_RECORD = 20  # ... when the records outside the scope are that much fewer than its rows
SCAN_AHEAD_ROWS = 10_000  # the largest own model, if larger, is scanned on a second connection
COMPANY_MODEL = "res.company"


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
        self._added = Counter()  # (model, kind, round) -> rows that entered the scope then
        self._counts = {}  # (model, kind) -> records in scope, once resolved
        self._small_ids = {}  # model -> its ids in scope, for sets of at most SMALL_SET
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
    def _kind(self, model):
        if model == COMPANY_MODEL:
            return "company"
        rule = self.rules.get(model)
        if rule and rule.company in ("own", "companies"):
            return rule.company
        return "collected"

    def ids_sql(self, model, kind=None):
        """SQL selecting the ids in scope of ``model`` (``kind``: 'data', 'keys' or both)."""
        table = SQL.identifier(self.env[model]._table)
        scope_kind = self._kind(model)
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
        if self._kind(model) == "own":
            return SQL("t.company_id = %s", self.company.id)
        return SQL("t.id IN (%s)", self.ids_sql(model, kind))

    def membership_sql(self, value, model, rows=None):
        """SQL testing whether ``value`` is the id of a record of ``model`` in scope, for a
        query of about ``rows`` rows.

        A small set's ids go into the query as a constant array, which PostgreSQL
        tests faster than a subquery's results. Against a large set, a few rows
        look their ids up by index rather than hash the whole set first.
        """
        size = self.count(model, None)
        if size > SMALL_SET and rows is not None and rows * 10 < size:
            return SQL("EXISTS (SELECT FROM (%s) AS ids(id) WHERE ids.id = %s)", self.ids_sql(model), value)
        if size > SMALL_SET:
            return SQL("%s IN (%s)", value, self.ids_sql(model))
        if model not in self._small_ids:
            self.cr.execute(SQL("SELECT array_agg(id ORDER BY id) FROM (%s) AS ids(id)", self.ids_sql(model)))
            self._small_ids[model] = self.cr.fetchone()[0] or []
        return SQL("%s = ANY(%s::int[])", value, self._small_ids[model])

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
        self.cr.execute(
            SQL(
                "SELECT EXISTS (SELECT FROM (%s) o WHERE EXISTS (SELECT FROM %s t WHERE t.%s = o.id AND %s))",
                outside,
                SQL.identifier(table),
                SQL.identifier(field.name),
                self.where_sql(model, kind),
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
        if self._kind(model) == "own":
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
    # Closure
    # ------------------------------------------------------------------
    def resolve(self, helper=None):
        """Fill danger_zone_scope with every collected record, round by round.

        ``helper`` (a SnapshotReader: another connection on the same snapshot)
        scans the company's largest own model for the first round meanwhile: which
        of its rows are in scope does not depend on the closure.
        """
        disable_jit(self.cr)
        self.cr.execute("DROP TABLE IF EXISTS danger_zone_scope")
        self._added.clear()
        self._counts.clear()
        self._small_ids.clear()
        self._distribution_accounts.clear()
        self._outside_counts.clear()
        self.cr.execute(SCOPE_TABLE)
        self._seed_shared()
        scans = self._scan_ahead(helper) if helper else {}
        close(lambda round_number: self._follow_round(round_number, scans), min_rounds=2)
        self.cr.execute("ANALYZE danger_zone_scope")

    def _follow_round(self, round_number, scans):
        """Follow every source once; return how many records the round added."""
        # sources scanned ahead come last, their scans having had the most time
        sources = sorted(self._sources(), key=lambda source: source in scans)
        return sum(
            self._follow(model, kind, round_number, scans.pop((model, kind), None)) for model, kind in sources
        )

    def _scan_ahead(self, helper):
        """Start, on ``helper``'s connection, the first round's scan of the largest own model
        (the journal items, usually) if it has more than SCAN_AHEAD_ROWS records; the main
        connection scans the rest meanwhile. Return the future scan by (model, kind)."""
        # the count of an own model is final already: it is that of the company's rows
        own = [model for model in self.data_models() if self._kind(model) == "own"]
        largest = max(own, key=lambda model: self.count(model, "data"), default=None)
        if not largest or self.count(largest, "data") <= SCAN_AHEAD_ROWS:
            return {}
        queries = self._scan_queries(largest, self.data_fields(largest), self.where_sql(largest, "data"))
        return {(largest, "data"): helper.run(run_scan, queries)}

    def copy_to(self, cr):
        """Give the cursor ``cr`` (another connection, on the same snapshot) the same scope table."""
        with tempfile.TemporaryFile() as rows:
            self.cr.copy_expert("COPY danger_zone_scope TO STDOUT", rows)
            rows.seek(0)
            cr.execute(SCOPE_TABLE)
            cr.copy_expert("COPY danger_zone_scope FROM STDIN", rows)
        cr.execute("ANALYZE danger_zone_scope")

    def _sources(self):
        return [(model, "data") for model in self.data_models()] + [
            (model, "keys") for model in self.key_models()
        ]

    def _seed_shared(self):
        for model, rule in self.rules.items():
            if rule.company == "shared":
                table = SQL.identifier(self.env[model]._table)
                self._insert(
                    model, "data", SQL("SELECT id FROM %s WHERE company_id = %s", table, self.company.id), 0
                )

    def _delta_sql(self, model, kind, round_number):
        """Ids of ``model`` that entered the scope as ``kind`` in the previous round."""
        if self._kind(model) != "collected":
            return self.ids_sql(model) if round_number == 1 and kind == "data" else None
        if not self._added[model, kind, round_number - 1]:
            return None  # nothing new to follow: skip the round's queries for this model
        return SQL(
            "SELECT id FROM danger_zone_scope WHERE model = %s AND kind = %s AND round = %s",
            model,
            kind,
            round_number - 1,
        )

    def _follow(self, source, kind, round_number, scan=None):
        """Add what the delta of ``source`` refers to, and its children and documents
        (``scan``: the future result of its scan, started ahead on another connection)."""
        delta = self._delta_sql(source, kind, round_number)
        if delta is None:
            return 0
        fields = self.key_fields(source) if kind == "keys" else self.data_fields(source)
        if scan is None:
            # the company's own rows are found by their column, cheaper than by their ids
            own = self._kind(source) == "own"
            where = self.where_sql(source, kind) if own else SQL("t.id IN (%s)", delta)
            referenced, distributions = run_scan(self.cr, self._scan_queries(source, fields, where))
        else:
            referenced, distributions = scan.result()
        added = self._add_scanned(source, referenced, distributions, round_number)
        for field in fields.values():
            if field.type in ("many2many", "one2many") and self._kind(field.comodel_name) == "collected":
                added += self._add_referenced(
                    field.comodel_name, self._referenced_ids(field, delta), round_number
                )
        if kind == "data":
            for model, rule in self.rules.items():
                added += self._add_children(model, rule, source, delta, round_number)
        return added

    def _scan_queries(self, source, fields, where):
        """The queries finding what the rows ``where`` selects refer to (see ``run_scan``).

        Plain SQL, built here because building it may read the ORM (company
        defaults), so that another connection can run it in another thread.
        """
        many2ones = [
            field
            for field in fields.values()
            if field.type == "many2one" and self._kind(field.comodel_name) == "collected"
        ]
        table = SQL.identifier(self.env[source]._table)
        values = None
        if many2ones:
            columns = [
                SQL("%s AS %s", self.column_sql(SQL.identifier("t", f.name), f), SQL.identifier(f"v{i}"))
                for i, f in enumerate(many2ones)
            ]
            values = SQL(
                "SELECT * FROM (SELECT %s FROM %s t WHERE %s) r GROUP BY GROUPING SETS (%s)",
                SQL(", ").join(columns),
                table,
                where,
                SQL(", ").join(SQL("(%s)", SQL.identifier(f"v{i}")) for i in range(len(many2ones))),
            )
        distributions = {
            field.name: SQL(
                """SELECT DISTINCT unnest(string_to_array(k, ','))::int
                     FROM (SELECT DISTINCT t.%s AS d FROM %s t WHERE %s) x,
                          jsonb_object_keys(CASE WHEN jsonb_typeof(x.d) = 'object' THEN x.d END) k""",
                SQL.identifier(field.name),
                table,
                where,
            )
            for field in fields.values()
            if self.json_key_relation(field)
        }
        return [field.comodel_name for field in many2ones], values, distributions

    def _add_scanned(self, source, referenced, distributions, round_number):
        """Add the records a scan found referred to: ``referenced`` ids by model,
        ``distributions`` account ids by field."""
        added = sum(
            self._add_referenced(model, SQL("SELECT unnest(%s::int[])", sorted(ids)), round_number)
            for model, ids in referenced.items()
        )
        for field_name, ids in distributions.items():
            self._distribution_accounts.setdefault((source, field_name), set()).update(ids)
            key_relation = self.json_key_relation(self.env[source]._fields[field_name])
            added += self._add_referenced(key_relation, SQL("SELECT unnest(%s::int[])", ids), round_number)
        return added

    def distribution_accounts(self, model, field):
        """The account ids keying ``field``'s distributions in the scope's records of ``model``:
        every round's rows together. Every data record in scope is followed once, so a model
        with none is a model with no records here."""
        return self._distribution_accounts.get((model, field.name), set())

    def _referenced_ids(self, field, delta):
        if field.type == "one2many":
            comodel_table = SQL.identifier(self.env[field.comodel_name]._table)
            return SQL(
                "SELECT id FROM %s WHERE %s IN (%s)", comodel_table, SQL.identifier(field.inverse_name), delta
            )
        return SQL(
            "SELECT %s FROM %s WHERE %s IN (%s)",
            SQL.identifier(field.column2),
            SQL.identifier(field.relation),
            SQL.identifier(field.column1),
            delta,
        )

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

    def _add_referenced(self, model, ids_sql, round_number):
        added = 0
        if model in self.rules:
            added += self._insert(model, "data", ids_sql, round_number)
        if model in self.natural_keys:
            added += self._insert(model, "keys", ids_sql, round_number)
        return added

    def _add_children(self, model, rule, source, delta, round_number):
        Model = self.env[model]
        table = SQL.identifier(Model._table)
        added = 0
        for parent in rule.parents:
            if Model._fields[parent].comodel_name == source:
                ids = SQL("SELECT id FROM %s WHERE %s IN (%s)", table, SQL.identifier(parent), delta)
                added += self._insert(model, "data", ids, round_number)
        if rule.document and source not in (model, COMPANY_MODEL):  # the company's own chatter is identity
            res_id = next(f for f in Model._fields.values() if f.type == "many2one_reference")
            ids = SQL(
                "SELECT id FROM %s WHERE %s = %s AND %s IN (%s) AND %s",
                table,
                SQL.identifier(res_id.model_field),
                source,
                SQL.identifier(res_id.name),
                delta,
                self._document_of_company(Model, source),
            )
            added += self._insert(model, "data", ids, round_number)
        return added

    def _document_of_company(self, Model, source):
        """Chatter and files of the company's own records all go; on shared records (contacts,
        products...) only those of this company or of none."""
        column = next((c for c in ("record_company_id", "company_id") if c in Model._fields), None)
        if self._kind(source) != "collected" or not column or not Model._fields[column].store:
            return SQL("TRUE")
        return SQL("(%s = %s OR %s IS NULL)", SQL.identifier(column), self.company.id, SQL.identifier(column))

    def _insert(self, model, kind, ids_sql, round_number):
        """Insert the eligible records of ``ids_sql``; return how many were new."""
        if self._kind(model) != "collected":
            return 0
        table = SQL.identifier(self.env[model]._table)
        self.cr.execute(
            SQL(
                """INSERT INTO danger_zone_scope (model, id, kind, round)
                   SELECT %s, x.id, %s, %s FROM %s x WHERE x.id IN (%s) AND %s
                   ON CONFLICT DO NOTHING""",
                model,
                kind,
                round_number,
                table,
                ids_sql,
                self._eligible(model, kind),
            )
        )
        self._added[model, kind, round_number] += self.cr.rowcount
        return self.cr.rowcount

    def _eligible(self, model, kind):
        """Condition on ``x`` for a record of ``model`` to enter the scope as ``kind``."""
        company_id = self.company.id
        if model == "ir.attachment":
            return SQL("x.type = 'binary'")
        if model == "res.partner":
            if kind == "keys":
                # users' partners, and this company's own partner (not other companies')
                return SQL(
                    "(x.id IN (SELECT partner_id FROM res_users) OR x.id = %s)", self.company.partner_id.id
                )
            return SQL(
                "(x.company_id = %s OR x.company_id IS NULL) AND NOT %s",
                company_id,
                identity_partner(SQL("x.id")),
            )
        if (
            kind == "data"
            and "company_id" in self.env[model]._fields
            and self.env[model]._fields["company_id"].store
        ):
            return SQL("(x.company_id = %s OR x.company_id IS NULL)", company_id)
        return SQL("TRUE")


def run_scan(cr, queries):
    """Run on ``cr`` the queries of ``CompanyScope._scan_queries``; return the ids they find
    referred to, by model, and the analytic account ids keying the distributions, by field.

    The distinct values of every many2one come from one scan (``GROUPING SETS``);
    the distributions from a plain query that PostgreSQL may run in parallel workers.
    """
    models, values, distributions = queries
    referenced = {}
    if values is not None:
        cr.execute(values)
        for row in cr.fetchall():  # one value a row: that of its grouping set
            for model, value in zip(models, row, strict=True):
                if value is not None:
                    referenced.setdefault(model, set()).add(value)
    found = {}
    for field_name, query in distributions.items():
        cr.execute(query)
        found[field_name] = [account_id for (account_id,) in cr.fetchall()]
    return referenced, found
