"""Values that the target database holds once only, made to fit before the rows are written.

A restore must not fail on a unique constraint that the database's own records satisfy:
- a name unique in the whole database (a campaign's, a mail alias's), or in the company
  (a warehouse's, in a merge), that a row of the database already has gets a suffix, as
  Odoo itself numbers a copy: "Sale" becomes "Sale [2]";
- a link to a user, or a user's partner, that must be unique (a user is the employee of one
  record per company, a partner follows a record once) is left empty when the backup's
  user was relinked to the restoring user, who may have several such records in the file,
  or one here already; when the link is required (a user's personal stage of a task, a
  partner's following of a record), the record was that user's own and is left out.

The constraints are read from the models (``_sql_constraints``) and from the hook
``danger.zone.scope._danger_zone_unique_names()`` for those made by indexes.
"""

from odoo.tools import SQL

from ..scope_rules import unique_columns
from .keys import RELINKED_KEYS

NAME_PATTERN = "{} [{}]"  # "Sale" -> "Sale [2]"


def with_suffix(value, taken, pattern=NAME_PATTERN):
    """``value`` numbered until it is not in ``taken``, as Odoo numbers copies.

    >>> with_suffix("Sale", {"Sale", "Sale [2]"})
    'Sale [3]'
    >>> with_suffix("sales", {"sales"}, pattern="{}-{}")
    'sales-2'
    """
    number = 2
    while (candidate := pattern.format(value, number)) in taken:
        number += 1
    return candidate


def fitted_columns(Model):
    """The columns whose values ``UniqueValues`` may change in ``Model``'s records: those of its
    unique constraints, its unique name, its links to users and their partners."""
    fitted = {column for columns in unique_columns(Model) for column in columns}
    if extra := Model.env["danger.zone.scope"]._danger_zone_unique_names().get(Model._name):
        fitted.add(extra[0])
    fitted |= {
        name
        for name, field in Model._fields.items()
        if field.type == "many2one" and field.comodel_name in RELINKED_KEYS
    }
    return fitted


class UniqueValues:
    """Rewrites the records of one model so that their unique values fit this database."""

    def __init__(self, context, relinked_ids):
        self.context = context
        self.env = context.env
        self.relinked_ids = relinked_ids  # model -> backup ids relinked to the restoring user (or partner)
        self.extra_names = self.env["danger.zone.scope"]._danger_zone_unique_names()
        self.taken = {}  # (model, column) -> values this database or this restore has
        self.left_out = {}  # model -> how many records were left out (relinked users' own)

    def fitter(self, model, member):
        """A function that makes one record of ``model`` fit (None: the record is left out),
        or None when nothing can clash."""
        names, user_links, own_links = self._constraints(model, member)
        if not names and not user_links and not own_links:
            return None
        for column, per_company, _pattern in names:
            self._taken(model, column, per_company)  # read now: the records are read during a COPY

        def fit(record):
            if any(record.get(column) in relinked for column, relinked in own_links):
                self.left_out[model] = self.left_out.get(model, 0) + 1
                return None
            changes = {column: None for column, relinked in user_links if record.get(column) in relinked}
            for column, per_company, pattern in names:
                if (new_name := self._free_name(model, record, column, per_company, pattern)) is not None:
                    changes[column] = new_name
            return {**record, **changes} if changes else record

        return fit

    def _free_name(self, model, record, column, per_company, pattern):
        """The name ``record`` takes in ``column`` when its own is taken (reported), else None."""
        value = record.get(column)
        if not isinstance(value, str) or (per_company and not record.get("company_id")):
            return None
        taken = self._taken(model, column, per_company)
        if value not in taken:
            taken.add(value)
            return None
        new_name = with_suffix(value, taken, pattern)
        taken.add(new_name)
        self.context.cleared.append(
            self.env._(
                "%(model)s: %(old)r is taken here, restored as %(new)r.", model=model, old=value, new=new_name
            )
        )
        return new_name

    def _constraints(self, model, member):
        """(unique text columns [(column, per company, pattern)], optional and required user
        links that must be unique)."""
        Model = self.env[model]
        fields = Model._fields
        names, user_links, own_links = [], [], []
        for columns in unique_columns(Model):
            if not all(column in member["fields"] for column in columns):
                continue
            others = [column for column in columns if column != "company_id"]
            if len(others) == 1 and fields.get(others[0]) and fields[others[0]].type == "char":
                if not fields[others[0]].translate:
                    names.append((others[0], "company_id" in columns, NAME_PATTERN))
            for column in columns:
                field = fields.get(column)
                if field and field.type == "many2one" and field.comodel_name in self.relinked_ids:
                    link = (column, self.relinked_ids[field.comodel_name])
                    (own_links if field.required else user_links).append(link)
        if extra := self.extra_names.get(model):  # (column, pattern), unique in the database
            column, pattern = extra
            names.append((column, False, pattern))
        return names, user_links, own_links

    def report(self):
        """Warnings on the records left out because they were relinked users' own."""
        return [
            self.env._(
                "%(model)s: %(count)s records of users relinked to you left out (they were theirs).",
                model=model,
                count=count,
            )
            for model, count in sorted(self.left_out.items())
        ]

    def _taken(self, model, column, per_company):
        key = (model, column)
        if key not in self.taken:
            table = SQL.identifier(self.env[model]._table)
            condition = SQL("company_id = %s", self.context.company.id) if per_company else SQL("TRUE")
            self.context.cr.execute(
                SQL("SELECT DISTINCT %s FROM %s WHERE %s", SQL.identifier(column), table, condition)
            )
            self.taken[key] = {row[0] for row in self.context.cr.fetchall()}
        return self.taken[key]
