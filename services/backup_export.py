"""Stream one company's scope into a backup file, straight from SQL.

PostgreSQL renders each value as a JSON token (numbers as they are, text
through ``to_json``...) and ``COPY ... TO STDOUT`` separates them with commas,
so that each row is the JSON array of its record (``engine/copy_json.py``).
The lines arrive in chunks, so no model is ever held in memory and the ORM is
not involved. References are checked on the way out: a reference to anything
outside the backup is written as null. A large member is rendered in two
halves on two connections (``snapshot_reader.py``).
"""

import io

from odoo.tools import SQL

from ..engine import member_name
from ..engine.copy_json import COPY_OPTIONS, json_lines
from .scope_rules import COMPANY_MODEL

CHUNK_BYTES = 1 << 20  # COPY rows are handed to Python a megabyte at a time
SPLIT_ROWS = 50_000  # a member with more records is rendered half by a second reader, if any

# Sequences whose next number lives in a PostgreSQL sequence (see _next_number).
SEQUENCE_MODELS = ("ir.sequence", "ir.sequence.date_range")

# Fields that a backup never carries, whatever their model.
EXCLUDED_FIELDS = {
    "ir.attachment": {"store_fname", "db_datas", "url", "access_token", "index_content"},
}


def describe_field(field, key_relation=None):
    """Manifest description of an Odoo field."""
    description = {"type": field.type}
    if field.type in ("many2one", "many2many", "one2many"):
        description["relation"] = field.comodel_name
    if field.type == "many2one_reference":
        description["model_field"] = field.model_field
    if key_relation:
        description["key_relation"] = key_relation
    for attribute in ("required", "translate", "company_dependent"):
        if getattr(field, attribute, False):
            description[attribute] = True
    if field._module:  # a database that lacks the field is told which module adds it
        description["module"] = field._module
    return description


class _RowsToSink(io.RawIOBase):
    """What COPY writes to, behind a buffer: whole lines go to the member sink as JSON Lines."""

    def __init__(self, sink, model):
        self.sink, self.model, self.rest = sink, model, b""

    def writable(self):
        return True

    def write(self, chunk):  # pylint: disable=method-required-super
        data = self.rest + bytes(chunk)
        end = data.rfind(b"\n") + 1
        self.rest = data[end:]
        if end:
            self.sink.add_lines(json_lines(data[:end], self.model), count_lines=False)
        return len(chunk)


def copy_rows(cr, copy_sql, sink, model):
    """Run ``copy_sql`` (COPY of a ``_select_sql`` query TO STDOUT) into ``sink`` as JSON Lines;
    return how many rows COPY sent (the sink does not count them).

    psycopg2 hands COPY's rows over one by one: a buffer in C gathers them so
    that Python turns them into JSON Lines a megabyte at a time.
    """
    rows = _RowsToSink(sink, model)
    with io.BufferedWriter(rows, CHUNK_BYTES) as buffer:
        cr.copy_expert(copy_sql, buffer)
    if rows.rest:
        raise ValueError(f"{model}: COPY ended in the middle of a line")
    return cr.rowcount


