"""The planner's statistics of the tables a restore filled, brought up to date before the
queries that read the new rows.

A restore writes its rows in one transaction, past autovacuum, which analyzes a table only once
the rows are committed. Until then PostgreSQL plans with statistics that do not know the new
rows: the restored company's id is in no histogram, so a condition on it looks like one row,
and a plan built on that scans a million journal items for each batch of a model's rules
(bench/README.md). ``ANALYZE`` runs inside the transaction (it samples the rows this
transaction wrote too, and is rolled back with them), on the tables that changed as much as
autovacuum waits for before it analyzes one itself, on a small sample (``QUICK_TARGET``).
"""

from odoo.tools import SQL

# The sample and histograms of these statistics are a tenth of PostgreSQL's default (3,000 rows
# a table, not 30,000: 50 ms instead of 600 for a million journal items): enough to know the new
# rows and their company. They last until autovacuum analyzes the table after the commit, which
# the new rows trigger (counted at commit, past this analysis).
QUICK_TARGET = 10


def analyze_changed_tables(cr, written):
    """``ANALYZE`` the tables of ``written`` ({table: rows written}) whose new rows exceed
    autovacuum's analyze threshold (``autovacuum_analyze_threshold`` plus
    ``autovacuum_analyze_scale_factor`` times the rows the statistics know); return them.

    Tables are analyzed in name order: concurrent restores take their locks in one order."""
    if not written:
        return []
    cr.execute(
        """SELECT c.relname
             FROM unnest(%s::text[], %s::bigint[]) AS w(relname, rows)
             JOIN pg_class c ON c.oid = to_regclass(quote_ident(w.relname))
            WHERE w.rows > current_setting('autovacuum_analyze_threshold')::float
                         + current_setting('autovacuum_analyze_scale_factor')::float
                           * greatest(c.reltuples, 0)
            ORDER BY c.relname""",
        [list(written), list(written.values())],
    )
    tables = [row[0] for row in cr.fetchall()]
    cr.execute("SHOW default_statistics_target")
    default_target = cr.fetchone()[0]
    cr.execute("SET LOCAL default_statistics_target = %s", [str(QUICK_TARGET)])
    try:
        for table in tables:
            cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    finally:
        cr.execute("SET LOCAL default_statistics_target = %s", [default_target])
    return tables
