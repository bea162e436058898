"""Delete one company's business data with set-based SQL, leaving shared records alone.

What goes: the records whose company is this one, the children that come
with them (``ScopeRule.parents``), the timeline and files attached to them,
the full reconciliations of their journal items, and accounts used by this
company alone. Accounts shared with other companies only lose this company;
records of no company (shared contacts, categories...) stay, as do users,
the company and its partner. Company-dependent values of this company are
removed from the records that stay.

Tables are emptied in an order that respects the foreign keys that forbid
deleting a referenced row (``ON DELETE RESTRICT``/``NO ACTION``).
"""

import heapq
from collections import Counter

from odoo.tools import SQL

from .closure import close, identity_partner
from .scope_rules import document_field
from .sql import disable_jit

# Collected records that belong to the records deleted with them: model -> (owner, column).
ORPHANS = {"account.full.reconcile": ("account.move.line", "full_reconcile_id")}
# Records that belong to any record pointing to them with these columns: model -> columns.
OWNED = {"mail.alias": ("alias_id",), "ir.sequence": ("sequence_id", "sequence_line_id")}


class CompanyPurge:
    def __init__(self, env, company, rules):
        """``rules``: model -> ScopeRule, the business models of the company."""
        self.env = env
        self.cr = env.cr
        self.company_id = company.id
        self.rules = rules
        self._model_of = {Model._table: name for name, Model in env.registry.items() if Model._auto}
        # what danger_zone_purge holds, kept as rows go in and out: reading a table of millions
        # of rows to count them, or to find a round's models, costs a pass over it each time
        self.collected = Counter()  # model -> rows
        self.round_models = {}  # round -> models that rows were added for

    def collect(self):
        """Fill the temporary table danger_zone_purge; return the counts per model."""
        self._create_table()
        for model, rule in self.rules.items():
            if rule.company in ("own", "shared"):
                self._add(model, None, 0, where=self._own_rows())
            elif rule.company == "companies":
                self._add(model, self._exclusive_sql(model), 0)
        self._seeded()
        close(self._follow)
        self._keep_referenced()
        return self._counts()

    def delete(self):
        """Delete what ``collect`` found; return the counts per model."""
        counts = self.collect()
        self._delete_wizards()
        self._unlink_shared()
        for model in self._delete_order(counts):
            self.cr.execute(
                SQL(
                    "DELETE FROM %s WHERE id IN (SELECT id FROM danger_zone_purge WHERE model = %s)",
                    self._table(model),
                    model,
                )
            )
        self._drop_company_values()
        self.env.invalidate_all()
        return counts

    # ------------------------------------------------------------------
    def _create_table(self):
        self.env.flush_all()  # SQL from here on: the database must hold what the ORM holds
        disable_jit(self.cr)
        self.collected.clear()
        self.round_models.clear()
        self.cr.execute("DROP TABLE IF EXISTS danger_zone_purge")
        self.cr.execute(
            """CREATE TEMPORARY TABLE danger_zone_purge (
                   model varchar NOT NULL, id integer NOT NULL, round integer NOT NULL) ON COMMIT DROP"""
        )

    def _seeded(self):
        """Once the seeds are in: index them, and tell the planner how many rows go.

        The seeds are each model's own rows, each added once, so they go in without an index,
        which is built once, sorted, after them: a million journal items inserted into an
        index one by one, each checked for a conflict, cost several times more. The rounds
        that follow add through the index (``ON CONFLICT``). PostgreSQL never analyses a
        temporary table by itself: the company's million journal items would be taken for a
        few dozen, to be looked up one by one."""
        self.cr.execute("ALTER TABLE danger_zone_purge ADD PRIMARY KEY (model, id)")
        self._analyze()

    def _analyze(self):
        self.cr.execute("ANALYZE danger_zone_purge")

    def _counts(self):
        return {model: self.collected[model] for model in sorted(self.collected) if self.collected[model]}

    def _table(self, model):
        return SQL.identifier(self.env[model]._table)

    def _ids(self, model, round_number=None):
        if round_number is None:
            return SQL("SELECT id FROM danger_zone_purge WHERE model = %s", model)
        return SQL("SELECT id FROM danger_zone_purge WHERE model = %s AND round = %s", model, round_number)

    def _add(self, model, ids_sql, round_number, where=None):
        """Add the rows of ``model`` whose ids ``ids_sql`` selects, or that the condition
        ``where`` on its table (alias x) selects: one scan of the table, where a subquery on
        the same table would be a second (a million journal items read twice)."""
        selected = where if where is not None else SQL("x.id IN (%s)", ids_sql)
        self.cr.execute(
            SQL(
                """INSERT INTO danger_zone_purge (model, id, round)
                   SELECT %s, x.id, %s FROM %s x WHERE %s AND %s ON CONFLICT DO NOTHING""",
                model,
                round_number,
                self._table(model),
                selected,
                self._protected(model),
            )
        )
        if added := self.cr.rowcount:
            self.collected[model] += added
            self.round_models.setdefault(round_number, set()).add(model)
        return added

    def _own_rows(self):
        """The condition on a table (alias x) that selects the company's own rows."""
        return SQL("x.company_id = %s", self.company_id)

    def _protected(self, model):
        """Users' partners and companies' partners are identity, never business data."""
        if model == "res.partner":
            return SQL("NOT %s", identity_partner(SQL("x.id")))
        return SQL("TRUE")

    def _exclusive_sql(self, model):
        """Records of a ``companies`` model linked to this company and to no other."""
        field = self.env[model]._fields["company_ids"]
        relation, own, other = (
            SQL.identifier(name) for name in (field.relation, field.column1, field.column2)
        )
        return SQL(
            """SELECT r.%s FROM %s r WHERE r.%s = %s
                AND NOT EXISTS (SELECT 1 FROM %s o WHERE o.%s = r.%s AND o.%s != %s)""",
            own,
            relation,
            other,
            self.company_id,
            relation,
            own,
            own,
            other,
            self.company_id,
        )

    def _follow(self, round_number):
        """Children and documents of the previous round's records."""
        added = 0
        for model, rule in self.rules.items():
            Model = self.env[model]
            for parent in rule.parents:
                source = Model._fields[parent].comodel_name
                ids = SQL(
                    "SELECT id FROM %s WHERE %s IN (%s)",
                    self._table(model),
                    SQL.identifier(parent),
                    self._ids(source, round_number - 1),
                )
                added += self._add(model, ids, round_number)
            if rule.document:
                res_id = document_field(Model)
                added += self._add(model, self._documents_sql(model, res_id, round_number - 1), round_number)
        for model, (source, column) in ORPHANS.items():
            if model in self.rules and source in self.rules:
                added += self._add_orphans(model, source, column, round_number)
        for model, columns in OWNED.items():
            for column in columns:
                for source in self._owners(model, column):
                    added += self._add_orphans(model, source, column, round_number)
        return added

    def _owners(self, model, column):
        """The business models whose ``column`` points to their own record of ``model``."""
        if model not in self.rules:
            return []
        return [
            source
            for source in self.rules
            if (field := self.env[source]._fields.get(column))
            and field.store
            and field.type == "many2one"
            and field.comodel_name == model
        ]

    def _documents_sql(self, model, res_id, round_number):
        """Ids of the records of ``model`` attached by ``res_id`` to rows collected in that round."""
        return SQL(
            """SELECT x.id FROM %s x JOIN danger_zone_purge p
                   ON p.model = x.%s AND p.id = x.%s AND p.round = %s""",
            self._table(model),
            SQL.identifier(res_id.model_field),
            SQL.identifier(res_id.name),
            round_number,
        )

    def _add_orphans(self, model, source, column, round_number):
        """Records of ``model`` that the previous round's ``source`` rows point to with ``column``."""
        ids = SQL(
            "SELECT %s FROM %s WHERE id IN (%s)",
            SQL.identifier(column),
            self._table(source),
            self._ids(source, round_number - 1),
        )
        return self._add(model, ids, round_number)

    def _foreign_keys(self, referenced_tables):
        """(referencing table, column, referenced table, on delete, nullable) of the keys to these tables."""
        self.cr.execute(
            """SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, c.confdeltype,
                      NOT a.attnotnull
                 FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY(%s)""",
            [list(referenced_tables)],
        )
        return self.cr.fetchall()

    def _purged_tables(self):
        return {self.env[model]._table: model for model in self._counts()}

    def _link_owners(self, keys, table_model):
        """Link tables (many2many) -> [(column, model)]: the purged rows that take a link row with them."""
        owners = {}
        for referencing, column, referenced, on_delete, _nullable in keys:
            if on_delete == "c" and referencing not in self._model_of:
                owners.setdefault(referencing, []).append((column, table_model[referenced]))
        return owners

    def _keep_referenced(self):
        """Keep what rows that stay still need: a restricting reference from a row that stays
        (the company's own settings, another company's records) takes the record off the list."""
        table_model = self._purged_tables()
        keys = self._foreign_keys(table_model)
        owners = self._link_owners(keys, table_model)
        restricting = [key for key in keys if key[3] in ("r", "a")]
        while True:
            kept = 0
            for referencing, column, referenced, _on_delete, _nullable in restricting:
                self.cr.execute(
                    SQL(
                        """DELETE FROM danger_zone_purge p WHERE p.model = %s
                            AND EXISTS (SELECT 1 FROM %s r WHERE r.%s = p.id AND %s)""",
                        table_model[referenced],
                        SQL.identifier(referencing),
                        SQL.identifier(column),
                        self._staying(referencing, owners),
                    )
                )
                kept += self.cr.rowcount
                self.collected[table_model[referenced]] -= self.cr.rowcount
            if not kept:
                return

    def _staying(self, table, owners):
        """Condition on ``r``, a row of ``table``, that stays after the purge."""
        if model := self._model_of.get(table):
            if self.env[model]._transient:  # wizards referring to the data go with it
                return SQL("FALSE")
            return SQL("r.id NOT IN (%s)", self._ids(model))
        conditions = [
            SQL("r.%s NOT IN (%s)", SQL.identifier(column), self._ids(model))
            for column, model in owners.get(table, [])
        ]
        return SQL(" AND ").join(conditions) if conditions else SQL("TRUE")

    def _delete_wizards(self):
        """Rows of transient models (wizards) that refer to the records about to go."""
        table_model = self._purged_tables()
        for referencing, column, referenced, _on_delete, _nullable in self._foreign_keys(table_model):
            model = self._model_of.get(referencing)
            if model and self.env[model]._transient:
                self.cr.execute(
                    SQL(
                        "DELETE FROM %s WHERE %s IN (%s)",
                        SQL.identifier(referencing),
                        SQL.identifier(column),
                        self._ids(table_model[referenced]),
                    )
                )

    def _unlink_shared(self):
        """Records shared with other companies lose this company only."""
        for model, rule in self.rules.items():
            if rule.company == "companies":
                field = self.env[model]._fields["company_ids"]
                self.cr.execute(
                    SQL(
                        "DELETE FROM %s WHERE %s = %s AND %s NOT IN (%s)",
                        SQL.identifier(field.relation),
                        SQL.identifier(field.column2),
                        self.company_id,
                        SQL.identifier(field.column1),
                        self._ids(model),
                    )
                )

    def _drop_company_values(self):
        """Company-dependent values of this company, on every record that stays."""
        key = str(self.company_id)
        for Model in self.env.registry.values():
            if Model._abstract or not Model._auto:
                continue
            for field in Model._fields.values():
                if field.company_dependent and field.store:
                    self.cr.execute(
                        SQL(
                            "UPDATE %s SET %s = %s - %s WHERE %s ? %s",
                            SQL.identifier(Model._table),
                            SQL.identifier(field.name),
                            SQL.identifier(field.name),
                            key,
                            SQL.identifier(field.name),
                            key,
                        )
                    )

    def _delete_order(self, counts):
        """Models ordered so that no row is deleted while a restricting reference to it remains.

        Referencing rows go first, cascading ones included: a cascade would
        otherwise delete rows that restricting references still point to.
        Link tables count as their owner: its rows take the links with them.
        """
        models = [model for model, count in counts.items() if count]
        table_model = {self.env[model]._table: model for model in models}
        keys = self._foreign_keys(table_model)
        owners = self._link_owners(keys, table_model)
        edges = []  # (model emptied first, model emptied after, column, nullable)
        for referencing, column, referenced, on_delete, nullable in keys:
            if on_delete not in ("r", "a", "c"):
                continue
            target = table_model[referenced]
            sources = [table_model[referencing]] if referencing in table_model else []
            if referencing in owners and on_delete != "c":
                sources = [model for _column, model in owners[referencing]]
                nullable = False
            for source in sources:
                if source == target:
                    if nullable:  # a self reference: clear it, then one DELETE takes all rows
                        self._null(source, column)
                    continue
                edges.append((source, target, column, nullable))
        while True:
            order, stuck = _topological(models, edges)
            if not stuck:
                return order
            breakable = [edge for edge in edges if edge[3] and edge[0] in stuck and edge[1] in stuck]
            if not breakable:
                raise ValueError(
                    "the company's data cannot be deleted: references form a cycle between "
                    + ", ".join(sorted(stuck))
                )
            for edge in breakable:  # clear the nullable references inside the cycle
                self._null(edge[0], edge[2])
            edges = [edge for edge in edges if edge not in breakable]

    def _null(self, model, column):
        self.cr.execute(
            SQL(
                "UPDATE %s SET %s = NULL WHERE id IN (%s) AND %s IS NOT NULL",
                self._table(model),
                SQL.identifier(column),
                self._ids(model),
                SQL.identifier(column),
            )
        )


def _topological(models, edges):
    """Order ``models`` so that each edge's first model comes before its second.

    Returns (order, stuck): ``stuck`` holds the models left in cycles.
    """
    waiting = {model: set() for model in models}
    for first, second, _column, _nullable in edges:
        waiting[second].add(first)
    ready = [model for model, firsts in waiting.items() if not firsts]
    heapq.heapify(ready)
    order = []
    while ready:
        model = heapq.heappop(ready)
        order.append(model)
        for other, firsts in waiting.items():
            if model in firsts:
                firsts.discard(model)
                if not firsts:
                    heapq.heappush(ready, other)
    return order, {model for model, firsts in waiting.items() if firsts}
