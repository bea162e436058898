"""Small SQL helpers that several services use."""

from odoo.tools import SQL


def disable_jit(cr):
    """Switch PostgreSQL's JIT off for this transaction: compiling the wide queries of a
    backup or a restore costs seconds and saves nothing."""
    cr.execute("SET LOCAL jit = off")


def next_ids(cr, sequence, count):
    """``count`` new ids from ``sequence``, in one query."""
    cr.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
    return [row[0] for row in cr.fetchall()]


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
