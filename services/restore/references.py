"""References written once every record of a restore exists: forward and self references, and
many2many links, each set in one statement through a temporary table of pairs. The pairs are
streamed into it as they are remapped (a journal item's taxes are a million pairs at a million
items: a list of them held a hundred MB)."""

from odoo.tools import SQL

from ..sql import LineStream, empty_temporary_table


class ReferenceWriter:
    def __init__(self, context):
        self.context = context
        self.env = context.env
        self.cr = context.cr

    def write_deferred(self, pending):
        """Forward and self references, once every record has its new id."""
        for (model, name, relation), pairs in pending.items():
            Model = self.env[model]
            values = self._remapped(model, name, relation, pairs)
            self._update_column(Model._table, name, values, Model._fields[name].company_dependent)

    def _remapped(self, model, name, relation, pairs):
        """(new id, target's id here) of the (new id, backup id) ``pairs`` of a reference; one
        to a skipped record is left empty, and said so."""
        remap = self.context.remap
        for new_id, old_value in pairs:
            target = remap.get(relation, old_value)
            if target is None:  # only when skipping: the reference stays empty
                self.context.cleared.append(
                    self.env._(
                        "%(model)s %(id)s: %(field)s pointed to a skipped record",
                        model=model,
                        id=new_id,
                        field=name,
                    )
                )
                continue
            yield new_id, target

    def write_many2many(self, links):
        remap = self.context.remap
        for (model, name, relation), pairs in links.items():
            field = self.env[model]._fields[name]
            values = ((new_id, remap.get(relation, old_id)) for new_id, old_id in pairs)
            count, low, high = self._load_pairs((a, b) for a, b in values if b is not None)
            if not count:
                continue
            with self.context.foreign_keys.deferred():
                self.cr.execute(
                    SQL(
                        "INSERT INTO %s (%s, %s) SELECT DISTINCT a, b FROM danger_zone_pairs"
                        " ON CONFLICT DO NOTHING",
                        SQL.identifier(field.relation),
                        SQL.identifier(field.column1),
                        SQL.identifier(field.column2),
                    )
                )
            condition = SQL("t.%s BETWEEN %s AND %s", SQL.identifier(field.column1), low, high)
            self.context.foreign_keys.wrote(field.relation, condition)

    def _load_pairs(self, pairs):
        """Put the (a, b) integer pairs of the iterable ``pairs`` in the temporary table
        danger_zone_pairs, for one set-based write; return how many, the least and the
        greatest a."""
        empty_temporary_table(self.cr, "danger_zone_pairs", "a integer, b integer")
        lines = (f"{a}\t{b}\n" for a, b in pairs)
        self.cr.copy_expert("COPY danger_zone_pairs (a, b) FROM STDIN", LineStream(lines), size=1 << 20)
        self.cr.execute("SELECT count(*), min(a), max(a) FROM danger_zone_pairs")
        return self.cr.fetchone()

    def _update_column(self, table, column, values, company_dependent=False):
        """Set ``column`` of the rows (new id, value) of the iterable ``values``; a
        company-dependent value is the company's own (its column is jsonb keyed by company id)."""
        if not self._load_pairs(values)[0]:
            return
        value = SQL("p.b")
        if company_dependent:
            value = SQL("jsonb_build_object(%s, p.b)", str(self.context.company.id))
        with self.context.foreign_keys.deferred():  # the rows are checked with the table's other rows
            self.cr.execute(
                SQL(
                    "UPDATE %s t SET %s = %s FROM danger_zone_pairs p WHERE t.id = p.a",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    value,
                )
            )
