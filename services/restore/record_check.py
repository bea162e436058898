"""Every record of a file from elsewhere: values of the types their fields declare, references
inside the file. Memory holds the ids of the file and the ids referred to, never the references
themselves: the records behind a dangling reference are looked for in a second pass, only when
there is one."""

import gc
import itertools
from collections import defaultdict
from contextlib import contextmanager

from odoo.exceptions import UserError

from ...engine import BackupFormatError
from ...engine.record_table import IdSet
from ...engine.validation import columns_checker, record_checker
from ..scope_rules import COMPANY_MODEL, MAGIC_FIELDS
from .book_check import BookCheck
from .order_check import OrderCheck
from .table_constraints import SHOWN, ConstraintRows, not_null_columns
from .unique_values import fitted_columns

ROWS_PER_BATCH = 1000  # records checked, and turned into COPY lines, a column at a time


@contextmanager
def cycle_collector_paused():
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


def reference_fields(member):
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


# The relation of a document's ``res_id`` (``("document", model)``): it must name a data record
# of the file, which the restore writes, never a key (a user) nor the company itself.
DOCUMENT = "document"


class RecordCheck:
    def __init__(self, context, columns, keys):
        self.context = context
        self.env = context.env
        self.columns = columns
        self.keys = keys
        self.data_models = set()  # the models of the data members checked (the company's left out)
        self.books = BookCheck(context.env, context.company, lambda: context.records("account.move"))
        self.orders = OrderCheck(context.env, context.company.currency_id)

    def run(self):
        """Check every record; count each data member's good records in the report, and note
        the invalid ones (``context.invalid``) when they may be skipped."""
        context = self.context
        ids, referenced = defaultdict(IdSet), defaultdict(IdSet)
        self.books.set_currencies(self._currency_roundings())
        self.books.set_countries(self._country_codes())
        with cycle_collector_paused(), context.format_errors():
            for member in context.members.values():
                count = self._check_member(member, ids, referenced)
                if member["kind"] == "data" and member["model"] != COMPANY_MODEL:
                    context.report.counts[member["model"]] = count
            dangling = {
                relation: self._unknown(ids, relation, targets) for relation, targets in referenced.items()
            }
            if any(dangling.values()):
                self._report_dangling(
                    {relation: targets for relation, targets in dangling.items() if targets}
                )
            self._check_books(ids["account.move.line"])
        context.report.skipped = [
            {"model": model, "id": record_id, "reason": reason}
            for (model, record_id), reason in sorted(context.invalid.items(), key=str)
        ]

    def _currency_roundings(self):
        """File id of each currency of the file -> the rounding this database has for it (by
        its code)."""
        codes = self._key_texts("res.currency", "name")
        currencies = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", list(set(codes.values())))])
        )
        rounding = {currency.name: currency.rounding for currency in currencies}
        return {file_id: rounding[code] for file_id, code in codes.items() if code in rounding}

    def _country_codes(self):
        """File id of each country of the file -> its code (the restore matches countries by it)."""
        return self._key_texts("res.country", "code")

    def _key_texts(self, model, field):
        """File id -> the text ``field`` of each key record of ``model`` (read before the member
        is checked, so only well-formed values count)."""
        return {
            record["id"]: record[field]
            for record in self.context.records(model, "keys")
            if type(record.get("id")) is int and isinstance(record.get(field), str)
        }

    def _unknown(self, ids, relation, targets):
        """The ids of ``targets`` that a reference to ``relation`` may not name: those not among
        the file's records of that model, or for a document (``(DOCUMENT, model)``) not among its
        data records (worked out from the keys, which are few, rather than kept as another set
        of every data id)."""
        if not isinstance(relation, tuple):
            return targets - ids[relation]
        model = relation[1]
        if model not in self.data_models:
            return set(targets)
        return (targets - ids[model]) | {key for key in self._key_ids(model) if key in targets}

    def _check_member(self, member, ids, referenced):
        """Check each record of one member, add its ids to ``ids`` and the ids it refers to to
        ``referenced`` (relation -> IdSet); return how many records passed.

        Records are checked ``ROWS_PER_BATCH`` at a time, a column at a time; a batch with
        anything off is checked again record by record, which names the record at fault.
        """
        written = member["kind"] == "data" and member["model"] != COMPANY_MODEL
        required = self._required(member) if written else ()
        rows = self._constraint_rows(member) if written else None
        columns_of = columns_checker(member["fields"], required)
        one_by_one = self._record_by_record_check(member, ids, referenced, required, rows)
        references = reference_fields(member)
        own_ids, count, lines_read = ids[member["model"]], 0, 0
        for batch in self.context.reader.verified_batches(member["name"], ROWS_PER_BATCH):
            first_line, lines_read = lines_read + 1, lines_read + len(batch)
            columns = columns_of(batch)
            batch_ids = set(columns["id"]) if columns else ()
            if columns is None or len(batch_ids) != len(batch) or not own_ids.isdisjoint(batch_ids):
                count += one_by_one(batch.records(), first_line)
                continue
            own_ids.update(batch_ids)
            count += len(batch)
            self._column_references(references, columns, referenced)
            if rows:
                rows.add_columns(columns, len(batch))
            if written:
                for check in self._derived_checks(member["model"]):
                    check.add_columns(member["model"], columns)
        if written:
            self.data_models.add(member["model"])
        if rows:
            count -= self._check_constraints(member["model"], rows)
        return count

    def _required(self, member):
        """The member's fields that must have a value here: required, or NOT NULL in the table."""
        Model = self.env[member["model"]]
        not_null = not_null_columns(self.context.cr, Model._table)
        return tuple(
            name
            for name in member["fields"]
            if name in Model._fields
            and name not in MAGIC_FIELDS
            and name != "id"
            and Model._fields[name].store
            and Model._fields[name].column_type
            and (Model._fields[name].required or name in not_null)
        )

    def _constraint_rows(self, member):
        """The rows the table constraints of the member's model are checked on, or None for a
        model whose records may be matched to existing ones rather than written."""
        if self.keys.may_match(member["model"]):
            return None
        Model = self.env[member["model"]]
        rows = ConstraintRows(
            self.context.cr, Model, member, self.columns.constants(Model, member), fitted_columns(Model)
        )
        return rows if rows.constraints else None

    def _check_constraints(self, model, rows):
        """Refuse the records that break a constraint of the model's table, or mark them skipped;
        return how many were skipped."""
        skipped = 0
        for constraint, file_ids in rows.broken(limit=None if self.context.skip_invalid else SHOWN):
            reason = self._broken_reason(rows.Model, constraint)
            if not self.context.skip_invalid:
                raise UserError(
                    self.env._(
                        "The backup file is not valid: %(model)s %(ids)s: %(reason)s.",
                        model=model,
                        ids=", ".join(map(str, file_ids)),
                        reason=reason,
                    )
                )
            for file_id in file_ids:
                if (model, file_id) not in self.context.invalid:
                    self.context.invalid[(model, file_id)] = reason
                    skipped += 1
        return skipped

    def _broken_reason(self, Model, constraint):
        if constraint.keys:
            return self.env._(
                "they repeat the %(keys)s of another record of the backup, which the unique index"
                " %(index)s of this database forbids",
                keys=", ".join(constraint.keys),
                index=constraint.name,
            )
        messages = {f"{Model._table}_{key}": message for key, _definition, message in Model._sql_constraints}
        return self.env._(
            "they break the constraint %(constraint)s of this database (%(rule)s)",
            constraint=constraint.name,
            rule=messages.get(constraint.name) or constraint.check,
        )

    def _derived_checks(self, model):
        """The checks of values Odoo derives that take the records of ``model``."""
        return [check for check in (self.books, self.orders) if model in check.MODELS]

    def _check_books(self, line_ids):
        """Refuse a file whose journal entries or orders break a rule Odoo keeps (book_check.py,
        order_check.py), or skip those records (what needs them goes with them)."""
        faults = {**self.books.faulty_entries(line_ids), **self.orders.faults()}
        for (model, file_id), reason in faults.items():
            if not self.context.skip_invalid:
                raise UserError(
                    self.env._(
                        "The backup file is not valid: %(model)s %(id)s: %(reason)s.",
                        model=model,
                        id=file_id,
                        reason=reason,
                    )
                )
            if (model, file_id) not in self.context.invalid:
                self.context.invalid[(model, file_id)] = reason
                if model in self.context.report.counts:
                    self.context.report.counts[model] -= 1

    def _key_ids(self, model):
        """The ids of the file's key records of ``model`` (users' partners beside the data's)."""
        member = self.context.member(model, "keys")
        if not member:
            return set()
        # read before that member is checked (which refuses a malformed id): valid ids only
        records = self.context.reader.records(member["name"])
        return {record["id"] for record in records if type(record.get("id")) is int}

    def _record_by_record_check(self, member, ids, referenced, required, rows):
        """(batch, first_line) -> how many records of the batch passed, each checked alone."""
        model, name = member["model"], member["name"]
        check = record_checker(member["fields"], required)
        references = reference_fields(member)
        own_ids = ids[model]

        def check_batch(batch, first_line):
            passed = 0
            for number, record in enumerate(batch, start=first_line):
                if not self._record_passes(
                    check, model, record, lambda number=number: f"{name}, line {number}"
                ):
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
                for _name, relation, target_id in self.references(references, record):
                    referenced[relation].add(target_id)
                if rows:
                    rows.add_record(record)
                if member["kind"] == "data":
                    for derived in self._derived_checks(model):
                        derived.add_record(model, record)
            return passed

        return check_batch

    def _record_passes(self, check, model, record, where):
        try:
            check(record, where)
        except BackupFormatError as error:
            if not self.context.skip_invalid:
                raise
            self.context.invalid[(model, record.get("id"))] = str(error)
            return False
        return True

    def _column_references(self, reference_fields, columns, referenced):
        """``references`` of a batch of checked records, a column at a time."""
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
                    if target_id is not None and target_model:
                        referenced[DOCUMENT, target_model].add(target_id)
            else:  # keyed by ids (analytic distributions): each distinct key once
                keys = set(itertools.chain.from_iterable(value for value in column if type(value) is dict))
                for key in keys:
                    for part in key.split(","):
                        referenced[relation].add(int(part) if part.isdigit() else part)

    def _report_dangling(self, dangling):
        """Name the records that refer to ids the file does not hold: refuse, or mark them skipped."""
        for member in self.context.members.values():
            references = reference_fields(member)
            for record in self.context.reader.records(member["name"]):
                for name, relation, target_id in self.references(references, record):
                    if target_id not in dangling.get(relation, ()):
                        continue
                    reason = self._dangling_reason(name, relation, target_id)
                    if not self.context.skip_invalid:
                        raise UserError(
                            self.env._(
                                "The backup file is not valid: %(model)s %(id)s: %(reason)s.",
                                model=member["model"],
                                id=record["id"],
                                reason=reason,
                            )
                        )
                    self.context.invalid.setdefault((member["model"], record["id"]), reason)

    def _dangling_reason(self, field, relation, target_id):
        if isinstance(relation, tuple):
            return self.env._(
                "%(field)s attaches it to %(model)s %(id)s, which is no record that the restore writes"
                " (documents attach only to the backup's own records)",
                field=field,
                model=relation[1],
                id=target_id,
            )
        return self.env._(
            "%(field)s refers to %(model)s %(id)s, which is not in the backup",
            field=field,
            model=relation,
            id=target_id,
        )

    def references(self, reference_fields, record):
        """(field, relation, id) of every reference of ``record`` to a record of the file."""
        for name, kind, relation, model_field in reference_fields:
            value = record.get(name)
            if value is None:
                continue
            if kind == "many2one":
                yield name, relation, value
            elif kind == "many2one_reference":
                if model := record.get(model_field):
                    yield name, (DOCUMENT, model), value
            elif kind in ("many2many", "one2many"):
                for item in value:
                    yield name, relation, item
            elif isinstance(value, dict):  # keyed by ids (analytic distributions)
                for key in value:
                    for part in key.split(","):
                        yield name, relation, int(part) if part.isdigit() else part
