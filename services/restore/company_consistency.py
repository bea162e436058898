"""Odoo's company consistency (``_check_company``) over many records at once.

For each record, ``_check_company`` reads its companies and the records that each checked
field names, and asks whether those belong to these companies (``_check_company_domain``,
which a model may override). The answer depends on that pair only, and a restore's records
name few distinct records: 170,000 analytic lines name a few accounts, partners and products.
So the pairs are read in SQL, a batch at a time, and Odoo's question is asked once per field
and companies, of every record named (``filtered_domain`` weighs each record alone; Odoo's
default question, a company among these or none, is asked in SQL of a stored company
column); only the records of a pair that fails run Odoo's own rule, which names them.

The values read in SQL are those the ORM reads: a stored many2one is its column; a
many2many's rows may be more than the ORM shows (a field's domain), which can only fail a
pair that Odoo's rule, run on its records, then clears.
"""

from collections import defaultdict

from odoo.models import BaseModel
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
            values = self._values(batch)
            companies = self._companies(batch, values)
            for name in self.fast:
                named = defaultdict(set)  # companies -> the records they are asked about
                for record_id, records in values[name]:
                    named[companies.get(record_id, ())].update(records)
                agreeing = {key: self._agreeing(name, key, records) for key, records in named.items()}
                suspects.update(
                    record_id
                    for record_id, records in values[name]
                    if not agreeing[companies.get(record_id, ())].issuperset(records)
                )
            self.Model.env.invalidate_all()
        return sorted(suspects)

    def _agreeing(self, name, companies, records):
        """The ids among ``records`` (of the field's model) that agree with ``companies``: Odoo's
        question, asked once of them all (``filtered_domain`` weighs each record alone)."""
        Comodel = self.Model.env[self.Model._fields[name].comodel_name].sudo()
        if _default_domain_on_column(Comodel):
            return self._agreeing_in_sql(Comodel, companies, records)
        return self._agreeing_in_orm(Comodel, companies, records)

    def _agreeing_in_orm(self, Comodel, companies, records):
        corecords = Comodel.browse(sorted(records))
        domain = corecords._check_company_domain(Comodel.env["res.company"].browse(companies))
        if not domain:
            return set(records)
        corecords.fetch([name for name in _domain_fields(domain) if name in corecords._fields])
        return set(corecords.with_context(active_test=False).filtered_domain(domain).ids)

    def _agreeing_in_sql(self, Comodel, companies, records):
        """Odoo's default question (``BaseModel._check_company_domain``: the company is one of
        ``companies``, or none), asked of a stored company column."""
        cr = self.Model.env.cr
        cr.execute(
            f'SELECT id FROM "{Comodel._table}" WHERE id = ANY(%s::int[])'
            " AND (company_id IS NULL OR company_id = ANY(%s::int[]))",
            [id_array(records), list(companies)],
        )
        return {row[0] for row in cr.fetchall()}

    def _companies(self, ids, values):
        """Record id -> the ids of its companies (a tuple), as ``_check_company`` takes them."""
        if self.Model._name == "res.company":
            return {record_id: (record_id,) for record_id in ids}
        return dict(values[self.company_field])

    def _values(self, ids):
        """Field -> [(record id, tuple of the ids it names)] of the records ``ids``, for the fast
        fields and the company's: the many2ones read in one query, each many2many in one."""
        names = [*self.fast, self.company_field] if self.company_field else list(self.fast)
        fields = [self.Model._fields[name] for name in dict.fromkeys(names)]
        many2ones = [field.name for field in fields if field.type == "many2one"]
        cr, values = self.Model.env.cr, {}
        if many2ones:
            columns = ", ".join(f'"{name}"' for name in many2ones)
            cr.execute(
                f'SELECT id, {columns} FROM "{self.Model._table}" WHERE id = ANY(%s::int[])', [id_array(ids)]
            )
            rows = cr.fetchall()
            for position, name in enumerate(many2ones, start=1):
                values[name] = [(row[0], (row[position],) if row[position] else ()) for row in rows]
        for field in fields:
            if field.type == "many2many":
                cr.execute(
                    f'SELECT "{field.column1}", array_agg("{field.column2}" ORDER BY "{field.column2}") '
                    f'FROM "{field.relation}" WHERE "{field.column1}" = ANY(%s::int[]) GROUP BY 1',
                    [id_array(ids)],
                )
                values[field.name] = [(record_id, tuple(named)) for record_id, named in cr.fetchall()]
        return values


def _default_domain_on_column(Comodel):
    """Whether the model keeps Odoo's default company question and a stored company column."""
    company = Comodel._fields.get("company_id")
    return (
        type(Comodel)._check_company_domain is BaseModel._check_company_domain
        and company is not None
        and company.type == "many2one"
        and _readable(company)
    )


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
    """Whether SQL reads the field's value as the ORM does: a stored relation's column or rows."""
    return (
        field.store
        and not field.company_dependent
        and (field.type == "many2one" or field.type == "many2many")
    )
