"""Odoo's company consistency (``_check_company``) over many records at once.

For each record, ``_check_company`` reads its companies and the records that each checked
field names, and asks whether those belong to these companies (``_check_company_domain``,
which a model may override). The answer depends on that pair only, and a restore's records
name few distinct records: 170,000 analytic lines name a few accounts, partners and products.
So the pairs are read in SQL, a batch at a time, and Odoo's question is asked once per field
and companies, of every record named (``filtered_domain`` weighs each record alone); only
the records of a pair that fails run Odoo's own rule, which names them.

The values read in SQL are those the ORM reads: a stored many2one is its column; a
many2many's rows may be more than the ORM shows (a field's domain), which can only fail a
pair that Odoo's rule, run on its records, then clears.
"""

from collections import defaultdict

from odoo.tools import split_every

from .context import id_array

BATCH = 10_000  # records read together (the records they name are read through the ORM)


class CompanyConsistency:
    """The records of ``Model`` whose references may not agree with their companies, on the
    checked ``fields`` that SQL can read (``fast``); the others (``slow``: not stored,
    company-dependent) are left to Odoo's rule on every record."""

    def __init__(self, Model, fields):
        self.Model = Model
        self.company_field = _company_field(Model)
        readable = self.company_field is not None or Model._name == "res.company"
        self.fast = [name for name in fields if readable and _readable(Model._fields[name])]
        self.slow = [name for name in fields if name not in self.fast]

    def suspects(self, ids):
        """The ids among ``ids`` of the records whose pair on a fast field fails."""
        suspects = set()
        if not self.fast:
            return []
        for batch in split_every(BATCH, ids):
            companies = self._companies(batch)
            for name in self.fast:
                values = self._values(name, batch)
                named = defaultdict(set)  # companies -> the records they are asked about
                for record_id, records in values:
                    named[companies.get(record_id, ())].update(records)
                agreeing = {key: self._agreeing(name, key, records) for key, records in named.items()}
                suspects.update(
                    record_id
                    for record_id, records in values
                    if not agreeing[companies.get(record_id, ())].issuperset(records)
                )
            self.Model.env.invalidate_all()
        return sorted(suspects)

    def _agreeing(self, name, companies, records):
        """The ids among ``records`` (of the field's model) that agree with ``companies``: Odoo's
        question, asked once of them all (``filtered_domain`` weighs each record alone)."""
        env = self.Model.env
        corecords = env[self.Model._fields[name].comodel_name].sudo().browse(sorted(records))
        domain = corecords._check_company_domain(env["res.company"].browse(companies))
        if not domain:
            return records
        corecords.fetch([name for name in _domain_fields(domain) if name in corecords._fields])
        return set(corecords.with_context(active_test=False).filtered_domain(domain).ids)

    def _companies(self, ids):
        """Record id -> the ids of its companies (a tuple), as ``_check_company`` takes them."""
        if self.Model._name == "res.company":
            return {record_id: (record_id,) for record_id in ids}
        return dict(self._values(self.company_field, ids))

    def _values(self, name, ids):
        """(record id, tuple of the ids a relational field names) of the records ``ids``."""
        field, cr = self.Model._fields[name], self.Model.env.cr
        if field.type == "many2one":
            cr.execute(
                f'SELECT id, "{name}" FROM "{self.Model._table}" WHERE id = ANY(%s::int[])', [id_array(ids)]
            )
            return [(record_id, (value,) if value else ()) for record_id, value in cr.fetchall()]
        cr.execute(
            f'SELECT "{field.column1}", array_agg("{field.column2}" ORDER BY "{field.column2}") '
            f'FROM "{field.relation}" WHERE "{field.column1}" = ANY(%s::int[]) GROUP BY 1',
            [id_array(ids)],
        )
        return [(record_id, tuple(values)) for record_id, values in cr.fetchall()]


def _domain_fields(domain):
    """The fields a domain's conditions start from (read first, alone: the ORM would read every
    field of 10,000 journal items to weigh their companies)."""
    return {leaf[0].split(".")[0] for leaf in domain if isinstance(leaf, list | tuple) and len(leaf) == 3}


def _company_field(Model):
    """The field ``_check_company`` takes a record's companies from, when SQL can read it."""
    for name in ("company_id", "company_ids"):
        if name in Model._fields:
            return name if _readable(Model._fields[name]) else None
    return None


def _readable(field):
    return (
        field.store
        and not field.company_dependent
        and (field.type == "many2one" or field.type == "many2many")
    )
