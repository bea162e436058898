"""What PostgreSQL checks as the rows are written, checked before anything is: each table's CHECK
constraints, and its unique indexes among the file's own records.

The constraints are read from the catalog, whatever model they belong to. Their columns' values
are copied, as the file gives them, into a temporary table; then each constraint's own expression
is evaluated there. A reference keeps what a constraint can see of it once remapped: whether it is
empty, and which records share it.
"""

import dataclasses
import io

from odoo.tools import SQL

from ...engine.rows import NULL, copy_text
from ..sql import copy_from_stdin

CHECKED_ROWS = "dz_constraint_rows"  # the temporary table, one model at a time
FILE_ID = "dz_file_id"  # its column of the record's id in the file (any size)
SHOWN = 10  # records named per broken constraint
_NUMBERS = {int, float, type(None)}
ROWS_PER_INSERT = 10_000  # values sent to the temporary table at a time


@dataclasses.dataclass(frozen=True)
class Constraint:
    name: str
    columns: tuple  # the table columns the constraint reads
    check: str = ""  # a CHECK constraint's expression
    keys: tuple = ()  # a unique index's key expressions
    where: str = ""  # a partial unique index's predicate
    nulls_distinct: bool = True


def column_types(cr, table):
    """{column: its SQL type} of ``table``."""
    cr.execute(
        """SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped""",
        [table],
    )
    return dict(cr.fetchall())


def not_null_columns(cr, table):
    cr.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND attnotnull",
        [table],
    )
    return {name for (name,) in cr.fetchall()}


def columns_needed_at_insert(cr, table):
    """The columns a row must have from its first write: NOT NULL, or named by a CHECK constraint
    (a row written with NULL there, to be set afterwards, may break it)."""
    cr.execute(
        """SELECT attname FROM pg_attribute a
            WHERE attrelid = %(table)s::regclass AND attnum > 0
              AND (attnotnull OR EXISTS (SELECT 1 FROM pg_constraint c
                                          WHERE c.conrelid = a.attrelid AND c.contype = 'c'
                                            AND a.attnum = ANY(c.conkey)))""",
        {"table": table},
    )
    return {name for (name,) in cr.fetchall()}


def table_constraints(cr, table):
    """The CHECK constraints and unique indexes (the primary key aside) of ``table``."""
    cr.execute(
        """SELECT c.conname, pg_get_expr(c.conbin, c.conrelid),
                  ARRAY(SELECT attname FROM pg_attribute
                         WHERE attrelid = c.conrelid AND attnum = ANY(c.conkey))
             FROM pg_constraint c
            WHERE c.conrelid = %s::regclass AND c.contype = 'c'
            ORDER BY c.conname""",
        [table],
    )
    constraints = [Constraint(name, tuple(columns), check=check) for name, check, columns in cr.fetchall()]
    cr.execute(
        """SELECT index.relname,
                  ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
                          FROM generate_series(1, i.indnkeyatts) k),
                  pg_get_expr(i.indpred, i.indrelid), NOT i.indnullsnotdistinct,
                  ARRAY(SELECT a.attname FROM pg_attribute a  -- key columns, and those of expressions
                         WHERE a.attrelid = i.indrelid AND a.attnum > 0 AND (a.attnum = ANY(i.indkey)
                            OR a.attnum IN (SELECT refobjsubid FROM pg_depend
                                             WHERE classid = 'pg_class'::regclass AND objid = i.indexrelid
                                               AND refobjid = i.indrelid)))
             FROM pg_index i JOIN pg_class index ON index.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass AND i.indisunique AND NOT i.indisprimary
            ORDER BY index.relname""",
        [table],
    )
    constraints += [
        Constraint(name, tuple(columns), keys=tuple(keys), where=where or "", nulls_distinct=distinct)
        for name, keys, where, distinct, columns in cr.fetchall()
    ]
    return constraints


