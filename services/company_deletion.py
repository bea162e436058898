"""Delete a whole company: every row that belongs to it, in one transaction, with set-based SQL.

The purge before a restore (``CompanyPurge``) removes the business data of a
scope. A deletion removes everything of the company, found from the
database's own foreign keys:

1. seeds: the company row, the rows of every model whose ``company_id`` is
   the company, and the records of ``company_ids`` models linked to it alone;
2. round by round, what goes with them: rows of this company or of no
   company that point to them with a cascading key, rows without a company
   column that point to them with any restricting or cascading key (tax
   repartition lines, tracking values...), the documents attached to them by
   ``res_model``/``res_id`` (chatter, files, activities, external ids), what
   they own (mail aliases, ``_inherits`` parents) and full reconciliations;
3. the company's own partner, unless rows that stay still use it;
4. rows that stay (another company's, or shared ones) and point to
   collected rows, found with one query per referencing table (and one per
   indexed column): with a cascading or restricting key they are blockers
   (going on would delete or break them, so the caller refuses and names
   them); with a key that clears the reference, the deletion clears it.

The rows are then deleted without PostgreSQL's row-by-row key checks when
the connection may switch them off (as ``pg_restore --disable-triggers``
does, see restore/foreign_keys.py): each deleted row would otherwise look up
every column that may point to it, and a column without an index is read
whole, in every company, once per deleted row. Step 4 did what those checks
would: the references that stay are cleared, the link rows (many2many)
dropped. The company row goes last, with PostgreSQL's checks: a row of the
company written by another transaction since this one began makes the
deletion fail rather than stay behind.

Users are never collected: the caller moves or archives them first. Records
of no company (shared contacts, products...) stay: they belong to everybody.
"""

from odoo.tools import SQL

from .closure import close, identity_partner
from .company_purge import ORPHANS, CompanyPurge
from .company_users import CompanyUsers
from .restore.context import id_array
from .restore.foreign_keys import ForeignKeyCheck
from .scope_rules import ScopeRule, company_kind, holds_rows
from .sql import table_rows

# Models whose rows a deletion keeps: users are moved or archived; the deletion job is the
# audit trail (its company becomes empty); failed password attempts stay counted.
KEPT_MODELS = frozenset({"res.users", "danger.zone.deletion", "danger.zone.password.failure"})
# Many2one fields whose target belongs to the record that points to it.
OWNED_FIELDS = ("alias_id",)
# References that the deletion itself rewrites first, so they never block it: users' companies
# (moved), the company of users' and companies' partners (follows them), branches (a condition).
HANDLED_REFERENCES = frozenset(
    {("res_users", "company_id"), ("res_partner", "company_id"), ("res_company", "parent_id")}
)
RESTRICTING = ("r", "a")
BLOCKING = ("c", "r", "a")
CLEARING = {"n": SQL("NULL"), "d": SQL("DEFAULT")}
SMALL_PART = 10  # collected rows a tenth of the referencing table or less: looked up by index


def company_rules(env):
    """A ScopeRule per stored model with a company (``own``, whether or not the company may be
    empty: a deletion takes the company's rows) or companies (``companies``)."""
    rules = {}
    for name, Model in env.registry.items():
        if name not in KEPT_MODELS and holds_rows(Model) and (kind := company_kind(Model)):
            rules[name] = ScopeRule(name, "companies" if kind == "companies" else "own")
    return rules


