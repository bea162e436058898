"""Indexes on the columns that point to records a company owns, where Odoo made none.

To find the rows that point to a row, PostgreSQL reads an index of the
referencing column, or the whole table. Deleting a company asks this of
every collected row: which rows that stay still point to it (see
company_deletion.py). Without an index, a small company's deletion reads
every other company's rows, once per such column: in a database of
3,000,000 journal items, a second for the tax columns of
``account_move_line`` alone.

Odoo indexes most of these columns. The others (a foreign key of a single
column, to the table of a model with a company or to ``res_company``) get a
partial index here, as Odoo's ``btree_not_null`` makes: rows without a value
cost nothing. They are created when the registry loads (at install, and
after each module installed since) and carry a comment that marks them as
Danger Zone's, so that uninstalling drops them and nothing else.
"""

import logging

import psycopg2

from odoo.tools import SQL
from odoo.tools.sql import make_index_name

from .company_deletion import KEPT_MODELS
from .scope_rules import company_kind

_logger = logging.getLogger(__name__)

MARK = "Danger Zone: a reference to company data"


def company_tables(env):
    """The tables of the models whose rows belong to a company (by a column, or through a
    parent: payment method lines of a journal), but users (kept), and the companies' own."""
    tables = {"res_company"}
    for name, Model in env.registry.items():
        company = Model._fields.get("company_id")
        of_company = company_kind(Model) or (company and company.comodel_name == "res.company")
        if Model._auto and not Model._abstract and of_company and name not in KEPT_MODELS:
            tables.add(Model._table)
    return tables


def missing_indexes(cr, referenced_tables):
    """[(table, column)] of the single-column foreign keys to ``referenced_tables`` whose
    column leads no index."""
    cr.execute(
        """SELECT DISTINCT c.conrelid::regclass::text, a.attname
             FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1
              AND c.confrelid::regclass::text = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_index i
                               WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
            ORDER BY 1, 2""",
        [sorted(referenced_tables)],
    )
    return cr.fetchall()


def index_references(env):
    """Create the missing indexes; return the [(table, column)] indexed."""
    cr = env.cr
    transient = {Model._table for Model in env.registry.values() if Model._transient}
    created = []
    for table, column in missing_indexes(cr, company_tables(env)):
        if table in transient:
            continue  # wizards are vacuumed, and the deletion removes those that point to its rows
        name = make_index_name(table, f"{column}_dz")
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    SQL(
                        "CREATE INDEX IF NOT EXISTS %s ON %s (%s) WHERE %s IS NOT NULL",
                        SQL.identifier(name),
                        SQL.identifier(table),
                        SQL.identifier(column),
                        SQL.identifier(column),
                    )
                )
                cr.execute(SQL("COMMENT ON INDEX %s IS %s", SQL.identifier(name), MARK))
        except psycopg2.Error as error:  # not the table's owner, say: the deletion is slower, not wrong
            _logger.warning("Danger Zone: could not index %s.%s: %s", table, column, error)
            continue
        created.append((table, column))
    if created:
        _logger.info(
            "Danger Zone: indexed %s columns that point to company data: %s",
            len(created),
            ", ".join(f"{table}.{column}" for table, column in created),
        )
    return created


def drop_reference_indexes(cr):
    """Drop the indexes ``index_references`` created; return their names."""
    cr.execute(
        """SELECT c.relname FROM pg_class c
             JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
            WHERE c.relkind = 'i' AND d.description = %s""",
        [MARK],
    )
    names = [name for (name,) in cr.fetchall()]
    for name in names:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
    return names
