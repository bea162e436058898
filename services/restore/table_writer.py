"""The table writer of a restore: each model's records become rows with ``COPY``, new ids from
the table's sequence; forward references and many2many links are kept for later."""

import io
import itertools
from array import array
from collections import defaultdict

import psycopg2

from odoo.exceptions import UserError
from odoo.tools import SQL

from ...engine import BackupFormatError, CycleError, RecordError, insertion_order
from ...engine.reader import RecordBatch
from ...engine.record_table import IdPairs, IdRuns
from ..scope_rules import COMPANY_MODEL, document_field
from ..sql import LineStream, copy_from_stdin, next_ids
from .columns import PLAN_COLUMN
from .context import Trust
from .record_check import ROWS_PER_BATCH
from .table_constraints import columns_needed_at_insert
from .unique_values import UniqueValues

CHUNK = 5000  # rows per COPY when invalid records are skipped
# Timeline and files attach to any record: they are written after every other model, as are
# the records of any model that names a record by model and id (an event's res_model/res_id).
DOCUMENT_MODELS = ("mail.message", "mail.followers", "mail.activity", "ir.attachment")


class TableWriter:
    def __init__(self, context, columns, keys, watchers=()):
        self.context = context
        self.watchers = watchers  # BookFigures, StockFigures: see the records as they go
        self.env = context.env
        self.cr = context.cr
        self.columns = columns
        self.keys = keys
        self.pending = defaultdict(IdPairs)  # (model, field, relation) -> (new id, backup id), written later
        self.links = defaultdict(IdPairs)  # (model, field, relation) -> (new id, backup id) of many2many
        self.unique_values = UniqueValues(context, keys.relinked_ids)
        self.on_matched = {}  # document model -> how many were left out: on a matched record
        self.written = defaultdict(IdRuns)  # model -> ids of the rows written (not matched ones)

    def insertion_order(self):
        """(models in the order their rows are written, (model, field) written afterwards)."""
        members = self.context.data_members()
        dependencies = {model: self._dependencies(model, member) for model, member in members.items()}
        documents = set(DOCUMENT_MODELS) | {
            model
            for model, member in members.items()
            if any(field["type"] == "many2one_reference" for field in member["fields"].values())
        }
        timeline = {
            model
            for model, references in dependencies.items()
            if model in documents or any(r in documents and req for r, req in references.values())
        }
        for model in documents:  # documents after every record they may attach to
            if model in dependencies:
                dependencies[model].update(
                    {f"__after_{other}": (other, True) for other in members if other not in timeline}
                )
        try:
            sizes = {model: member["count"] for model, member in members.items()}
            return insertion_order(dependencies, sizes)
        except CycleError as error:
            raise UserError(self.env._("The backup cannot be restored: %s", error)) from None

    def _dependencies(self, model, member):
        """field -> (model it refers to, whether the reference is required here: by the field, or
        by the table, which a row written without it and updated afterwards would break)."""
        target = self.env[model]._fields
        needed = columns_needed_at_insert(self.cr, self.env[model]._table)
        references = {
            name: (
                described["relation"],
                bool(name in target and (target[name].required or (target[name].store and name in needed))),
            )
            for name, described in member["fields"].items()
            if described["type"] == "many2one"
        }
        if any(PLAN_COLUMN.match(name) for name in member["fields"]) and model != "account.analytic.plan":
            references["__plan_columns"] = ("account.analytic.plan", True)  # named after the plans
        return references

    def rows_per_table(self):
        """{table: rows written} of the models' tables and their many2many links' tables."""
        rows = defaultdict(int)
        for model, ids in self.written.items():
            rows[self.env[model]._table] += len(ids)
        for (model, name, _relation), pairs in self.links.items():
            rows[self.env[model]._fields[name].relation] += len(pairs)
        return dict(rows)

    def insert_model(self, model, deferred):
        """Write the file's records of ``model``; ``deferred``: its fields written afterwards."""
        member = self.context.data_members()[model]
        builder = self.columns.builder(model, member, deferred)
        table = self.env[model]._table
        batches = self._batches_to_insert(model, member)
        for watcher in self.watchers:
            batches = watcher.watch(model, batches)
        if self.context.skip_invalid:  # the bad rows are found one COPY at a time
            records = itertools.chain.from_iterable(batch.records() for batch in batches)
            with self.context.format_errors():
                self._insert_in_chunks(builder, table, records)
        else:
            self._stream(builder, table, member["count"], batches)
        if model == "account.analytic.plan":
            self.columns.rename_plan_columns(member)

    def _batches_to_insert(self, model, member):
        """The member's records that become new rows, in ``RecordBatch``es: the others are
        skipped, or matched to records this database has. Reads the database before it yields
        (a COPY may be running)."""
        context = self.context
        self.keys.load_existing(model)
        # the member's hash is checked after its last record, before anything commits
        every_batch = context.reader.verified_batches(
            member["name"], ROWS_PER_BATCH, checked=context.trust is Trust.PROVEN
        )
        fit = self.unique_values.fitter(model, member)
        matched_parents = self.keys.matched_parents(model)
        document = document_field(self.env[model])
        if not (
            fit
            or matched_parents
            or document
            or self.keys.matches(model)
            or model in DOCUMENT_MODELS
            or any(invalid_model == model for invalid_model, _id in context.invalid)
        ):
            return every_batch  # each record is written: no test per record
        attached_to_company = self.env._("attached to the company itself, which stays")

        def kept(records):
            for record in records:
                if (model, record["id"]) in context.invalid:
                    context.skipped.append((model, record["id"], context.invalid[(model, record["id"])]))
                elif model in DOCUMENT_MODELS and record.get("res_model") == COMPANY_MODEL:
                    context.skipped.append((model, record["id"], attached_to_company))
                elif matched_parents and self.keys.belongs_to_matched(model, record, matched_parents):
                    continue
                elif document and self._on_matched_record(model, record, document):
                    continue
                elif not self.keys.match_existing(model, record):
                    if fit is None:
                        yield record
                    elif (fitted := fit(record)) is not None:
                        yield fitted

        batches = (RecordBatch(None, list(kept(batch.records()))) for batch in every_batch)
        return (batch for batch in batches if len(batch))

    def _on_matched_record(self, model, record, document):
        """Whether ``record``, a document (a message, an attachment...), attaches to a record of
        the file matched to one this database has. That record keeps its own timeline: the
        document is left out, and so is what belongs to it (a message's tracking values)."""
        target = record.get(document.model_field)
        if record.get(document.name) not in self.keys.matched_ids.get(target, ()):
            return False
        self.keys.matched_ids.setdefault(model, set()).add(record["id"])
        self.on_matched[model] = self.on_matched.get(model, 0) + 1
        self._count(model, 1)  # accounted for, as the records of matched ones are
        return True

    def left_out_report(self):
        """Warnings on the documents left out because their record was matched."""
        return [
            self.env._(
                "%(model)s: %(count)s records left out: they attach to records that this database"
                " has already, which keep their own.",
                model=model,
                count=count,
            )
            for model, count in sorted(self.on_matched.items())
        ]

    def _stream(self, builder, table, count, batches):
        """Write the model's rows with one COPY, each line made while PostgreSQL writes the lines
        before it (the server works as they arrive). Ids are taken from the sequence first."""
        feed = _CopyFeed(self, builder, next_ids(self.cr, self._sequence(table), count), batches)
        self._copy_stream(builder, table, feed.lines())
        if feed.file_error:
            with self.context.format_errors():
                raise feed.file_error
        if feed.failure:
            self.context.skip_or_raise(builder.model, *feed.failure)
        self.written[builder.model].extend(feed.written)
        if written := feed.written:
            self.context.foreign_keys.wrote(table, SQL("t.id BETWEEN %s AND %s", min(written), max(written)))
        self._count(builder.model, len(written))

    def _copy_stream(self, builder, table, lines):
        statement = copy_from_stdin(table, builder.column_names())
        try:
            with self.context.foreign_keys.deferred(), self.cr.savepoint(flush=False):
                self.cr.copy_expert(statement, LineStream(lines), size=1 << 20)
        except psycopg2.Error as error:
            raise UserError(
                self.env._(
                    "%(model)s could not be restored: %(error)s",
                    model=builder.model,
                    error=error.diag.message_primary or error,
                )
            ) from None

    def _count(self, model, written):
        self.context.counts[model] = self.context.counts.get(model, 0) + written

    def _remember(self, builder, new_id, record, deferred):
        """``_remember_batch`` for one record and the deferred values ``RowBuilder.row`` gave."""
        deferred = [(column, new_id, old_value) for column, old_value in deferred]
        self._remember_batch(builder, [new_id], RecordBatch(None, [record]), deferred)

    def _remember_batch(self, builder, new_ids, batch, deferred):
        """The new ids of a ``RecordBatch``'s written records, and what is written once every
        record exists."""
        self.context.remap.mapping(builder.model).update(zip(batch.values("id"), new_ids, strict=True))
        for column, new_id, old_value in deferred:
            self.pending[(builder.model, column.name, column.relation)].append((new_id, old_value))
        for name, relation, new_id, old_id in builder.many2many_links(new_ids, batch):
            self.links[(builder.model, name, relation)].append((new_id, old_id))

    def _sequence(self, table):
        self.cr.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        return self.cr.fetchone()[0]

    # ------------------------------------------------------------------
    # Skipping invalid records: chunks, each retried row by row when PostgreSQL refuses it
    # ------------------------------------------------------------------
    def _insert_in_chunks(self, builder, table, records):
        sequence, records = self._sequence(table), iter(records)
        while chunk := list(itertools.islice(records, CHUNK)):
            self._insert_chunk(builder, table, sequence, chunk)

    def _insert_chunk(self, builder, table, sequence, records):
        new_ids = next_ids(self.cr, sequence, len(records))
        lines, rows = [], []
        for new_id, record in zip(new_ids, records, strict=True):
            try:
                line, deferred = builder.row(new_id, record)
            except RecordError as error:
                self.context.skip_or_raise(builder.model, record["id"], str(error))
                continue
            lines.append(line)
            rows.append((new_id, record, deferred))
        self._copy(builder, table, lines, rows)
        for new_id, record, deferred in rows:
            self._remember(builder, new_id, record, deferred)
        self.written[builder.model].extend(new_id for new_id, _record, _deferred in rows)
        self._count(builder.model, len(rows))

    def _copy(self, builder, table, lines, rows):
        """COPY the lines into the table; when PostgreSQL refuses them, retry one by one to find
        the bad rows (``rows`` then keeps only those written)."""
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
                self.context.skipped.append(
                    (builder.model, row[1]["id"], error.diag.message_primary or str(error))
                )
        rows[:] = kept


