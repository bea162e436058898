"""The company's side of a restore: its business settings from the file, and its defaults that
name an account or a journal, which follow the restored record of the same code."""

import json

from psycopg2.extras import Json

from odoo import fields as odoo_fields
from odoo.tools import SQL

from ...engine import RecordError
from ...engine.rows import RowBuilder
from ..scope_rules import COMPANY_MODEL


class CompanySettings:
    def __init__(self, context, columns):
        self.context = context
        self.env = context.env
        self.cr = context.cr
        self.company = context.company
        self.columns = columns
        self.defaults = []  # (ir.default id, model, record id, code), remembered before a purge

    def write_settings(self):
        """The company's business settings from the backup, references remapped; identity untouched."""
        record = next(iter(self.context.records(COMPANY_MODEL)), None)
        if record is None:
            return
        member = self.context.member(COMPANY_MODEL)
        allowed = set(self.env["danger.zone.scope"]._danger_zone_company_settings(self.company))
        builder = RowBuilder(COMPANY_MODEL, [], self.context.remap, self.company.id)
        assignments = []
        for name in sorted(set(member["fields"]) & allowed):
            value = self._converted(builder, name, record)
            if value is not _SKIPPED:
                assignments.append(
                    SQL("%s = %s", SQL.identifier(name), Json(value) if isinstance(value, dict) else value)
                )
        if assignments:
            self.cr.execute(
                SQL("UPDATE res_company SET %s WHERE id = %s", SQL(", ").join(assignments), self.company.id)
            )

    def _converted(self, builder, name, record):
        column = self.columns.column(self.env[COMPANY_MODEL]._fields[name], deferred=False)
        value = record.get(name)
        if name == "hard_lock_date" and self.company.hard_lock_date:
            value = max(value or "", odoo_fields.Date.to_string(self.company.hard_lock_date))
        try:
            return builder.convert(column, value, record)
        except RecordError as error:
            self.context.skip_or_raise(COMPANY_MODEL, record["id"], str(error))
            return _SKIPPED

    def remember_defaults(self):
        """The company's defaults (ir.default) that name one of its accounts or journals, by code.

        Replacing deletes those records; the defaults then follow the restored
        record with the same code, so that new contacts and products still get
        their accounts.
        """
        self.cr.execute(
            """SELECT d.id, f.relation, d.json_value FROM ir_default d
                 JOIN ir_model_fields f ON f.id = d.field_id
                WHERE d.company_id = %s AND f.ttype = 'many2one'
                  AND f.relation IN ('account.account', 'account.journal')""",
            [self.company.id],
        )
        for default_id, relation, json_value in self.cr.fetchall():
            record = (
                self.env[relation].with_company(self.company).browse(json.loads(json_value or "null") or [])
            )
            if len(record) == 1 and record.exists():
                self.defaults.append((default_id, relation, record.id, record.code))

    def relink_defaults(self):
        for default_id, relation, old_id, code in self.defaults:
            Model = self.env[relation].with_company(self.company)
            if Model.browse(old_id).exists():
                continue  # kept by the purge
            domain = [
                ("company_ids" if relation == "account.account" else "company_id", "in", self.company.ids)
            ]
            replacement = Model.search([*domain, ("code", "=", code)], limit=1)
            if replacement:
                self.cr.execute(
                    "UPDATE ir_default SET json_value = %s WHERE id = %s",
                    [json.dumps(replacement.id), default_id],
                )
                continue
            self.cr.execute("DELETE FROM ir_default WHERE id = %s", [default_id])
            self.context.cleared.append(
                self.env._(
                    "The default %(model)s %(code)s is gone: no restored record has its code.",
                    model=relation,
                    code=code,
                )
            )


_SKIPPED = object()  # a setting whose value could not be converted (skipped and reported)