class CompanyDeletion(CompanyPurge):
    def __init__(self, env, company, row_checks=False):
        """``row_checks``: keep PostgreSQL's row-by-row key checks while deleting (the way taken
        anyway when the connection may not switch them off)."""
        super().__init__(env, company, company_rules(env))
        self.partner_id = company.partner_id.id
        self.row_checks = row_checks
        self.small_part = SMALL_PART
        self.blockers = []  # [(referencing model or table, column, referenced model, [ids] or count)]
        self.to_clear = []  # [(referencing table, column, on delete, [ids])]: references that stay
        self.link_keys = []  # [(table of no model, column, referenced model, on delete)]

    def collect(self):
        """Fill danger_zone_purge with every row of the company; return the counts per model.

        Sets ``blockers``: a deletion must not run while there are any.
        """
        self._create_table()
        self._add("res.company", SQL("SELECT %s", self.company_id), 0)
        for model, rule in self.rules.items():
            if rule.company == "own":
                self._add(model, None, 0, where=self._own_rows())
            else:
                self._add(model, self._exclusive_sql(model), 0)
        self._seeded()
        next_round = close(self._follow)
        if self._partner_is_free():
            self._add("res.partner", SQL("SELECT %s", self.partner_id), next_round)
            close(self._follow, next_round + 1)
        self._analyze()  # the plans below depend on how many rows go
        counts = self._counts()
        self._find_staying(counts)
        return counts

    def delete(self, progress=None):
        """Delete what ``collect`` found; return the counts per model.

        ``progress(done, total)`` is called after each table.
        """
        counts = self._counts()
        files = self._attachment_files()
        sequences = self._sequence_names()
        self._delete_wizards()
        self._unlink_shared()
        keys = ForeignKeyCheck(self.cr, enabled=not self.row_checks)
        order = self._delete_order(counts)
        if keys.enabled:  # the company row last, with PostgreSQL's checks (see above)
            order.remove("res.company")
        with keys.deferred():
            self._clear_staying_references()
            self._drop_links()
            for done, model in enumerate(order, 1):
                self._delete_rows(model)
                if progress:
                    progress(done, len(counts))
        if keys.enabled:
            self._delete_rows("res.company")
            if progress:
                progress(len(counts), len(counts))
        for name in sequences:
            self.cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(name)))
        self._drop_company_values()
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        Attachment = self.env["ir.attachment"]
        for file_name in files:  # Odoo's filestore collector keeps the files other attachments use
            Attachment._file_delete(file_name)
        return counts

    def _delete_rows(self, model):
        self.cr.execute(SQL("DELETE FROM %s WHERE id IN (%s)", self._table(model), self._ids(model)))

    # ------------------------------------------------------------------
    # Closure
    # ------------------------------------------------------------------
    def _protected(self, model):
        """Users' partners and other companies' partners are identity: never collected."""
        if model == "res.partner":
            return SQL("NOT %s", identity_partner(SQL("x.id"), except_company_id=self.company_id))
        return SQL("TRUE")

    def _follow(self, round_number):
        """What goes with the rows the previous round added."""
        previous = self._round_models(round_number - 1)
        if not previous:
            return 0
        added = self._add_referencing(previous, round_number)
        added += self._add_documents(round_number)
        added += self._add_owned(previous, round_number)
        for model, (source, column) in ORPHANS.items():
            if source in previous.values() and model in self.env:
                added += self._add_orphans(model, source, column, round_number)
        return added

    def _round_models(self, round_number):
        return {self.env[model]._table: model for model in self.round_models.get(round_number, ())}

    def _collectable(self, table):
        """The model of ``table`` when its rows can be collected, else None."""
        model = self._model_of.get(table)
        if not model or model in KEPT_MODELS or model == "res.company" or self.env[model]._transient:
            return None
        return model

    def _add_referencing(self, previous, round_number):
        """Rows pointing to the previous round's rows that cannot stay without them."""
        added = 0
        for referencing, column, referenced, on_delete, _nullable in self._foreign_keys(previous):
            model = self._collectable(referencing)
            if not model or (on_delete not in BLOCKING and column != self._company_parent(model)):
                continue
            source = previous[referenced]
            condition = self._goes_along(model, on_delete)
            if condition is None or (source == "res.company" and column == "company_id"):
                continue  # nothing new can come this way (the seeds have them)
            ids = SQL(
                "SELECT r.id FROM %s r WHERE r.%s IN (%s) AND %s",
                SQL.identifier(referencing),
                SQL.identifier(column),
                self._ids(source, round_number - 1),
                condition,
            )
            added += self._add(model, ids, round_number)
        return added

    def _company_parent(self, model):
        """The many2one that gives a record without a company column its company, if any.

        ``company_id = fields.Many2one(related="journal_id.company_id")`` makes
        ``journal_id`` the parent: such records go with it, even when the key
        would only clear the reference (they would be left with no company).
        """
        field = self.env[model]._fields.get("company_id")
        if not field or field.store or not field.related:
            return None
        related = field.related.split(".") if isinstance(field.related, str) else field.related
        return related[0] if len(related) == 2 else None

    def _goes_along(self, model, on_delete):
        """Condition on ``r``, a row pointing to a collected one, for it to be collected too.

        A row of another company never is (it blocks instead), nor a row of no
        company that only restricts the deletion: shared records stay. Rows of
        this company are seeds already: None when nothing else can come.
        """
        field = self.env[model]._fields.get("company_id")
        if not (field and field.store and field.comodel_name == "res.company"):
            return SQL("TRUE")
        if on_delete == "c":
            return SQL("r.company_id IS NULL")
        return None

    def _document_fields(self):
        for name, Model in self.env.registry.items():
            if Model._abstract or not Model._auto or Model._transient or name in KEPT_MODELS:
                continue
            for field in Model._fields.values():
                if (
                    field.type == "many2one_reference"
                    and field.store
                    and Model._fields[field.model_field].store
                ):
                    yield name, field

    def _add_documents(self, round_number):
        """Chatter, files, activities, followers and external ids of the previous round's rows."""
        added = 0
        for model, field in self._document_fields():
            added += self._add(model, self._documents_sql(model, field, round_number - 1), round_number)
        return added

    def _add_owned(self, previous, round_number):
        """Mail aliases and ``_inherits`` parents of the previous round's rows."""
        added = 0
        for model in previous.values():
            Model = self.env[model]
            owned = dict(Model._inherits)
            for name in OWNED_FIELDS:
                field = Model._fields.get(name)
                if field and field.store and field.type == "many2one":
                    owned[field.comodel_name] = name
            for target, column in owned.items():
                ids = SQL(
                    "SELECT r.id FROM %s r WHERE r.id IN (SELECT %s FROM %s WHERE id IN (%s)) AND %s",
                    self._table(target),
                    SQL.identifier(column),
                    self._table(model),
                    self._ids(model, round_number - 1),
                    self._goes_along(target, "c"),
                )
                added += self._add(target, ids, round_number)
        return added

    def _partner_is_free(self):
        """Whether the company's partner can go: no row that stays restricts its deletion."""
        if not self.partner_id:
            return False
        self.cr.execute(
            "SELECT 1 FROM danger_zone_purge WHERE model = 'res.partner' AND id = %s", [self.partner_id]
        )
        if self.cr.fetchone():
            return False  # collected already
        for referencing, column, _referenced, on_delete, _nullable in self._foreign_keys(["res_partner"]):
            model = self._model_of.get(referencing)
            if on_delete not in RESTRICTING or (model and self.env[model]._transient):
                continue
            staying = self._not_collected(model) if model else SQL("TRUE")
            self.cr.execute(
                SQL(
                    "SELECT EXISTS (SELECT 1 FROM %s r WHERE r.%s = %s AND %s)",
                    SQL.identifier(referencing),
                    SQL.identifier(column),
                    self.partner_id,
                    staying,
                )
            )
            if self.cr.fetchone()[0]:
                return False
        return True

    # ------------------------------------------------------------------
    # Rows that stay
    # ------------------------------------------------------------------
    def _find_staying(self, counts):
        """Fill ``blockers``, ``to_clear`` and ``link_keys`` from the keys to collected rows and
        the rows that stay and point to them (``counts``: the collected rows per model)."""
        self.blockers, self.to_clear, self.link_keys = [], [], []
        table_model = self._purged_tables()
        keys_of = {}
        for referencing, column, referenced, on_delete, _nullable in self._foreign_keys(table_model):
            model = self._model_of.get(referencing)
            if (model and self.env[model]._transient) or (referencing, column) in HANDLED_REFERENCES:
                continue  # wizards go with the data; the caller rewrites those references
            if referenced == "res_company" and on_delete not in BLOCKING:
                continue  # the company row is deleted with PostgreSQL's checks, which apply these
            keys_of.setdefault(referencing, []).append((column, table_model[referenced], on_delete))
        for table, keys in keys_of.items():
            if table in self._model_of:
                self._find_staying_rows(table, keys, counts)
            else:
                self.link_keys += [(table, *key) for key in keys]
                self._find_staying_links(table, keys)

    def _find_staying_rows(self, table, keys, counts):
        """The rows of a model's ``table`` that stay and point to collected rows.

        An indexed column is looked up from the collected rows when they are few beside the
        table, and so are the table's own collected rows (a small company among others),
        whatever the planner guesses from the values' frequencies in the whole table. The other
        columns are read in one pass of the table: when most of the table goes (a company alone
        in its database), most rows that point to collected ones go too, and the lookups would
        read them all, column after column.
        """
        model = self._model_of[table]
        staying = self._not_collected(model)
        indexed = self._indexed_columns(table)
        rows_in_table = table_rows(self.cr, table)
        found = {}
        for column, target, on_delete in keys:
            going = max(counts.get(target, 0), counts.get(model, 0))
            if column in indexed and going * self.small_part < rows_in_table:
                self.cr.execute(
                    SQL(
                        """SELECT r.id FROM danger_zone_purge p
                            CROSS JOIN LATERAL (SELECT r.id FROM %s r WHERE r.%s = p.id OFFSET 0) r
                            WHERE p.model = %s AND %s ORDER BY r.id""",
                        SQL.identifier(table),
                        SQL.identifier(column),
                        target,
                        staying,
                    )
                )
                found[column, target, on_delete] = [row_id for (row_id,) in self.cr.fetchall()]
        if read := [key for key in keys if key not in found]:
            # joins, not "IN (subquery)" tests: those are hashed only while they fit in work_mem
            joins, hits = [], []
            for position, (column, target, _on_delete) in enumerate(read):
                alias = SQL.identifier(f"p{position}")
                joins.append(
                    SQL(
                        "LEFT JOIN danger_zone_purge %s ON %s.model = %s AND %s.id = r.%s",
                        alias,
                        alias,
                        target,
                        alias,
                        SQL.identifier(column),
                    )
                )
                hits.append(SQL("%s.id IS NOT NULL", alias))
            self.cr.execute(
                SQL(
                    "SELECT r.id, ARRAY[%s] FROM %s r %s WHERE (%s) AND %s ORDER BY r.id",
                    SQL(", ").join(hits),
                    SQL.identifier(table),
                    SQL(" ").join(joins),
                    SQL(" OR ").join(hits),
                    staying,
                )
            )
            rows = self.cr.fetchall()
            for position, key in enumerate(read):
                found[key] = [row_id for row_id, hits in rows if hits[position]]
        for (column, target, on_delete), ids in found.items():
            if ids and on_delete in CLEARING:
                self.to_clear.append((table, column, on_delete, ids))
            elif ids:
                self.blockers.append((model, column, target, ids))

    def _find_staying_links(self, table, keys):
        """Rows of a table of no model (many2many links) that restrict the deletion of collected
        rows and stay: a row goes when a cascading key ties it to a collected row (its owner)."""
        owned = [self._pointing(column, target) for column, target, on_delete in keys if on_delete == "c"]
        staying = SQL(" AND ").join(SQL("NOT %s", test) for test in owned) if owned else SQL("TRUE")
        for column, target, on_delete in keys:
            if on_delete in RESTRICTING:
                self.cr.execute(
                    SQL(
                        "SELECT count(*) FROM %s t WHERE %s AND %s",
                        SQL.identifier(table),
                        self._pointing(column, target),
                        staying,
                    )
                )
                if count := self.cr.fetchone()[0]:
                    self.blockers.append((table, column, target, count))

    def _pointing(self, column, target):
        """Condition: ``t.column`` points to a collected row of model ``target``. EXISTS, which
        PostgreSQL plans as a join, or else looks up by index: ``IN`` a list of ids too long for
        ``work_mem`` would read the list once per row."""
        return SQL(
            "EXISTS (SELECT FROM danger_zone_purge q WHERE q.model = %s AND q.id = t.%s)",
            target,
            SQL.identifier(column),
        )

    def _not_collected(self, model):
        """Condition: ``r``, a row of ``model``, is not collected. An anti-join: ``NOT IN`` a list
        of ids too long for ``work_mem`` reads the list once per row."""
        return SQL("NOT EXISTS (SELECT FROM danger_zone_purge q WHERE q.model = %s AND q.id = r.id)", model)

    def _indexed_columns(self, table):
        """The columns that lead an index of ``table``."""
        self.cr.execute(
            """SELECT a.attname FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                WHERE i.indrelid = %s::regclass""",
            [table],
        )
        return {name for (name,) in self.cr.fetchall()}

    def _clear_staying_references(self):
        """What ``ON DELETE SET NULL``/``SET DEFAULT`` would do to the rows that stay."""
        for table, column, on_delete, ids in self.to_clear:
            self.cr.execute(
                SQL(
                    "UPDATE %s SET %s = %s WHERE id = ANY(%s::int[])",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    CLEARING[on_delete],
                    id_array(ids),
                )
            )

    def _drop_links(self):
        """What the keys of tables of no model (many2many links) would do to their rows that point
        to collected rows: drop or clear them (a restricting key made a blocker)."""
        for table, column, target, on_delete in self.link_keys:
            if target == "res.company" or on_delete in RESTRICTING:
                continue
            pointing = self._pointing(column, target)
            if on_delete == "c":
                self.cr.execute(SQL("DELETE FROM %s t WHERE %s", SQL.identifier(table), pointing))
            else:
                self.cr.execute(
                    SQL(
                        "UPDATE %s t SET %s = %s WHERE %s",
                        SQL.identifier(table),
                        SQL.identifier(column),
                        CLEARING[on_delete],
                        pointing,
                    )
                )

    # ------------------------------------------------------------------
    # Deletion helpers
    # ------------------------------------------------------------------
    def _attachment_files(self):
        self.cr.execute(
            """SELECT DISTINCT store_fname FROM ir_attachment
                WHERE store_fname IS NOT NULL
                  AND id IN (SELECT id FROM danger_zone_purge WHERE model = 'ir.attachment')"""
        )
        return [name for (name,) in self.cr.fetchall()]

    def _sequence_names(self):
        """The PostgreSQL sequences behind the collected ``ir.sequence`` records and date ranges."""
        self.cr.execute("SELECT id FROM danger_zone_purge WHERE model = 'ir.sequence'")
        names = [f"ir_sequence_{sequence_id:03d}" for (sequence_id,) in self.cr.fetchall()]
        if "ir.sequence.date_range" in self.env:
            self.cr.execute(
                """SELECT r.sequence_id, r.id FROM danger_zone_purge p
                     JOIN ir_sequence_date_range r ON r.id = p.id WHERE p.model = 'ir.sequence.date_range'"""
            )
            names += [f"ir_sequence_{seq:03d}_{rng:03d}" for seq, rng in self.cr.fetchall()]
        return names

    def describe_blockers(self):
        """The rows that other companies or everybody keep and that point to this company's data."""
        lines = [self.env._("Records that stay (of other companies, or shared) use this company's data:")]
        for model, column, target, ids in self.blockers:
            if model not in self.env:  # a table of no model
                lines.append(
                    self.env._(
                        "- %(count)s rows of table %(table)s point to %(target)s records with %(field)s",
                        count=ids,
                        table=model,
                        target=self.env[target]._description,
                        field=column,
                    )
                )
                continue
            records = self.env[model].sudo().browse(ids[:5])
            lines.append(
                self.env._(
                    "- %(count)s %(model)s (%(names)s) point to %(target)s records with %(field)s",
                    count=len(ids),
                    model=self.env[model]._description,
                    names=", ".join(str(name) for name in records.mapped("display_name")),
                    target=self.env[target]._description,
                    field=column,
                )
            )
        return "\n".join(lines)


def deletion_preview(company):
    """What deleting ``company`` would remove, and what stops it now; writes nothing."""
    sudo_company = company.sudo()
    savepoint = company.env.cr.savepoint()  # the temporary tables of the dry run go with it
    try:
        deletion = CompanyDeletion(sudo_company.env, sudo_company)
        counts = deletion.collect()
        blockers = company._danger_zone_delete_blockers()
        if deletion.blockers:
            blockers.append(deletion.describe_blockers())
    finally:
        savepoint.close(rollback=True)
    moved, archived = CompanyUsers(company).to_release()
    return {
        "ok": not blockers,
        "blockers": blockers,
        "counts": counts,
        "moved": moved.mapped("login"),
        "archived": archived.mapped("login"),
    }
