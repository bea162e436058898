"""Check foreign keys once per table instead of once per row, when PostgreSQL lets us.

PostgreSQL checks every foreign key of every row a ``COPY`` writes, with one
trigger call each: on a restore of 300,000 journal items that is most of the
time spent in the database. ``pg_restore --disable-triggers`` avoids it by
switching ``session_replication_role`` to ``replica``; so does a restore here,
when the connection may set it (a superuser, or a role granted ``SET`` on the
parameter, as PostgreSQL 15 allows), and then checks the foreign keys of the
written rows with set-based queries, a few keys per scan of the rows. Without
that right, PostgreSQL checks them row by row as usual. Unique, not-null and check constraints are never
affected: they are not triggers. A company's deletion switches the checks off
the same way (``deferred`` alone), having done what the keys would do itself
(company_deletion.py).
"""

import contextlib

import psycopg2.errors

from odoo.tools import SQL, split_every

# keys checked in one scan of a table's written rows, each a join: a few, so that PostgreSQL
# holds a few hash tables at once (a partner has dozens of keys)
KEYS_PER_SCAN = 10


class ForeignKeyCheck:
    def __init__(self, cr, enabled=True):
        self.cr = cr
        self.enabled = enabled and self._allowed()
        self.written = {}  # table -> [condition on alias t selecting the written rows]

    def _allowed(self):
        try:
            with self.cr.savepoint(flush=False):
                self.cr.execute("SET LOCAL session_replication_role = replica", log_exceptions=False)
                self.cr.execute("SET LOCAL session_replication_role = DEFAULT")
        except psycopg2.errors.InsufficientPrivilege:
            return False
        return True

    @contextlib.contextmanager
    def deferred(self):
        """Write without per-row foreign key checks (when enabled); call ``check`` afterwards.

        After an error the setting stays until the caller rolls back its savepoint
        or transaction, which undoes it with the rest.
        """
        if not self.enabled:
            yield
            return
        self.cr.execute("SET LOCAL session_replication_role = replica")
        yield
        self.cr.execute("SET LOCAL session_replication_role = DEFAULT")

    def wrote(self, table, condition):
        """Record that rows of ``table`` were written: ``condition`` on alias ``t`` selects them
        (a superset is fine: rows written by others were checked by PostgreSQL)."""
        if self.enabled:
            self.written.setdefault(table, []).append(condition)

    def check(self):
        """[(table, column, referenced table, [bad values])] of the written rows; empty when all hold.

        The written rows of a table are read once for a group of its keys (``KEYS_PER_SCAN``,
        each joined to the table it refers to); only a key found broken is read again, for
        the values to name."""
        if not self.enabled:
            return []
        broken = []
        for table, conditions in self.written.items():
            keys = self._keys(table)
            for condition in conditions:
                for group in split_every(KEYS_PER_SCAN, keys):
                    for key in self._broken_keys(table, condition, group):
                        broken.append((table, key[0], key[1], self._bad_values(table, condition, *key)))
        return broken

    def _broken_keys(self, table, condition, keys):
        """The ``keys`` of ``table`` that a written row (``condition``) breaks, in one scan."""
        joins, flags = [], []
        for number, (column, referenced, referenced_column) in enumerate(keys):
            alias = SQL.identifier(f"r{number}")
            joins.append(
                SQL(
                    "LEFT JOIN %s %s ON %s.%s = t.%s",
                    SQL.identifier(referenced),
                    alias,
                    alias,
                    SQL.identifier(referenced_column),
                    SQL.identifier(column),
                )
            )
            flags.append(
                SQL(
                    "bool_or(t.%s IS NOT NULL AND %s.%s IS NULL)",
                    SQL.identifier(column),
                    alias,
                    SQL.identifier(referenced_column),
                )
            )
        self.cr.execute(
            SQL(
                "SELECT %s FROM %s t %s WHERE %s",
                SQL(", ").join(flags),
                SQL.identifier(table),
                SQL(" ").join(joins),
                condition,
            )
        )
        return [key for key, is_broken in zip(keys, self.cr.fetchone(), strict=True) if is_broken]

    def _bad_values(self, table, condition, column, referenced, referenced_column):
        """A few values of ``column`` in the written rows that ``referenced`` does not hold."""
        self.cr.execute(
            SQL(
                """SELECT DISTINCT t.%s FROM %s t
                    WHERE %s AND t.%s IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM %s r WHERE r.%s = t.%s) LIMIT 5""",
                SQL.identifier(column),
                SQL.identifier(table),
                condition,
                SQL.identifier(column),
                SQL.identifier(referenced),
                SQL.identifier(referenced_column),
                SQL.identifier(column),
            )
        )
        return [row[0] for row in self.cr.fetchall()]

    def _keys(self, table):
        """(column, referenced table, referenced column) of the single-column foreign keys of ``table``."""
        self.cr.execute(
            """SELECT a.attname, c.confrelid::regclass::text, ra.attname
                 FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                 JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
                WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND array_length(c.conkey, 1) = 1""",
            [table],
        )
        return self.cr.fetchall()