class ConstraintRows:
    """The values one model's records of the file give the columns its constraints read, in a
    temporary table; ``broken()`` evaluates the constraints there."""

    def __init__(self, cr, Model, member, constants, unchecked_columns=()):
        """``constants``: the values the writer gives every row; ``unchecked_columns``: columns
        whose values the writer may change (unique names it numbers, links it empties)."""
        self.cr, self.Model = cr, Model
        fields = member["fields"]
        types = column_types(cr, Model._table)
        self.constraints = [
            constraint
            for constraint in table_constraints(cr, Model._table)
            if all(column in types and types[column] != "jsonb" for column in constraint.columns)
            and not (constraint.keys and set(constraint.columns) & set(unchecked_columns))
        ]
        read = sorted({column for constraint in self.constraints for column in constraint.columns})
        self.sources = [column for column in read if column in fields]  # read from each record
        self.fixed = {column: constants.get(column) for column in read if column not in fields}
        self.types = [self._type(column, types) for column in [FILE_ID, *self.sources, *self.fixed]]
        self.pending = [[] for _type in self.types]  # a list of values per column
        if self.constraints:
            self._create()

    def _type(self, column, types):
        """The column's SQL type here; ids and references as numbers (file ids have any size)."""
        field = self.Model._fields.get(column)
        if column in (FILE_ID, "id") or (field and field.type in ("many2one", "many2one_reference")):
            return "numeric"
        return types[column]

    def _create(self):
        columns = [FILE_ID, *self.sources, *self.fixed]
        definitions = [
            SQL("%s %s", SQL.identifier(column), SQL(kind))
            for column, kind in zip(columns, self.types, strict=True)
        ]
        self.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier("pg_temp", CHECKED_ROWS)))
        self.cr.execute(
            SQL("CREATE TEMPORARY TABLE %s (%s)", SQL.identifier(CHECKED_ROWS), SQL(", ").join(definitions))
        )

    def add_columns(self, columns, count):
        """A batch of checked records, as ``{field: values}``."""
        if not self.constraints:
            return
        values = [columns["id"], *(columns[name] for name in self.sources)]
        values += [(value,) * count for value in self.fixed.values()]
        for pending, column in zip(self.pending, values, strict=True):
            pending.extend(column)
        if len(self.pending[0]) >= ROWS_PER_INSERT:
            self._insert()

    def add_record(self, record):
        if not self.constraints:
            return
        values = [record["id"], *(record.get(name) for name in self.sources), *self.fixed.values()]
        for pending, value in zip(self.pending, values, strict=True):
            pending.append(value)

    def broken(self, limit=SHOWN):
        """[(constraint, file ids)] of the constraints the records break, at most ``limit`` ids
        each (None: all); the table is dropped."""
        if not self.constraints:
            return []
        self._insert()
        found = []
        for constraint in self.constraints:
            query = self._unique_query(constraint) if constraint.keys else self._check_query(constraint)
            self.cr.execute(SQL("%s LIMIT %s", query, limit))
            if ids := [int(file_id) for (file_id,) in self.cr.fetchall()]:
                found.append((constraint, ids))
        self.cr.execute(SQL("DROP TABLE %s", SQL.identifier("pg_temp", CHECKED_ROWS)))
        return found

    def _insert(self):
        """COPY the pending values, built a column at a time (the journal items' columns of their
        CHECK constraints are millions of cells)."""
        if not self.pending[0]:
            return
        columns = [_cells(values) for values in self.pending]
        lines = "".join("\t".join(row) + "\n" for row in zip(*columns, strict=True))
        statement = copy_from_stdin(CHECKED_ROWS, [FILE_ID, *self.sources, *self.fixed])
        self.cr.copy_expert(statement, io.StringIO(lines), size=1 << 20)
        self.pending = [[] for _type in self.types]

    def _check_query(self, constraint):
        return SQL(
            "SELECT %s FROM %s WHERE NOT (%s) ORDER BY 1",
            SQL.identifier(FILE_ID),
            SQL.identifier(CHECKED_ROWS),
            _expression(constraint.check),
        )

    def _unique_query(self, constraint):
        """The records after the first of each group that shares the index's keys."""
        conditions = [_expression(constraint.where)] if constraint.where else []
        if constraint.nulls_distinct:
            conditions += [SQL("(%s) IS NOT NULL", _expression(key)) for key in constraint.keys]
        keys = SQL(", ").join(map(_expression, constraint.keys))
        return SQL(
            """SELECT file_id FROM (
                   SELECT %s AS file_id, row_number() OVER (PARTITION BY %s ORDER BY %s) AS rank
                     FROM %s WHERE %s) ranked
                WHERE rank > 1 ORDER BY 1""",
            SQL.identifier(FILE_ID),
            keys,
            SQL.identifier(FILE_ID),
            SQL.identifier(CHECKED_ROWS),
            SQL(" AND ").join(conditions) if conditions else SQL("TRUE"),
        )


def _expression(text):
    """SQL of an expression the catalog gave (a LIKE pattern's % escaped for the parameters)."""
    return SQL(text.replace("%", "%%"))


def _cells(values):
    """COPY cells of a column's values (plain values: the file was checked)."""
    kinds = set(map(type, values))
    if kinds <= _NUMBERS:  # most cells: amounts and references
        return [NULL if value is None else str(value) for value in values]
    return [
        NULL if value is None else "t" if value is True else "f" if value is False else copy_text(value)
        for value in values
    ]
