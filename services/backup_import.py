"""Restore a backup file into one company: check it, then write it with set-based SQL.

``BackupImport.check()`` reads the whole file and writes nothing: structure,
hashes, scope, fields, value types, references, natural keys, currency,
merge conflicts and lock dates. ``run()`` then gives every record a new id
through the remapping table (``engine.rows.Remap``) and inserts each model's
rows with ``COPY``, in the order that required references dictate; forward
references and many2many links follow once every record exists.
"""

import contextlib
import dataclasses
import gc
import io
import itertools
import json
import logging
import operator
import re
import time
from collections import defaultdict

import psycopg2
from psycopg2.extras import Json

from odoo import fields as odoo_fields
from odoo.exceptions import UserError
from odoo.tools import SQL, html_sanitize

from ..engine import BackupFormatError, CycleError, RecordError, insertion_order, verify_signature
from ..engine.rows import Column, Remap, RowBuilder
from ..engine.validation import columns_checker, record_checker
from .backup_export import EXCLUDED_FIELDS
from .company_scope import COMPANY_MODEL, MAGIC_FIELDS
from .foreign_keys import ForeignKeyCheck
from .sql import copy_from_stdin, disable_jit, next_ids

_logger = logging.getLogger(__name__)

CHUNK = 5000  # rows per COPY when invalid records are skipped
ROWS_PER_BATCH = 1000  # records checked, and turned into COPY lines, a column at a time
# Users and their partners that cannot be matched are relinked to the restoring user.
RELINKED_KEYS = ("res.users", "res.partner")
# Timeline and files attach to any record: they are written after every other model.
DOCUMENT_MODELS = ("mail.message", "mail.followers", "mail.activity", "ir.attachment")
# Analytic lines hold one column per root plan, named after the plan's id.
PLAN_COLUMN = re.compile(r"^x_plan(\d+)_id$")
LOCK_DATE_FIELDS = (
    "fiscalyear_lock_date",
    "tax_lock_date",
    "sale_lock_date",
    "purchase_lock_date",
    "hard_lock_date",
)


@contextlib.contextmanager
def _timed(what):
    """Log how long a phase of the restore took (for integrators tuning large restores)."""
    started = time.monotonic()
    yield
    _logger.info("restore: %s in %.2f s", what, time.monotonic() - started)


