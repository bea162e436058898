"""Small SQL helpers that several services use."""

import io
import itertools
from array import array

from odoo.tools import SQL


def disable_jit(cr):
    """Switch PostgreSQL's JIT off for this transaction: compiling the wide queries of a
    backup or a restore costs seconds and saves nothing."""
    cr.execute("SET LOCAL jit = off")


def table_rows(cr, table):
    """About how many rows ``table`` holds (PostgreSQL's estimate; 0 before any)."""
    cr.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
    return max(cr.fetchone()[0], 0)


def next_ids(cr, sequence, count):
    """``count`` new ids from ``sequence`` (ascending, packed), in one query that answers the
    runs of consecutive ids they make (one, unless other transactions took ids meanwhile)
    rather than ``count`` rows: a million rows cost Python some 80 MB."""
    cr.execute(
        """SELECT min(id), max(id)
             FROM (SELECT id, id - row_number() OVER (ORDER BY id) AS run
                     FROM (SELECT nextval(%s) AS id FROM generate_series(1, %s)) AS taken) AS numbered
            GROUP BY run
            ORDER BY 1""",
        [sequence, count],
    )
    ids = array("q")
    for first, last in cr.fetchall():
        ids.extend(range(first, last + 1))
    return ids


def copy_from_stdin(table, columns):
    """The statement (text, for ``copy_expert``) that copies ``columns`` of ``table`` from
    standard input, names quoted.

    >>> copy_from_stdin("res_partner", ["id", "name"])
    'COPY "res_partner" ("id", "name") FROM STDIN'
    """
    statement = SQL(
        "COPY %s (%s) FROM STDIN",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(column) for column in columns),
    )
    return statement.code


class LineStream(io.TextIOBase):
    """A file whose ``read`` takes text from an iterator of lines, for ``COPY ... FROM STDIN``."""

    def __init__(self, lines):
        super().__init__()
        self._lines = lines
        self._rest = ""

    def readable(self):
        return True

    # a file's read, which psycopg2 calls, not the ORM's
    def read(self, size=-1):  # pylint: disable=method-required-super
        parts, length = [self._rest], len(self._rest)
        while size < 0 or length < size:
            line = next(self._lines, None)
            if line is None:
                break
            parts.append(line)
            length += len(line)
        text = "".join(parts)
        if size < 0:
            self._rest = ""
            return text
        self._rest = text[size:]
        return text[:size]


def fetched_in_batches(cr, query, size=10000):
    """The rows of ``query`` (an ``SQL``), ``size`` at a time through a cursor of the server:
    a client cursor holds the whole result, however many rows."""
    cr.execute(SQL("DECLARE danger_zone_rows NO SCROLL CURSOR FOR %s", query))
    while True:
        cr.execute(SQL("FETCH %s FROM danger_zone_rows", int(size)))
        rows = cr.fetchall()
        if not rows:
            break
        yield from rows
    cr.execute("CLOSE danger_zone_rows")


RANGES_AS_OR = 64  # ranges named one by one in a condition; more are joined from two arrays


def in_ranges(column, ranges):
    """The condition (an ``SQL``) that ``column`` (an ``SQL``) is within one of ``ranges``,
    (least, greatest) pairs, which an index on the column answers a range at a time; FALSE
    when there is none. A restore's new ids are a few ranges: a million ids named one by one
    cost Python a string object each, and PostgreSQL a constant each."""
    if not ranges:
        return SQL("FALSE")
    if len(ranges) <= RANGES_AS_OR:
        return SQL(
            "(%s)", SQL(" OR ").join(SQL("%s BETWEEN %s AND %s", column, low, high) for low, high in ranges)
        )
    lows, highs = zip(*ranges, strict=True)
    return SQL(
        "EXISTS (SELECT FROM unnest(%s::int[], %s::int[]) AS r(low, high) WHERE %s BETWEEN r.low AND r.high)",
        list(lows),
        list(highs),
        column,
    )


def copy_rows(cr, table, columns, rows):
    """``COPY`` the rows (an iterable of tuples of numbers, ids, booleans or None) into
    ``columns`` of ``table``, streamed; nothing is sent when there is no row."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    lines = ("\t".join(map(copy_cell, row)) + "\n" for row in itertools.chain((first,), rows))
    cr.copy_expert(copy_from_stdin(table, columns), LineStream(lines), size=1 << 20)


def empty_temporary_table(cr, name, columns):
    """The temporary table ``name`` of this transaction (``columns``: its column definitions),
    created, or emptied when an earlier step of the transaction made it."""
    cr.execute(
        SQL("CREATE TEMPORARY TABLE IF NOT EXISTS %s (%s) ON COMMIT DROP", SQL.identifier(name), SQL(columns))
    )
    cr.execute(SQL("TRUNCATE %s", SQL.identifier(name)))


def copy_cell(value):
    """A number, an id or a boolean as ``COPY`` reads it (None: NULL).

    >>> [copy_cell(value) for value in (None, 7, 12.5, -0.1, 1e-05, True, False)]
    ['\\\\N', '7', '12.5', '-0.1', '1e-05', 't', 'f']
    """
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    return repr(value)
