"""The column mapping of a restore: which column of this database each field of the file goes to,
and how its values are converted (``engine.rows.Column``), per model (``RowBuilder``)."""

import dataclasses
import re
from collections import defaultdict

from odoo import fields as odoo_fields
from odoo.exceptions import UserError
from odoo.tools import html_sanitize

from ...engine.rows import Column, RowBuilder
from ..scope_rules import MAGIC_FIELDS

# Analytic lines hold one column per root plan, named after the plan's id.
PLAN_COLUMN = re.compile(r"^x_plan(\d+)_id$")


class ColumnMapping:
    def __init__(self, context):
        self.context = context
        self.env = context.env
        self.renamed = {}  # backup field -> column here (analytic plan columns)
        self.ignored = defaultdict(set)  # model -> empty plan columns of plans not in the backup
        self._tables = None  # tables of models (not many2many links)

    def is_plan_column(self, name, described):
        """The column of an analytic plan of the backup: it is named after the plan restored here."""
        match = PLAN_COLUMN.match(name)
        return bool(
            match
            and described.get("relation") == "account.analytic.account"
            and int(match.group(1)) in self.context.backup_ids("account.analytic.plan")
        )

    def builder(self, model, member, deferred):
        """The RowBuilder of ``model``'s rows; ``deferred``: the fields written afterwards."""
        Model = self.env[model]
        columns, many2many = [], {}
        for name in member["fields"]:
            if name == "id" or name in self.ignored[model]:
                continue
            field = Model._fields[self.renamed.get(name, name)]
            if field.type == "many2many":
                if field.relation not in self._model_tables():  # not a table of records (notifications...)
                    many2many[name] = field.comodel_name
            elif field.type != "one2many":
                columns.append(dataclasses.replace(self.column(field, name in deferred), source=name))
        return RowBuilder(
            model,
            columns,
            self.context.remap,
            self.context.company.id,
            sanitize=self._sanitize(Model),
            many2many=many2many,
            constants=self.constants(Model, member),
        )

    def constants(self, Model, member):
        """Values of every row: who and when, and the defaults of columns the file lacks."""
        constants = {}
        if Model._log_access:
            now = odoo_fields.Datetime.to_string(odoo_fields.Datetime.now())
            uid = self.env.uid
            constants = {"create_uid": uid, "write_uid": uid, "create_date": now, "write_date": now}
        constants.update(self._missing_defaults(Model, member))
        return constants

    def _model_tables(self):
        if self._tables is None:
            self._tables = {Model._table for Model in self.env.registry.values() if not Model._abstract}
        return self._tables

    def column(self, field, deferred):
        """How the values of ``field`` are written."""
        required = bool(field.required)
        if field.company_dependent:
            relation = field.comodel_name if field.type == "many2one" else ""
            return Column(
                field.name,
                "company_dependent",
                relation=relation,
                required=required,
                deferred=deferred and bool(relation),
            )
        if field.type == "many2one":
            return Column(
                field.name, "many2one", relation=field.comodel_name, required=required, deferred=deferred
            )
        if field.type == "many2one_reference":
            return Column(field.name, "reference", model_field=field.model_field, required=required)
        if key_relation := self.context.scope.json_key_relation(field):
            return Column(field.name, "distribution", relation=key_relation)
        if field.type == "html" and field.sanitize:
            return Column(field.name, "translated" if field.translate else "html", required=required)
        if field.translate:
            return Column(field.name, "translated", required=required)
        if field.type in ("json", "properties"):
            return Column(field.name, "json", required=required)
        return Column(field.name, "plain", required=required)

    @staticmethod
    def _sanitize(Model):
        def sanitize(column, value):
            field = Model._fields[column.name]
            return html_sanitize(
                value,
                silent=True,
                sanitize_tags=field.sanitize_tags,
                sanitize_attributes=field.sanitize_attributes,
                sanitize_style=field.sanitize_style,
                sanitize_form=field.sanitize_form,
                sanitize_conditional_comments=field.sanitize_conditional_comments,
                output_method=field.sanitize_output_method,
                strip_style=field.strip_style,
                strip_classes=field.strip_classes,
            )

        return sanitize

    def _missing_defaults(self, Model, member):
        """Required columns of this database that the backup does not carry get their default."""
        missing, defaults = self._missing_required(Model, member)
        if absent := self._absent(Model, missing, defaults):  # the check refused the file already
            raise UserError(self._absent_message(Model, absent))
        return {name: Model._fields[name].convert_to_column(defaults.get(name), Model) for name in missing}

    def absent_required(self, Model, member):
        """The required fields of ``Model`` here that the backup does not carry and that have no
        default: its records cannot be written."""
        return self._absent(Model, *self._missing_required(Model, member))

    @staticmethod
    def _absent(Model, missing, defaults):
        return [
            name
            for name in missing
            if defaults.get(name) in (None, False) and Model._fields[name].type != "boolean"
        ]

    def absent_required_errors(self):
        """The pre-flight's errors for ``absent_required``, of every data member."""
        errors = []
        for model, member in self.context.data_members().items():
            if model in self.env and (absent := self.absent_required(self.env[model], member)):
                errors.append(self._absent_message(self.env[model], absent))
        return errors

    def _absent_message(self, Model, absent):
        return self.env._(
            "%(model)s requires %(fields)s here, which the backup does not carry.",
            model=Model._name,
            fields=", ".join(absent),
        )

    def _missing_required(self, Model, member):
        """(required stored fields the backup does not carry, their defaults in the company)."""
        missing = [
            name
            for name, field in Model._fields.items()
            if field.store
            and field.column_type
            and field.required
            and name not in member["fields"]
            and name not in MAGIC_FIELDS
            and name != "id"
        ]
        defaults = Model.with_company(self.context.company).default_get(missing) if missing else {}
        return missing, defaults

    def rename_plan_columns(self, member):
        """Each root plan has its column on analytic lines; a plan restored here gets its own."""
        Plan = self.env["account.analytic.plan"]
        Plan._parent_store_compute()  # the plans' columns are named from their hierarchy
        for record in self.context.reader.records(member["name"]):
            new_id = self.context.remap.get(Plan._name, record["id"])
            if not new_id or record.get("parent_id"):
                continue
            plan = Plan.browse(new_id)
            plan.invalidate_recordset()
            plan._sync_all_plan_column()  # creates the column of a new plan; no-op for an existing one
            self.renamed[f"x_plan{record['id']}_id"] = plan._strict_column_name()