@contextlib.contextmanager
def _cycle_collector_paused():
    """Pause Python's cycle collector while every record is checked. Each parsed record is a
    new container, so the collector would run over and over, walking all of Odoo's objects
    (a third of the check's time on 360,000 records). Records hold no cycles: reference
    counting frees them, and any other garbage waits for the next collection."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class BackupImport:
    """One restore of a backup ``reader`` into ``company`` (``mode``: replace or merge)."""

    def __init__(self, env, company, reader, mode="replace", skip_invalid=False, progress=None):
        self.env = env
        self.cr = env.cr
        self.company = company
        self.reader = reader
        self.manifest = reader.manifest
        self.mode = mode
        self.skip_invalid = skip_invalid
        self.progress = progress or (lambda done, total: None)
        self.scope = env["danger.zone.scope"]._danger_zone_scope(company, ("attachments",))
        self.members = {member["name"]: member for member in self.manifest["members"]}
        self.parsed = False  # every line is known good (strictly parsed, or made here): read faster
        self._ids_cache = {}  # model -> backup ids of its data member
        self._tables = None  # tables of models (not many2many links)
        self.remap = Remap()
        self.skipped = []  # (model, backup id, reason)
        self.invalid = {}  # (model, backup id) -> reason, found by check()
        self.relinked = []
        self.renamed = {}  # backup field -> column here (analytic plan columns)
        self.ignored = defaultdict(set)  # model -> empty plan columns of plans not in the backup
        self.matched = defaultdict(dict)  # model -> key -> id of the existing record
        self.matching_keys = env["danger.zone.scope"]._danger_zone_matching_keys()
        self.cleared = []  # references left empty because their record was skipped
        self.counts = {}
        self.foreign_keys = None

    # ------------------------------------------------------------------
    # Check: read everything, write nothing
    # ------------------------------------------------------------------
    def check(self, records=True):
        """Return the pre-flight report; raise UserError when the file itself is unacceptable.

        ``records=False`` trusts the values and references of a file that a
        full check accepted already (a queued job's own copy): only the
        database's side is checked again. A file this database signed is
        trusted the same way once its hashes match: this database wrote its
        records. Files from elsewhere have every record checked.
        """
        made_here = self._check_signature()
        proven = not records  # by a full check of this very content
        records = records and (not made_here or self.skip_invalid)  # skipping needs the faults named
        try:
            self.reader.verify(parse_records=False, read_later=self._read_later(records, proven))
        except BackupFormatError as error:
            raise UserError(self.env._("The backup file is not valid: %s", error)) from None
        report = {
            "mode": self.mode,
            "counts": {},
            "errors": [],
            "warnings": [],
            "missing": self._check_scope(),
            "skipped": [],
        }
        report["missing"]["modules"] = self._missing_modules()
        report["warnings"] += [
            self.env._(
                "Left out %(model)s.%(field)s: the column of an analytic plan that is not in the backup.",
                model=model,
                field=name,
            )
            for model, names in sorted(self.ignored.items())
            for name in sorted(names)
        ]
        for kind, items in report["missing"].items():
            if items and kind != "modules":
                report["errors"].append(
                    self.env._(
                        "This database lacks %(kind)s that the backup uses: %(items)s",
                        kind=kind,
                        items=", ".join(items),
                    )
                )
        if report["missing"]["modules"]:
            report["warnings"].append(
                self.env._(
                    "Modules of the source database not installed here: %s",
                    ", ".join(report["missing"]["modules"]),
                )
            )
        if report["errors"]:
            report["ok"] = False
            return report
        if records:
            try:
                with _timed("every record checked"), _cycle_collector_paused():
                    self._check_records(report)
            except BackupFormatError as error:
                raise UserError(self.env._("The backup file is not valid: %s", error)) from None
        else:
            report["counts"] = {
                m["model"]: m["count"]
                for m in self.members.values()
                if m["kind"] == "data" and m["model"] != COMPANY_MODEL
            }
        report["unresolved_keys"] = self._resolve_keys()
        if report["unresolved_keys"]:
            report["errors"].append(
                self.env._(
                    "Records of the backup not found in this database: %s",
                    "; ".join(report["unresolved_keys"]),
                )
            )
        if self.relinked:
            report["warnings"].append(
                self.env._(
                    "Users relinked to you (no access to this company here): %s", ", ".join(self.relinked)
                )
            )
        self._check_currency(report)
        report["conflicts"] = self._merge_conflicts() if self.mode == "merge" else []
        report["errors"] += report["conflicts"]
        report["lock_dates"] = self._check_lock_dates(report)
        report["ok"] = not report["errors"]
        return report

    def _read_later(self, records, proven):
        """The members whose hash is checked in a later reading of each, not now: all of them
        when every record is checked; the data members, as they are written (before the
        commit), when a full check proved this content already. Otherwise now: a file this
        database made, whose records are trusted, is still refused at once if changed."""
        if records:
            return self.members
        if proven:
            return {member["name"] for member in self._data_members().values()}
        return ()

    def _check_signature(self):
        """Whether this database made the file (signed with its secret); refuse a file that
        says so but whose signature does not match."""

        parameters = self.env["ir.config_parameter"].sudo()
        if self.manifest["source"].get("database_uuid") != parameters.get_param("database.uuid"):
            return False  # from elsewhere: validated in full instead
        if not verify_signature(self.manifest, parameters.get_param("database.secret")):
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
        known_data = {rule.model for rule in Scope._danger_zone_rules()} | {COMPANY_MODEL}
        known_keys = set(Scope._danger_zone_natural_keys())
        missing = {"models": [], "fields": []}
        for member in self.members.values():
            model, kind = member["model"], member["kind"]
            allowed = (
                (self.scope.in_scope(model) and model != COMPANY_MODEL)
                if kind == "keys"
                else (model in self.scope.rules or model == COMPANY_MODEL)
            )
            if not allowed:
                documented = known_data if kind == "data" else known_keys
                if model in documented or model.startswith("x_"):
                    missing["models"].append(model)
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
        allowed = self.scope.key_fields(model) if member["kind"] == "keys" else self._allowed_fields(model)
        for name, described in member["fields"].items():
            if name == "id" or self._is_plan_column(name, described):
                continue
            if PLAN_COLUMN.match(name) and described.get("relation") == "account.analytic.account":
                # Every root plan of the source database has its column, other companies' too. One
                # whose plan is not in the file is empty here: a value would point outside the file.
                self.ignored[model].add(name)
                continue
            if name not in target and name not in MAGIC_FIELDS:
                missing["fields"].append(f"{model}.{name}")
                continue
            if name not in allowed:
                raise UserError(
                    self.env._(
                        "The field %(field)s of %(model)s cannot be restored.", field=name, model=model
                    )
                )
            field = target[name]
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

    def _is_plan_column(self, name, described):
        """The column of an analytic plan of the backup: it is named after the plan restored here."""
        match = PLAN_COLUMN.match(name)
        return bool(
            match
            and described.get("relation") == "account.analytic.account"
            and int(match.group(1)) in self._backup_ids("account.analytic.plan")
        )

    def _backup_ids(self, model):
        if model not in self._ids_cache:
            name = f"data/{model}.jsonl"
            records = self.reader.records(name) if name in self.members else ()
            self._ids_cache[model] = {record.get("id") for record in records}
        return self._ids_cache[model]

    def _allowed_fields(self, model):
        excluded = EXCLUDED_FIELDS.get(model, set())
        return {name: field for name, field in self.scope.data_fields(model).items() if name not in excluded}

    def _missing_modules(self):
        installed = set(
            self.env["ir.module.module"].sudo().search([("state", "=", "installed")]).mapped("name")
        )
        return sorted(set(self.manifest["source"].get("modules", {})) - installed)

    def _check_records(self, report):
        """Every value of the type its field declares, every reference inside the file.

        Memory holds the ids of the file and the ids referred to, never the
        references themselves: the records behind a dangling reference are
        looked for in a second pass, only when there is one.
        """
        ids, referenced = defaultdict(set), defaultdict(set)
        for member in self.members.values():
            count = self._check_member(member, ids, referenced)
            if member["kind"] == "data" and member["model"] != COMPANY_MODEL:
                report["counts"][member["model"]] = count
        for targets in referenced.values():
            targets.discard(None)  # null many2ones, added a column at a time
        dangling = {relation: targets - ids[relation] for relation, targets in referenced.items()}
        if any(dangling.values()):
            self._report_dangling({relation: targets for relation, targets in dangling.items() if targets})
        report["skipped"] = [
            {"model": model, "id": record_id, "reason": reason}
            for (model, record_id), reason in sorted(self.invalid.items(), key=str)
        ]

    def _check_member(self, member, ids, referenced):
        """Check each record of one member, add its ids to ``ids`` and the ids it refers to to
        ``referenced`` (relation -> set, where None may be left); return how many records passed.

        Records are checked ``ROWS_PER_BATCH`` at a time, a column at a time; a batch with
        anything off is checked again record by record, which names the record at fault.
        """
        model, name = member["model"], member["name"]
        columns_of = columns_checker(member["fields"])
        one_by_one = self._record_by_record_check(member, ids, referenced)
        references = self._reference_fields(member)
        own_ids, count, lines_read = ids[model], 0, 0
        records = self.reader.verified_records(name)
        while batch := list(itertools.islice(records, ROWS_PER_BATCH)):
            first_line, lines_read = lines_read + 1, lines_read + len(batch)
            columns = columns_of(batch)
            batch_ids = set(columns["id"]) if columns else ()
            if columns is None or len(batch_ids) != len(batch) or not own_ids.isdisjoint(batch_ids):
                count += one_by_one(batch, first_line)
                continue
            own_ids |= batch_ids
            count += len(batch)
            self._column_references(references, columns, referenced)
        return count

    def _record_by_record_check(self, member, ids, referenced):
        """(batch, first_line) -> how many records of the batch passed, each checked alone."""
        model, name = member["model"], member["name"]
        check = record_checker(member["fields"])
        references = self._reference_fields(member)
        own_ids = ids[model]

        def check_batch(batch, first_line):
            passed = 0
            for number, record in enumerate(batch, start=first_line):
                try:
                    check(record, lambda number=number: f"{name}, line {number}")
                except BackupFormatError as error:
                    if not self.skip_invalid:
                        raise UserError(self.env._("The backup file is not valid: %s", error)) from None
                    self.invalid[(model, record.get("id"))] = str(error)
                    continue
                if record["id"] in own_ids:
                    raise UserError(
                        self.env._(
                            "The backup file is not valid: %(model)s %(id)s appears twice.",
                            model=model,
                            id=record["id"],
                        )
                    )
                own_ids.add(record["id"])
                passed += 1
                for _name, relation, target_id in self._references(references, record):
                    referenced[relation].add(target_id)
            return passed

        return check_batch

    def _column_references(self, reference_fields, columns, referenced):
        """``_references`` of a batch of checked records, a column at a time."""
        for name, kind, relation, model_field in reference_fields:
            column = columns.get(name)
            if column is None:
                continue
            if kind == "many2one":
                referenced[relation].update(column)
            elif kind in ("many2many", "one2many"):
                referenced[relation].update(itertools.chain.from_iterable(filter(None, column)))
            elif kind == "many2one_reference":
                models = columns.get(model_field) or (None,) * len(column)
                for target_model, target_id in zip(models, column, strict=True):
                    if target_id is not None and target_model in self.scope.rules:
                        referenced[target_model].add(target_id)
            else:  # keyed by ids (analytic distributions): each distinct key once
                keys = set(itertools.chain.from_iterable(value for value in column if type(value) is dict))
                for key in keys:
                    for part in key.split(","):
                        referenced[relation].add(int(part) if part.isdigit() else part)

    def _report_dangling(self, dangling):
        """Name the records that refer to ids the file does not hold: refuse, or mark them skipped."""
        for member in self.members.values():
            references = self._reference_fields(member)
            for record in self.reader.records(member["name"]):
                for name, relation, target_id in self._references(references, record):
                    if target_id not in dangling.get(relation, ()):
                        continue
                    reason = self.env._(
                        "%(field)s refers to %(model)s %(id)s, which is not in the backup",
                        field=name,
                        model=relation,
                        id=target_id,
                    )
                    if not self.skip_invalid:
                        raise UserError(
                            self.env._(
                                "The backup file is not valid: %(model)s %(id)s: %(reason)s.",
                                model=member["model"],
                                id=record["id"],
                                reason=reason,
                            )
                        )
                    self.invalid.setdefault((member["model"], record["id"]), reason)

    @staticmethod
    def _reference_fields(member):
        """(field, type, relation, model field) of the member's fields that refer to records."""
        return [
            (
                name,
                described["type"],
                described.get("relation") or described.get("key_relation"),
                described.get("model_field"),
            )
            for name, described in member["fields"].items()
            if name != "id"
            and (
                described["type"] in ("many2one", "many2one_reference", "many2many", "one2many")
                or described.get("key_relation")
            )
        ]

    def _references(self, reference_fields, record):
        """(field, relation, id) of every reference of ``record`` to a record of the file."""
        for name, kind, relation, model_field in reference_fields:
            value = record.get(name)
            if value is None:
                continue
            if kind == "many2one":
                yield name, relation, value
            elif kind == "many2one_reference":
                if (model := record.get(model_field)) in self.scope.rules:
                    yield name, model, value
            elif kind in ("many2many", "one2many"):
                for item in value:
                    yield name, relation, item
            elif isinstance(value, dict):  # keyed by ids (analytic distributions)
                for key in value:
                    for part in key.split(","):
                        yield name, relation, int(part) if part.isdigit() else part

    def _check_currency(self, report):
        source = self.manifest["source"].get("currency")
        target = self.company.currency_id.name
        report["currency"] = {"backup": source, "company": target}
        if source != target:
            report["errors"].append(
                self.env._(
                    "The backup's currency is %(backup)s but this company's is %(company)s.",
                    backup=source,
                    company=target,
                )
            )

    def _merge_conflicts(self):
        """Journal and account codes of the backup that this company already uses."""
        conflicts = []
        checks = (
            ("account.journal", "code", "code", [("company_id", "=", self.company.id)]),
            ("account.account", "code_store", "code", [("company_ids", "in", self.company.id)]),
        )
        for model, stored, shown, domain in checks:
            name = f"data/{model}.jsonl"
            if name not in self.members:
                continue
            codes = {record.get(stored) for record in self.reader.records(name)} - {None}
            existing = set(self.env[model].with_company(self.company).search(domain).mapped(shown))
            label = self.env[model]._description
            for code in sorted(codes & existing):
                conflicts.append(
                    self.env._("%(kind)s %(code)s already exists in this company.", kind=label, code=code)
                )
        return conflicts

    def _check_lock_dates(self, report):
        company_values = {
            name: self.company[name] for name in LOCK_DATE_FIELDS if name in self.company._fields
        }
        locked = max((value for value in company_values.values() if value), default=None)
        if locked and "data/account.move.jsonl" in self.members:
            before = sum(
                1
                for record in self.reader.records("data/account.move.jsonl")
                if record.get("date") and record["date"] <= odoo_fields.Date.to_string(locked)
            )
            if before:
                report["warnings"].append(
                    self.env._(
                        "%(count)s entries of the backup are dated on or before the lock date %(date)s.",
                        count=before,
                        date=locked,
                    )
                )
        return {
            name: odoo_fields.Date.to_string(value) if value else None
            for name, value in company_values.items()
        }

    # ------------------------------------------------------------------
    # Natural keys
    # ------------------------------------------------------------------
    def _resolve_keys(self):
        """Map every natural key of the file to a record here; return the unresolved ones."""
        source_company = self._source_company_id()
        if source_company:
            self.remap.add(COMPANY_MODEL, source_company, self.company.id)
        unresolved = []
        key_members = {m["model"]: m for m in self.members.values() if m["kind"] == "keys"}
        dependencies = {
            model: {
                name: (described["relation"], True)
                for name, described in member["fields"].items()
                if described.get("relation")
            }
            for model, member in key_members.items()
        }
        order, _deferred = insertion_order(dependencies)
        for model in order:
            member = key_members[model]
            for record in self.reader.records(member["name"]):
                target = self._find_key(model, member, record)
                if target:
                    self.remap.add(model, record["id"], target)
                elif model in RELINKED_KEYS:
                    self.remap.add(model, record["id"], self._restoring_user_value(model))
                else:
                    shown = ", ".join(f"{k}={v!r}" for k, v in record.items() if k != "id")
                    unresolved.append(f"{model} ({shown})")
        return unresolved

    def _source_company_id(self):
        name = f"data/{COMPANY_MODEL}.jsonl"
        if name not in self.members:
            return None
        return next(iter(self.reader.records(name)), {}).get("id")

    def _restoring_user_value(self, model):
        user = self.env.user
        return user.id if model == "res.users" else user.partner_id.id

    def _find_key(self, model, member, record):
        Model = self.env[model].sudo().with_context(active_test=False)
        if model == "res.users":
            user = Model.search([("login", "=", record.get("login"))], limit=1)
            if user and self.company in user.company_ids:
                return user.id
            self.relinked.append(record.get("login") or "?")
            return None
        if model == "res.partner":
            return self._find_partner_key(record)
        domain = []
        for name in member["fields"]:
            if name == "id":
                continue
            value = record.get(name)
            field = Model._fields[name]
            if field.type == "many2one" and value is not None:
                value = self.remap.get(field.comodel_name, value)
                if value is None:
                    return None
            if isinstance(value, dict):
                value = value.get("en_US")
            domain.append((name, "=", value if value is not None else False))
        found = Model.with_context(lang="en_US").search(domain, limit=2)
        return found.id if len(found) == 1 else None

    def _find_partner_key(self, record):
        for user_id in record.get("user_ids") or ():
            user = self.env["res.users"].sudo().browse(self.remap.get("res.users", user_id))
            if user.exists():
                return user.partner_id.id
        if record.get("ref_company_ids"):
            return self.company.partner_id.id
        return None

    # ------------------------------------------------------------------
    # Run: write the records
    # ------------------------------------------------------------------
    def run(self, checked=False):
        """Write the backup into the company (the caller holds the savepoint); return the report.

        ``checked``: the file's records passed a full check already.
        """
        self.env.flush_all()  # the rows are written in SQL: pending ORM writes go first
        report = self.check(records=not checked or self.skip_invalid)
        # Every line is known good: checked here or in the request's check, or made here.
        self.parsed = True
        if not report["ok"]:
            raise UserError(self.env._("The restore was refused:\n%s", "\n".join(report["errors"])))
        if self.mode == "replace":
            defaults = self._company_defaults()
            report["deleted"] = self.env["danger.zone.scope"]._danger_zone_purge(self.company)
        disable_jit(self.cr)
        order, deferred = self._insertion_order()
        pending = defaultdict(list)
        links = defaultdict(list)
        # skipping invalid records needs PostgreSQL to name the bad rows one by one
        self.foreign_keys = ForeignKeyCheck(self.cr, enabled=not self.skip_invalid)
        with _timed("records written"):
            for done, model in enumerate(order):
                self.progress(done, len(order) + 2)
                self._insert_model(model, {name for m, name in deferred if m == model}, pending, links)
        with _timed("references written"):
            self._write_deferred(pending)
            self._write_many2many(links)
        with _timed("foreign keys checked"):
            self._check_foreign_keys()
        self._write_company_settings()
        if self.mode == "replace":
            self._relink_company_defaults(defaults)
        with _timed("numbering, hashes and computed values"):
            self._after_insert(order)
        report["restored"] = dict(self.counts)
        report["warnings"] += self.cleared
        report["skipped"] = [
            {"model": model, "id": record_id, "reason": reason} for model, record_id, reason in self.skipped
        ]
        return report

    def _data_members(self):
        return {
            m["model"]: m
            for m in self.members.values()
            if m["kind"] == "data" and m["model"] != COMPANY_MODEL
        }

    def _insertion_order(self):
        members = self._data_members()
        dependencies = {}
        for model, member in members.items():
            target = self.env[model]._fields
            references = {
                name: (described["relation"], bool(name in target and target[name].required))
                for name, described in member["fields"].items()
                if described["type"] == "many2one"
            }
            if any(PLAN_COLUMN.match(name) for name in member["fields"]) and model != "account.analytic.plan":
                references["__plan_columns"] = ("account.analytic.plan", True)  # named after the plans
            dependencies[model] = references
        timeline = {
            model
            for model, references in dependencies.items()
            if model in DOCUMENT_MODELS or any(r in DOCUMENT_MODELS and req for r, req in references.values())
        }
        for model in DOCUMENT_MODELS:  # documents after every record they may attach to
            if model in dependencies:
                dependencies[model].update(
                    {f"__after_{other}": (other, True) for other in members if other not in timeline}
                )
        try:
            return insertion_order(dependencies)
        except CycleError as error:
            raise UserError(self.env._("The backup cannot be restored: %s", error)) from None

    def _builder(self, model, member, deferred):
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
                columns.append(dataclasses.replace(self._column(field, name in deferred), source=name))
        now = odoo_fields.Datetime.to_string(odoo_fields.Datetime.now())
        constants = {}
        if Model._log_access:
            constants = {
                "create_uid": self.env.uid,
                "write_uid": self.env.uid,
                "create_date": now,
                "write_date": now,
            }
        constants.update(self._missing_defaults(Model, member))
        return RowBuilder(
            model,
            columns,
            self.remap,
            self.company.id,
            sanitize=self._sanitize(Model),
            many2many=many2many,
            constants=constants,
        )

    def _model_tables(self):
        if self._tables is None:
            self._tables = {Model._table for Model in self.env.registry.values() if not Model._abstract}
        return self._tables

    def _column(self, field, deferred):
        required = bool(field.required)
        if field.company_dependent:
            relation = field.comodel_name if field.type == "many2one" else ""
            return Column(field.name, "company_dependent", relation=relation, required=required)
        if field.type == "many2one":
            return Column(
                field.name, "many2one", relation=field.comodel_name, required=required, deferred=deferred
            )
        if field.type == "many2one_reference":
            return Column(field.name, "reference", model_field=field.model_field, required=required)
        if key_relation := self.scope.json_key_relation(field):
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
        defaults = Model.with_company(self.company).default_get(missing) if missing else {}
        absent = [
            name
            for name in missing
            if defaults.get(name) in (None, False) and Model._fields[name].type != "boolean"
        ]
        if absent:
            raise UserError(
                self.env._(
                    "%(model)s requires %(fields)s here, which the backup does not carry.",
                    model=Model._name,
                    fields=", ".join(absent),
                )
            )
        return {name: Model._fields[name].convert_to_column(defaults.get(name), Model) for name in missing}

    def _insert_model(self, model, deferred, pending, links):
        member = self._data_members()[model]
        builder = self._builder(model, member, deferred)
        table = self.env[model]._table
        records = self._records_to_insert(model, member)
        if self.skip_invalid:  # the bad rows are found one COPY at a time
            try:
                self._insert_in_chunks(builder, table, records, pending, links)
            except BackupFormatError as error:
                raise UserError(self.env._("The backup file is not valid: %s", error)) from None
        else:
            self._stream(builder, table, member["count"], records, pending, links)
        if model == "account.analytic.plan":
            self._rename_plan_columns(member)

    def _records_to_insert(self, model, member):
        """The member's records that become new rows: the others are skipped, or matched to
        records this database has. Reads the database before it yields (a COPY may be running)."""
        if model in self.matching_keys and model not in self.matched:
            self.matched[model] = self._existing_keys(model, self.matching_keys[model])
        attached_to_company = self.env._("attached to the company itself, which stays")
        # the member's hash is checked after its last record, before anything commits
        every_record = self.reader.verified_records(member["name"], checked=self.parsed)
        if not (
            model in self.matching_keys
            or model in DOCUMENT_MODELS
            or any(invalid_model == model for invalid_model, _id in self.invalid)
        ):
            return every_record  # each record is written: no test per record

        def records():
            for record in every_record:
                if (model, record["id"]) in self.invalid:
                    self.skipped.append((model, record["id"], self.invalid[(model, record["id"])]))
                elif model in DOCUMENT_MODELS and record.get("res_model") == COMPANY_MODEL:
                    self.skipped.append((model, record["id"], attached_to_company))
                elif not self._match_existing(model, record):
                    yield record

        return records()

    def _insert_in_chunks(self, builder, table, records, pending, links):
        """Skip invalid: chunks of rows, each retried row by row when PostgreSQL refuses it."""
        sequence = self._sequence(table)
        chunk = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= CHUNK:
                self._insert_chunk(builder, table, sequence, chunk, pending, links)
                chunk = []
        if chunk:
            self._insert_chunk(builder, table, sequence, chunk, pending, links)

    def _stream(self, builder, table, count, records, pending, links):
        """Write the model's rows with one COPY, each line made while PostgreSQL writes the lines
        before it (the server works as they arrive). Ids are taken from the sequence first."""
        ids = next_ids(self.cr, self._sequence(table), count)
        written, failure, file_error = [], [], []

        def lines():
            try:
                yield from batches()
            except BackupFormatError as error:  # raised inside the COPY, it would read as a database error
                file_error.append(error)

        def batches():
            records_left, ids_left = iter(records), iter(ids)
            while batch := list(itertools.islice(records_left, ROWS_PER_BATCH)):
                new_ids = list(itertools.islice(ids_left, len(batch)))
                built = builder.rows(new_ids, batch)
                if built is None:  # something is off: row by row, to name the record
                    yield from one_by_one(new_ids, batch)
                    if failure:
                        return
                    continue
                text, deferred = built
                self._remember_batch(builder, new_ids, batch, deferred, pending, links)
                written.extend(new_ids)
                yield text

        def one_by_one(new_ids, batch):
            for new_id, record in zip(new_ids, batch, strict=True):
                try:
                    line, deferred = builder.row(new_id, record)
                except RecordError as error:
                    failure.append((record["id"], str(error)))  # reported once the COPY ends
                    return
                self._remember(builder, new_id, record, deferred, pending, links)
                written.append(new_id)
                yield line

        statement = copy_from_stdin(table, builder.column_names())
        try:
            with self.foreign_keys.deferred(), self.cr.savepoint(flush=False):
                self.cr.copy_expert(statement, LineStream(lines()), size=1 << 20)
        except psycopg2.Error as error:
            raise UserError(
                self.env._(
                    "%(model)s could not be restored: %(error)s",
                    model=builder.model,
                    error=error.diag.message_primary or error,
                )
            ) from None
        if file_error:
            raise UserError(self.env._("The backup file is not valid: %s", file_error[0]))
        if failure:
            self._skip_or_raise(builder.model, *failure[0])
        if written:
            self.foreign_keys.wrote(table, SQL("t.id BETWEEN %s AND %s", min(written), max(written)))
        self.counts[builder.model] = self.counts.get(builder.model, 0) + len(written)

    def _remember(self, builder, new_id, record, deferred, pending, links):
        """``_remember_batch`` for one record and the deferred values ``RowBuilder.row`` gave."""
        deferred = [(column, new_id, old_value) for column, old_value in deferred]
        self._remember_batch(builder, [new_id], [record], deferred, pending, links)

    def _remember_batch(self, builder, new_ids, records, deferred, pending, links):
        """The new ids of written records, and what is written once every record exists."""
        self.remap.mapping(builder.model).update(
            zip(map(operator.itemgetter("id"), records), new_ids, strict=True)
        )
        for column, new_id, old_value in deferred:
            pending[(builder.model, column.name, column.relation)].append((new_id, old_value))
        for new_id, record in zip(new_ids, records, strict=True):
            for name, relation, old_id in builder.many2many_pairs(new_id, record):
                links[(builder.model, name, relation)].append((new_id, old_id))

    def _match_existing(self, model, record):
        """Records of no company that this database already has (same plan, category, attribute...)
        are not copied: the backup's references go to the existing record."""
        keys = self.matching_keys.get(model)
        if not keys or record.get("company_id"):
            return False
        if model not in self.matched:
            self.matched[model] = self._existing_keys(model, keys)
        key = tuple(self._key_value(model, name, record.get(name)) for name in keys)
        existing = self.matched[model].get(key)
        if existing:
            self.remap.add(model, record["id"], existing)
            self.counts[model] = self.counts.get(model, 0) + 1
        return bool(existing)

    def _existing_keys(self, model, keys):
        Model = self.env[model].with_context(active_test=False, lang="en_US")
        domain = [("company_id", "=", False)] if "company_id" in Model._fields else []
        return {
            tuple(
                record[name].id if Model._fields[name].type == "many2one" else record[name] for name in keys
            ): record.id
            for record in Model.search(domain)
        }

    def _key_value(self, model, name, value):
        field = self.env[model]._fields[name]
        if field.type == "many2one":
            return self.remap.get(field.comodel_name, value) if value else False
        if isinstance(value, dict):
            return value.get("en_US", next(iter(value.values()), False))
        return value if value is not None else False

    def _rename_plan_columns(self, member):
        """Each root plan has its column on analytic lines; a plan restored here gets its own."""
        Plan = self.env["account.analytic.plan"]
        Plan._parent_store_compute()  # the plans' columns are named from their hierarchy
        for record in self.reader.records(member["name"]):
            new_id = self.remap.get(Plan._name, record["id"])
            if not new_id or record.get("parent_id"):
                continue
            plan = Plan.browse(new_id)
            plan.invalidate_recordset()
            plan._sync_all_plan_column()  # creates the column of a new plan; no-op for an existing one
            self.renamed[f"x_plan{record['id']}_id"] = plan._strict_column_name()

    def _sequence(self, table):
        self.cr.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        return self.cr.fetchone()[0]

    def _insert_chunk(self, builder, table, sequence, records, pending, links):
        new_ids = next_ids(self.cr, sequence, len(records))
        lines, rows = [], []
        for new_id, record in zip(new_ids, records, strict=True):
            try:
                line, deferred = builder.row(new_id, record)
            except RecordError as error:
                self._skip_or_raise(builder.model, record["id"], str(error))
                continue
            lines.append(line)
            rows.append((new_id, record, deferred))
        self._copy(builder, table, lines, rows)
        for new_id, record, deferred in rows:
            self._remember(builder, new_id, record, deferred, pending, links)
        self.counts[builder.model] = self.counts.get(builder.model, 0) + len(rows)

    def _copy(self, builder, table, lines, rows):
        """COPY the lines into the table (skip invalid); when PostgreSQL refuses them, retry one by
        one to find the bad rows (``rows`` then keeps only those written)."""
        statement = copy_from_stdin(table, builder.column_names())
        try:
            with self.cr.savepoint(flush=False):
                self.cr.copy_expert(statement, io.StringIO("".join(lines)))
            return
        except psycopg2.Error:
            pass  # found row by row below
        kept = []
        for line, row in zip(lines, rows, strict=True):
            try:
                with self.cr.savepoint(flush=False):
                    self.cr.copy_expert(statement, io.StringIO(line))
                kept.append(row)
            except psycopg2.Error as error:
                self.skipped.append((builder.model, row[1]["id"], error.diag.message_primary or str(error)))
        rows[:] = kept

    def _skip_or_raise(self, model, record_id, reason):
        if not self.skip_invalid:
            raise UserError(
                self.env._(
                    "%(model)s %(id)s of the backup could not be restored: %(reason)s",
                    model=model,
                    id=record_id,
                    reason=reason,
                )
            )
        self.skipped.append((model, record_id, reason))

    def _write_deferred(self, pending):
        """Forward and self references, once every record has its new id."""
        for (model, name, relation), pairs in pending.items():
            values = []
            for new_id, old_value in pairs:
                target = self.remap.get(relation, old_value)
                if target is None:  # only when skipping: the reference stays empty
                    self.cleared.append(
                        self.env._(
                            "%(model)s %(id)s: %(field)s pointed to a skipped record",
                            model=model,
                            id=new_id,
                            field=name,
                        )
                    )
                    continue
                values.append((new_id, target))
            self._update_column(self.env[model]._table, name, values)

    def _load_pairs(self, values):
        """Put (a, b) integer pairs in the temporary table danger_zone_pairs, for one set-based write."""
        self.cr.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS danger_zone_pairs (a integer, b integer) ON COMMIT DROP"
        )
        self.cr.execute("TRUNCATE danger_zone_pairs")
        lines = "".join(f"{a}\t{b}\n" for a, b in values)
        self.cr.copy_expert("COPY danger_zone_pairs (a, b) FROM STDIN", io.StringIO(lines))

    def _update_column(self, table, column, values):
        if not values:
            return
        self._load_pairs(values)
        with self.foreign_keys.deferred():  # the rows are checked with the table's other rows
            self.cr.execute(
                SQL(
                    "UPDATE %s t SET %s = p.b FROM danger_zone_pairs p WHERE t.id = p.a",
                    SQL.identifier(table),
                    SQL.identifier(column),
                )
            )

    def _write_many2many(self, links):
        for (model, name, relation), pairs in links.items():
            field = self.env[model]._fields[name]
            values = [(new_id, self.remap.get(relation, old_id)) for new_id, old_id in pairs]
            values = [(a, b) for a, b in values if b is not None]
            if not values:
                continue
            self._load_pairs(values)
            with self.foreign_keys.deferred():
                self.cr.execute(
                    SQL(
                        "INSERT INTO %s (%s, %s) SELECT DISTINCT a, b FROM danger_zone_pairs"
                        " ON CONFLICT DO NOTHING",
                        SQL.identifier(field.relation),
                        SQL.identifier(field.column1),
                        SQL.identifier(field.column2),
                    )
                )
            low, high = min(a for a, _b in values), max(a for a, _b in values)
            condition = SQL("t.%s BETWEEN %s AND %s", SQL.identifier(field.column1), low, high)
            self.foreign_keys.wrote(field.relation, condition)

    def _check_foreign_keys(self):
        """The references PostgreSQL did not check row by row, checked per table (foreign_keys.py)."""
        broken = self.foreign_keys.check()
        if broken:
            raise UserError(
                self.env._(
                    "The restored records refer to records that do not exist: %s",
                    "; ".join(
                        f"{table}.{column} -> {target} {', '.join(map(str, values))}"
                        for table, column, target, values in broken
                    ),
                )
            )

    def _write_company_settings(self):
        """The company's business settings from the backup, references remapped; identity untouched."""
        member = self.members.get(f"data/{COMPANY_MODEL}.jsonl")
        if not member:
            return
        record = next(iter(self.reader.records(member["name"])))
        allowed = set(self.env["danger.zone.scope"]._danger_zone_company_settings(self.company))
        Company = self.env[COMPANY_MODEL]
        builder = RowBuilder(COMPANY_MODEL, [], self.remap, self.company.id)
        assignments = []
        for name in sorted(set(member["fields"]) & allowed):
            column = self._column(Company._fields[name], deferred=False)
            value = record.get(name)
            if name == "hard_lock_date" and self.company.hard_lock_date:
                value = max(value or "", odoo_fields.Date.to_string(self.company.hard_lock_date))
            try:
                converted = builder.convert(column, value, record)
            except RecordError as error:
                self._skip_or_raise(COMPANY_MODEL, record["id"], str(error))
                continue
            assignments.append(
                SQL(
                    "%s = %s",
                    SQL.identifier(name),
                    Json(converted) if isinstance(converted, dict) else converted,
                )
            )
        if assignments:
            self.cr.execute(
                SQL("UPDATE res_company SET %s WHERE id = %s", SQL(", ").join(assignments), self.company.id)
            )

    def _company_defaults(self):
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
        defaults = []
        for default_id, relation, json_value in self.cr.fetchall():
            record = (
                self.env[relation].with_company(self.company).browse(json.loads(json_value or "null") or [])
            )
            if len(record) == 1 and record.exists():
                defaults.append((default_id, relation, record.id, record.code))
        return defaults

    def _relink_company_defaults(self, defaults):
        for default_id, relation, old_id, code in defaults:
            Model = self.env[relation].with_company(self.company)
            if Model.browse(old_id).exists():
                continue  # kept by the purge
            domain = [
                ("company_ids" if relation == "account.account" else "company_id", "in", self.company.id)
            ]
            replacement = Model.search([*domain, ("code", "=", code)], limit=1)
            if replacement:
                self.cr.execute(
                    "UPDATE ir_default SET json_value = %s WHERE id = %s",
                    [json.dumps(replacement.id), default_id],
                )
            else:
                self.cr.execute("DELETE FROM ir_default WHERE id = %s", [default_id])
                self.cleared.append(
                    self.env._(
                        "The default %(model)s %(code)s is gone: no restored record has its code.",
                        model=relation,
                        code=code,
                    )
                )

    def _after_insert(self, order):
        """Rebuild what derives from ids, then let the ORM see the new rows."""
        self._write_attachment_files()
        for model in order:
            Model = self.env[model]
            if Model._parent_store:
                Model.sudo()._parent_store_compute()
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        self.env["danger.zone.scope"]._danger_zone_after_restore(self.company, self.remap, order)

    def _write_attachment_files(self):
        """Files travel by checksum: write each into the filestore and link its attachments."""
        checksums = set(self.reader.file_checksums())
        if not checksums or "ir.attachment" not in self.counts:
            return
        Attachment = self.env["ir.attachment"].sudo()
        new_ids = list(self.remap.mapping("ir.attachment").values())
        for attachment in Attachment.browse(new_ids):
            checksum = attachment.checksum
            if checksum not in checksums:
                continue
            content = self.reader.read_file(checksum)
            self.cr.execute(
                "UPDATE ir_attachment SET store_fname = %s, file_size = %s WHERE id = %s",
                [Attachment._file_write(content, checksum), len(content), attachment.id],
            )


class LineStream(io.TextIOBase):
    """A file whose ``read`` takes text from an iterator of lines, for ``COPY ... FROM STDIN``."""

    def __init__(self, lines):
        super().__init__()
        self._lines = lines
        self._rest = ""

    def readable(self):
        return True

    # a file's read, which psycopg2 calls, not the ORM's
    def read(self, size=-1):  # pylint: disable=method-required-super
        parts, length = [self._rest], len(self._rest)
        while size < 0 or length < size:
            line = next(self._lines, None)
            if line is None:
                break
            parts.append(line)
            length += len(line)
        text = "".join(parts)
        if size < 0:
            self._rest = ""
            return text
        self._rest = text[size:]
        return text[:size]