class _CopyFeed:
    """The lines of one model's COPY, made a batch at a time while PostgreSQL writes the lines
    before them. A problem stops the lines and is kept, to be raised once the COPY ends:
    raised inside it, it would read as a database error."""

    def __init__(self, writer, builder, ids, batches):
        self.writer = writer
        self.builder = builder
        self.ids = ids
        self.batches = batches
        self.written = array("q")  # new ids of the rows sent
        self.failure = None  # (backup id, reason) of a record that cannot be written
        self.file_error = None  # a BackupFormatError met while reading the member

    def lines(self):
        try:
            yield from self._batches()
        except BackupFormatError as error:
            self.file_error = error

    def _batches(self):
        ids_left = iter(self.ids)
        for batch in self.batches:
            new_ids = list(itertools.islice(ids_left, len(batch)))
            built = self.builder.rows(new_ids, batch)
            if built is None:  # something is off: row by row, to name the record
                yield from self._one_by_one(new_ids, batch.records())
                if self.failure:
                    return
                continue
            text, deferred = built
            self.writer._remember_batch(self.builder, new_ids, batch, deferred)
            self.written.extend(new_ids)
            yield text

    def _one_by_one(self, new_ids, batch):
        for new_id, record in zip(new_ids, batch, strict=True):
            try:
                line, deferred = self.builder.row(new_id, record)
            except RecordError as error:
                self.failure = (record["id"], str(error))
                return
            self.writer._remember(self.builder, new_id, record, deferred)
            self.written.append(new_id)
            yield line