class BackupExport:
    """Writes the data and keys members of a CompanyScope to an archive writer.

    ``second_reader`` (a SnapshotReader on the same snapshot) renders the upper
    half of each member of more than ``split_rows`` records on the other core.
    """

    def __init__(self, scope, writer, progress=None, second_reader=None, split_rows=SPLIT_ROWS):
        self.scope = scope
        self.env = scope.env
        self.cr = scope.cr
        self.writer = writer
        self.progress = progress or (lambda done, total: None)
        self.second_reader = second_reader
        self.split_rows = split_rows
        self._selects = {}  # (model, kind) -> select list and joins of its query
        self._middles = {}  # (model, kind) -> id where it is cut in two

    def write_members(self):
        """Write every member; return their manifest entries.

        The members cut in two are written first, largest first, so that the
        reading back of the largest overlaps the writing of the others; the
        entries keep the order of the scope's models.
        """
        members = [(model, "data") for model in self.scope.data_models()]
        members += [(model, "keys") for model in self.scope.key_models() if self.scope.count(model, "keys")]
        large = sorted(
            (member for member in members if self._middle_id(*member)), key=lambda m: -self.scope.count(*m)
        )
        upper_halves = self._submit_upper_halves(large)
        entries = {}
        for done, member in enumerate(large + [member for member in members if member not in large]):
            self.progress(done, len(members))
            entries[member] = self._write_member(*member, upper_halves.get(member))
        return [entries[member] for member in members]

    def _submit_upper_halves(self, members):
        """Queue the upper half of each large member on the second reader, in writing order."""
        upper_halves = {}
        if members:
            self.second_reader.share_scope(self.scope)
        for model, kind in members:
            middle = self._middle_id(model, kind)
            part = self.second_reader.submit(self._copy_sql(model, kind, SQL("t.id >= %s", middle)), model)
            upper_halves[model, kind] = (part, SQL("t.id < %s", middle))
        return upper_halves

    def write_files(self, attachment_member):
        """Write the content of every exported attachment once, by checksum."""
        if not attachment_member:
            return []
        self.cr.execute(
            SQL(
                """SELECT DISTINCT ON (checksum) checksum, store_fname, db_datas IS NOT NULL
                     FROM ir_attachment WHERE id IN (%s) AND checksum IS NOT NULL ORDER BY checksum""",
                self.scope.ids_sql("ir.attachment", "data"),
            )
        )
        files = []
        Attachment = self.env["ir.attachment"].sudo()
        for checksum, store_fname, in_database in self.cr.fetchall():
            content = self._attachment_content(Attachment, checksum, store_fname, in_database)
            self.writer.add_file(checksum, [content])
            files.append({"sha1": checksum, "bytes": len(content)})
        return files

    def _attachment_content(self, Attachment, checksum, store_fname, in_database):
        if in_database:
            self.cr.execute("SELECT db_datas FROM ir_attachment WHERE checksum = %s LIMIT 1", [checksum])
            return bytes(self.cr.fetchone()[0])
        return Attachment._file_read(store_fname)

    # ------------------------------------------------------------------
    def _fields(self, model, kind):
        if kind == "keys":
            return self.scope.key_fields(model)
        excluded = EXCLUDED_FIELDS.get(model, set())
        return {name: field for name, field in self.scope.data_fields(model).items() if name not in excluded}

    def _write_member(self, model, kind, upper_half=None):
        """Write one member (its lower half, then ``upper_half``'s spool, when cut); return its entry."""
        fields = self._fields(model, kind)
        name = member_name(kind, model)
        with self.writer.member(name) as sink:
            part, lower = upper_half or (None, None)
            records = copy_rows(self.cr, self._copy_sql(model, kind, lower), sink, model)
            for chunk in part.chunks() if part else ():
                sink.add_lines(chunk, count_lines=False)
            sink.records_added(records + (part.records if part else 0))
        described = {
            field_name: describe_field(field, self.scope.json_key_relation(field))
            for field_name, field in fields.items()
        }
        if model == COMPANY_MODEL:
            described["id"] = {"type": "integer"}
        entry = {"name": name, "model": model, "kind": kind, **sink.summary()}
        if module := self.env[model]._original_module:
            entry["module"] = module
        if kind == "keys" and (modules := self._key_modules(model)):
            entry["modules"] = modules
        return dict(entry, columns=list(fields), fields=described)

    def _key_modules(self, model):
        """backup id -> module, of the natural keys that a module installs (their external id):
        a database that lacks one is told which module provides it."""
        self.cr.execute(
            SQL(
                """SELECT d.res_id, min(d.module) FROM ir_model_data d
                    WHERE d.model = %s AND d.res_id IN (%s) AND d.module NOT LIKE %s
                    GROUP BY d.res_id""",
                model,
                self.scope.ids_sql(model, "keys"),
                "\\_\\_%",
            )
        )
        return {str(res_id): module for res_id, module in self.cr.fetchall()}

    def _middle_id(self, model, kind):
        """The id where a large member is cut in two for the second reader, or None."""
        if not self.second_reader or self.scope.count(model, kind) <= self.split_rows:
            return None
        if (model, kind) not in self._middles:
            table = SQL.identifier(self.env[model]._table)
            where = self.scope.where_sql(model, kind)
            self.cr.execute(SQL("SELECT (min(t.id) + max(t.id)) / 2 + 1 FROM %s t WHERE %s", table, where))
            self._middles[model, kind] = self.cr.fetchone()[0]
        return self._middles[model, kind]

    def _copy_sql(self, model, kind, condition=None):
        """COPY of the member's records (those of ``condition`` on alias ``t``, to cut it) TO STDOUT."""
        if (model, kind) not in self._selects:
            self._selects[model, kind] = self._select_sql(model, kind, self._fields(model, kind))
        tokens, joins = self._selects[model, kind]
        query = SQL(
            "SELECT %s FROM %s t %s WHERE %s AND %s ORDER BY t.id",
            tokens,
            SQL.identifier(self.env[model]._table),
            joins,
            self.scope.where_sql(model, kind),
            condition or SQL("TRUE"),
        )
        copy = SQL("COPY (%s) TO STDOUT WITH (%s)", query, SQL(COPY_OPTIONS))
        return self.cr.mogrify(copy.code, copy.params).decode()

    def _select_sql(self, model, kind, fields):
        """The select list and joins giving each row as the values of a JSON array: ``[``
        before the first value and ``]`` after the last."""
        tokens, joins = [], []
        for field in fields.values():
            value, join = self._column(model, kind, field, len(joins))
            tokens.append(self._json_token(field, value))
            if join:
                joins.append(join)
        tokens[0] = SQL("'[' || %s", tokens[0])  # the id: never null
        tokens[-1] = SQL("COALESCE((%s)::text, 'null') || ']'", tokens[-1])
        return SQL(", ").join(tokens), SQL(" ").join(joins)

    @staticmethod
    def _json_token(field, value):
        """SQL giving the JSON text of a field's value; SQL NULL stands for null."""
        if field.type == "many2many":
            return SQL("array_to_json(%s)", value)
        if field.name == "id" or field.type in ("many2one", "many2one_reference"):
            return value
        if field.column_type and field.column_type[0] == "jsonb":
            return value  # as stored: translations, distributions, company-dependent values
        if field.type == "boolean":
            return SQL("(%s)::text", value)
        if field.type in ("integer", "float", "monetary"):
            return value  # as PostgreSQL prints them; NaN and infinities are refused on arrival
        return SQL("to_json(%s)", value)  # text, selection, date, datetime: quoted and escaped

    def _column(self, model, kind, field, join_number):
        """SQL of one field's value, and a join it needs (or None)."""
        column = SQL.identifier("t", field.name)
        if field.name == "id":
            return column, None
        if field.type == "many2one":
            value = self.scope.column_sql(column, field)
            if not self.scope.may_name_outside(model, kind, field):
                return value, None
            rows = self.scope.count(model, kind)
            test = self.scope.membership_sql(value, field.comodel_name, rows)
            return SQL("CASE WHEN %s THEN %s END", test, value), None
        if field.type == "many2many":
            return self._many2many(field, join_number)
        if field.type == "many2one_reference":
            return self._many2one_reference(column, field, self.scope.count(model, kind)), None
        if model == "mail.tracking.value" and field.name in ("old_value_integer", "new_value_integer"):
            return self._tracked_integer(column), None
        if model in SEQUENCE_MODELS and field.name == "number_next":
            return self._next_number(model), None
        if field.type == "one2many":  # natural keys: a partner's users
            comodel = self.env[field.comodel_name]
            return SQL(
                "ARRAY(SELECT c.id FROM %s c WHERE c.%s = t.id AND c.id IN (%s) ORDER BY c.id)",
                SQL.identifier(comodel._table),
                SQL.identifier(field.inverse_name),
                self.scope.ids_sql(field.comodel_name),
            ), None
        if key_relation := self.scope.json_key_relation(field):
            if self._distribution_is_clean(model, field, key_relation):
                return column, None
            return self._distribution(column, key_relation), None
        if field.company_dependent:
            return self.scope.company_value_json(column, field), None
        return column, None

    def _many2one_reference(self, column, field, rows):
        """``res_id`` kept only when it names a data record of the backup of the model named
        beside it: documents attach to the records a restore writes, never to keys or the
        company itself (docs/backup-format.md)."""
        model_column = SQL.identifier("t", field.model_field)
        branches = [
            SQL(
                "WHEN %s THEN CASE WHEN %s THEN %s END",
                model,
                self.scope.membership_sql(column, model, rows, kind="data"),
                column,
            )
            for model in self.scope.data_models()
            if model != COMPANY_MODEL
        ]
        return SQL("CASE %s %s END", model_column, SQL(" ").join(branches))

    @staticmethod
    def _next_number(model):
        """A sequence's next number: a standard one keeps it in a PostgreSQL sequence of its own
        (``ir_sequence_001``, ``ir_sequence_001_002`` for a date range), its column only
        where it started (Odoo's ``_get_number_next_actual``)."""
        if model == "ir.sequence":
            implementation = SQL("t.implementation")
            name = SQL("'ir_sequence_' || %s", _padded(SQL("t.id")))
        else:
            implementation = SQL("(SELECT p.implementation FROM ir_sequence p WHERE p.id = t.sequence_id)")
            name = SQL(
                "'ir_sequence_' || %s || '_' || %s", _padded(SQL("t.sequence_id")), _padded(SQL("t.id"))
            )
        return SQL(
            """CASE WHEN %s = 'standard' THEN COALESCE(
                   (SELECT s.last_value + s.increment_by FROM pg_sequences s
                     WHERE s.schemaname = current_schema() AND s.sequencename = %s), t.number_next)
               ELSE t.number_next END""",
            implementation,
            name,
        )

    @staticmethod
    def _tracked_integer(column):
        """A tracked relational field keeps its display name only: its integer value is an id."""
        return SQL(
            """CASE WHEN (SELECT f.ttype FROM ir_model_fields f WHERE f.id = t.field_id)
                         IN ('many2one', 'many2many', 'one2many') THEN NULL ELSE %s END""",
            column,
        )

    def _many2many(self, field, join_number):
        alias = SQL.identifier(f"m2m_{join_number}")
        join = SQL(
            """LEFT JOIN (SELECT rel.%s AS owner_id, array_agg(rel.%s ORDER BY rel.%s) AS ids
                            FROM %s rel WHERE rel.%s IN (%s) GROUP BY rel.%s) %s ON %s.owner_id = t.id""",
            SQL.identifier(field.column1),
            SQL.identifier(field.column2),
            SQL.identifier(field.column2),
            SQL.identifier(field.relation),
            SQL.identifier(field.column2),
            self.scope.ids_sql(field.comodel_name),
            SQL.identifier(field.column1),
            alias,
            alias,
        )
        return SQL("COALESCE(%s.ids, ARRAY[]::int[])", alias), join

    def _distribution_is_clean(self, model, field, key_relation):
        """Whether every key of the model's distributions names accounts of the backup."""
        accounts = list(self.scope.distribution_accounts(model, field))
        self.cr.execute(
            SQL(
                "SELECT count(*) FROM (%s) AS ids(id) WHERE id = ANY(%s)",
                self.scope.ids_sql(key_relation),
                accounts,
            )
        )
        return self.cr.fetchone()[0] == len(accounts)

    def _distribution(self, column, key_relation):
        """An analytic distribution, keeping only the keys whose accounts are all in the backup."""
        return SQL(
            """CASE WHEN jsonb_typeof(%s) = 'object' THEN (
                 SELECT coalesce(jsonb_object_agg(d.key, d.value), '{}'::jsonb) FROM jsonb_each(%s) d
                  WHERE NOT EXISTS (SELECT 1 FROM unnest(string_to_array(d.key, ',')) a
                                     WHERE a::int NOT IN (%s))) END""",
            column,
            column,
            self.scope.ids_sql(key_relation),
        )


def _padded(number):
    """SQL of Python's ``"%03d" % number``: lpad would cut longer numbers."""
    return SQL("right('00' || %s, greatest(3, length(%s::text)))", number, number)
