"""The first phase of a restore: the file itself. Its signature says how far it is trusted;
then its structure and hashes, its models and fields against this database's, and (unless
trusted) every record."""

from odoo.exceptions import UserError

from ...engine import verify_signature
from ..backup_export import EXCLUDED_FIELDS
from ..scope_rules import COMPANY_MODEL, MAGIC_FIELDS
from .columns import PLAN_COLUMN
from .context import Trust, timed
from .record_check import RecordCheck


def is_empty(value):
    """Whether a record leaves a field empty (0 is a value, False is not).

    >>> [is_empty(value) for value in (None, False, "", [], {}, 0, "a")]
    [True, True, True, True, True, False, False]
    """
    return value is None or value is False or value in ("", [], {})


class FileCheck:
    def __init__(self, context, columns, keys):
        self.context = context
        self.env = context.env
        self.columns = columns
        self.keys = keys
        self.install_hints = {}  # module -> {model or field it would add: how many records need it}

    def run(self, proven=False):
        """Check the file; add what is wrong to the report. ``proven``: a full check of this
        very content passed already (only the database's side is checked again)."""
        context, report = self.context, self.context.report
        context.signed = signed = self._check_signature()
        context.trust = Trust.PROVEN if proven else Trust.SIGNED if signed else Trust.NONE
        checks_records = context.trust.checks_records(context.skip_invalid)
        with context.format_errors():
            context.reader.verify(parse_records=False, read_later=self._read_later(checks_records))
        report.missing = self._check_scope()
        report.missing["modules"] = self._missing_modules()
        report.warnings += self._ignored_column_warnings()
        report.errors += self._missing_errors(report.missing)
        if report.missing["modules"]:
            report.warnings.append(
                self.env._(
                    "Modules of the source database not installed here: %s",
                    ", ".join(report.missing["modules"]),
                )
            )
        if not report.errors:
            report.errors += self.columns.absent_required_errors()
        if report.errors:
            return
        if checks_records:
            with timed("every record checked"):
                RecordCheck(context, self.columns, self.keys).run()
        else:
            report.counts = {model: member["count"] for model, member in context.data_members().items()}

    def _read_later(self, checks_records):
        """The members whose hash is checked in a later reading of each, not now: all of them
        when every record is checked; the data members, as they are written (before the
        commit), when a full check proved this content already. Otherwise now: a file this
        database made, whose records are trusted, is still refused at once if changed."""
        if checks_records:
            return self.context.members
        if self.context.trust is Trust.PROVEN:
            return {member["name"] for member in self.context.data_members().values()}
        return ()

    def _check_signature(self):
        """Whether this database made the file (signed with its secret); refuse a file that
        says so but whose signature does not match."""
        parameters = self.env["ir.config_parameter"].sudo()
        manifest = self.context.manifest
        if manifest["source"].get("database_uuid") != parameters.get_param("database.uuid"):
            return False  # from elsewhere: validated in full instead
        if not verify_signature(manifest, parameters.get_param("database.secret")):
            raise UserError(
                self.env._(
                    "This backup says it comes from this database, but its signature does not match: "
                    "the file was changed after it was made."
                )
            )
        return True

    def _check_scope(self):
        """Refuse models and fields outside the business scope; list those this database lacks."""
        Scope = self.env["danger.zone.scope"]
        scope = self.context.scope
        known_data = {rule.model for rule in Scope._danger_zone_rules()} | {COMPANY_MODEL}
        known_keys = set(Scope._danger_zone_natural_keys())
        missing = {"models": [], "fields": []}
        for member in self.context.members.values():
            model, kind = member["model"], member["kind"]
            allowed = (
                (scope.in_scope(model) and model != COMPANY_MODEL)
                if kind == "keys"
                else (model in scope.rules or model == COMPANY_MODEL)
            )
            if not allowed:
                documented = known_data if kind == "data" else known_keys
                if model not in self.env or model in documented or model.startswith("x_"):
                    missing["models"].append(model)
                    self._install_hint(member.get("module"), model, f"{member['count']} records")
                    continue
                raise UserError(
                    self.env._(
                        "The backup holds %s, which is outside the business data a restore accepts.", model
                    )
                )
            self._check_fields(member, missing)
        return missing

    def _check_fields(self, member, missing):
        model = member["model"]
        target = self.env[model]._fields
        allowed = (
            self.context.scope.key_fields(model) if member["kind"] == "keys" else self._allowed_fields(model)
        )
        for name, described in member["fields"].items():
            if name == "id" or self.columns.is_plan_column(name, described):
                continue
            if PLAN_COLUMN.match(name) and described.get("relation") == "account.analytic.account":
                # Every root plan of the source database has its column, other companies' too. One
                # whose plan is not in the file is empty here: a value would point outside the file.
                self.columns.ignored[model].add(name)
                continue
            if name not in target and name not in MAGIC_FIELDS:
                self._missing_field(member, name, described, missing)
                continue
            if name not in allowed:
                raise UserError(
                    self.env._(
                        "The field %(field)s of %(model)s cannot be restored.", field=name, model=model
                    )
                )
            self._check_type(model, name, described, target[name])

    def _missing_field(self, member, name, described, missing):
        """A field this database lacks: left out when no record of the file uses it; otherwise
        missing, and the module that adds it is named."""
        model = member["model"]
        records = self.context.reader.records(member["name"])
        used = sum(1 for record in records if not is_empty(record.get(name)))
        if not used and member["kind"] == "data":
            self.columns.ignored[model].add(name)
            self.context.report.warnings.append(
                self.env._(
                    "Left out %(model)s.%(field)s: missing here, and no record of the backup uses it.",
                    model=model,
                    field=name,
                )
            )
            return
        missing["fields"].append(f"{model}.{name}")
        self._install_hint(described.get("module"), f"{model}.{name}", f"{used} records use it")

    def _install_hint(self, module, what, detail):
        """Remember that installing ``module`` (when the file names it) would bring ``what``."""
        if module:
            self.install_hints.setdefault(module, {})[what] = detail

    def _missing_errors(self, missing):
        """What this database lacks: the modules to install, by name, then anything left."""
        named = {what for items in self.install_hints.values() for what in items}
        errors = [
            self.env._(
                "Install %(module)s: it adds %(items)s.",
                module=module,
                items=", ".join(f"{what} ({detail})" for what, detail in items.items()),
            )
            for module, items in sorted(self.install_hints.items())
        ]
        for kind, items in missing.items():
            unnamed = [item for item in items if item not in named]
            if unnamed and kind != "modules":
                errors.append(
                    self.env._(
                        "This database lacks %(kind)s that the backup uses: %(items)s",
                        kind=kind,
                        items=", ".join(unnamed),
                    )
                )
        return errors

    def _check_type(self, model, name, described, field):
        if (
            described["type"] != field.type
            or described.get("relation", field.comodel_name) != field.comodel_name
        ):
            raise UserError(
                self.env._(
                    "%(model)s.%(field)s is a %(backup)s in the backup but a %(here)s here.",
                    field=name,
                    model=model,
                    backup=described["type"],
                    here=field.type,
                )
            )

    def _allowed_fields(self, model):
        excluded = EXCLUDED_FIELDS.get(model, set())
        return {
            name: field
            for name, field in self.context.scope.data_fields(model).items()
            if name not in excluded
        }

    def _missing_modules(self):
        installed = set(
            self.env["ir.module.module"].sudo().search([("state", "=", "installed")]).mapped("name")
        )
        return sorted(set(self.context.manifest["source"].get("modules", {})) - installed)

    def _ignored_column_warnings(self):
        return [
            self.env._(
                "Left out %(model)s.%(field)s: the column of an analytic plan that is not in the backup.",
                model=model,
                field=name,
            )
            for model, names in sorted(self.columns.ignored.items())
            for name in sorted(names)
        ]
