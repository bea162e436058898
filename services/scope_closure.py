"""The closure of a backup's scope: which rows beyond the company's own come along.

Rows owned by the company are found by their ``company_id``; everything else (shared contacts
and products, children, chatter, natural keys of global records) is collected in the temporary
table ``danger_zone_scope`` by following references round by round until nothing new turns up
(semi-naive: each round only starts from the rows the previous round added).
"""

from collections import Counter

from odoo.tools import SQL

from .closure import close, identity_partner
from .scope_rules import COMPANY_MODEL, document_field
from .sql import disable_jit

SCOPE_TABLE = """CREATE TEMPORARY TABLE danger_zone_scope (
                   model varchar NOT NULL, id integer NOT NULL, kind varchar NOT NULL,
                   round integer NOT NULL, PRIMARY KEY (model, id)
               ) ON COMMIT DROP"""
SCAN_AHEAD_ROWS = 10_000  # the largest own model, if larger, is scanned on a second connection


class ScopeClosure:
    """Fills ``danger_zone_scope`` for a ``CompanyScope``, whose rules and fields it follows."""

    def __init__(self, scope):
        self.scope = scope
        self.env = scope.env
        self.cr = scope.cr
        self.company = scope.company
        self.rules = scope.rules
        self.natural_keys = scope.natural_keys
        self.added = Counter()  # (model, kind, round) -> rows that entered the scope then
        self.distribution_accounts = {}  # (model, field name) -> account ids its distributions name

    def run(self, helper=None):
        """Fill danger_zone_scope with every collected record, round by round.

        ``helper`` (a SnapshotReader: another connection on the same snapshot)
        scans the company's largest own model for the first round meanwhile: which
        of its rows are in scope does not depend on the closure.
        """
        disable_jit(self.cr)
        self.cr.execute("DROP TABLE IF EXISTS danger_zone_scope")
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
        own = [model for model in self.scope.data_models() if self.scope.membership(model) == "own"]
        largest = max(own, key=lambda model: self.scope.count(model, "data"), default=None)
        if not largest or self.scope.count(largest, "data") <= SCAN_AHEAD_ROWS:
            return {}
        queries = self._scan_queries(
            largest, self.scope.data_fields(largest), self.scope.where_sql(largest, "data")
        )
        return {(largest, "data"): helper.run(run_scan, queries)}

    def _sources(self):
        return [(model, "data") for model in self.scope.data_models()] + [
            (model, "keys") for model in self.scope.key_models()
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
        if self.scope.membership(model) != "collected":
            return self.scope.ids_sql(model) if round_number == 1 and kind == "data" else None
        if not self.added[model, kind, round_number - 1]:
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
        fields = self.scope.key_fields(source) if kind == "keys" else self.scope.data_fields(source)
        if scan is None:
            # the company's own rows are found by their column, cheaper than by their ids
            own = self.scope.membership(source) == "own"
            where = self.scope.where_sql(source, kind) if own else SQL("t.id IN (%s)", delta)
            referenced, distributions = run_scan(self.cr, self._scan_queries(source, fields, where))
        else:
            referenced, distributions = scan.result()
        added = self._add_scanned(source, referenced, distributions, round_number)
        for field in fields.values():
            if (
                field.type in ("many2many", "one2many")
                and self.scope.membership(field.comodel_name) == "collected"
            ):
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
            if field.type == "many2one" and self.scope.membership(field.comodel_name) == "collected"
        ]
        table = SQL.identifier(self.env[source]._table)
        values = None
        if many2ones:
            columns = [
                SQL(
                    "%s AS %s", self.scope.column_sql(SQL.identifier("t", f.name), f), SQL.identifier(f"v{i}")
                )
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
            if self.scope.json_key_relation(field)
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
            self.distribution_accounts.setdefault((source, field_name), set()).update(ids)
            key_relation = self.scope.json_key_relation(self.env[source]._fields[field_name])
            added += self._add_referenced(key_relation, SQL("SELECT unnest(%s::int[])", ids), round_number)
        return added

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
            res_id = document_field(Model)
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
        if self.scope.membership(source) != "collected" or not column or not Model._fields[column].store:
            return SQL("TRUE")
        return SQL("(%s = %s OR %s IS NULL)", SQL.identifier(column), self.company.id, SQL.identifier(column))

    def _insert(self, model, kind, ids_sql, round_number):
        """Insert the eligible records of ``ids_sql``; return how many were new."""
        if self.scope.membership(model) != "collected":
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
        self.added[model, kind, round_number] += self.cr.rowcount
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
        conditions = [self._parents_not_of_another_company(model)] if kind == "data" else []
        if kind == "data" and _has_company_column(self.env[model]):
            conditions.append(SQL("(x.company_id = %s OR x.company_id IS NULL)", company_id))
        return SQL(" AND ").join(conditions) if conditions else SQL("TRUE")

    def _parents_not_of_another_company(self, model):
        """A record whose parent (``ScopeRule.parents``) is another company's belongs to that
        company, wherever it is reached from: a variant line of another company's product on
        a shared attribute stays out of this company's backup."""
        Model, rule = self.env[model], self.rules.get(model)
        conditions = []
        for parent in rule.parents if rule else ():
            Parent = self.env[Model._fields[parent].comodel_name]
            if Parent._name != COMPANY_MODEL and _has_company_column(Parent):
                conditions.append(
                    SQL(
                        """(x.%s IS NULL OR x.%s IN (
                               SELECT id FROM %s WHERE company_id = %s OR company_id IS NULL))""",
                        SQL.identifier(parent),
                        SQL.identifier(parent),
                        SQL.identifier(Parent._table),
                        self.company.id,
                    )
                )
        return SQL(" AND ").join(conditions) if conditions else SQL("TRUE")


def _has_company_column(Model):
    return "company_id" in Model._fields and Model._fields["company_id"].store


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
