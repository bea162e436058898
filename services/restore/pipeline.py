"""A restore as a chain of named phases, each timed the same way.

Checking (``check``, also the pre-flight report): check the file, resolve keys, check the
database. Writing (``run``): the check again, then purge, write tables, write deferred
references, check foreign keys, write company settings, finish. Each phase is one small
method that an extension may override, as OCA connector's synchronizers are built.
"""

from odoo.exceptions import UserError

from ..sql import disable_jit
from .book_figures import BookFigures
from .columns import ColumnMapping
from .company import CompanySettings
from .context import RestoreContext, Trust, shown, timed
from .database_check import DatabaseCheck
from .file_check import FileCheck
from .foreign_keys import ForeignKeyCheck
from .keys import KeyResolver
from .model_rules import ModelRules
from .references import ReferenceWriter
from .statistics import analyze_changed_tables
from .stock_figures import StockFigures
from .table_writer import TableWriter

TRIES = 3  # restores of one file, each leaving out more records that break their models' rules


class BrokenRules(Exception):
    """Records that break their models' rules, found after writing, to be left out by a new try."""

    def __init__(self, faults):
        super().__init__(faults)
        self.faults = faults


class RestorePipeline:
    """One restore of a backup ``reader`` into ``company`` (``mode``: replace or merge)."""

    def __init__(self, env, company, reader, mode="replace", skip_invalid=False, progress=None, invalid=None):
        self.context = context = RestoreContext(env, company, reader, mode, skip_invalid, progress, invalid)
        self.env = env
        self.columns = ColumnMapping(context)
        self.keys = KeyResolver(context)
        self.company_settings = CompanySettings(context, self.columns)
        self.figures = BookFigures(context)
        self.stock = StockFigures(context)
        self.writer = TableWriter(context, self.columns, self.keys, (self.figures, self.stock))
        self.references = ReferenceWriter(context)
        self.order = []  # models in the order their rows were written
        self.tries = 1

    # ------------------------------------------------------------------
    # Check: read everything, write nothing
    # ------------------------------------------------------------------
    def check(self, records=True):
        """Return the pre-flight report; raise UserError when the file itself is unacceptable.

        ``records=False`` trusts the values and references of a file that a full check
        accepted already (a queued job's own copy): only the database's side is checked
        again. A file this database signed is trusted the same way once its hashes match.
        Files from elsewhere have every record checked (see ``Trust``).
        """
        with timed("check the file"):
            FileCheck(self.context, self.columns, self.keys).run(proven=not records)
        if not self.context.report.errors:
            self._check_order()
        if self.context.report.errors:
            return self.context.report.as_dict()
        with timed("resolve keys"):
            self._resolve_keys()
        with timed("check the database"):
            DatabaseCheck(self.context).run()
        return self.context.report.as_dict()

    def _check_order(self):
        """Refuse a file whose records cannot be written in any order (required references in a
        cycle), before anything is: the writer would."""
        try:
            self.writer.insertion_order()
        except UserError as error:
            self.context.report.errors.append(error.args[0])

    def _resolve_keys(self):
        report = self.context.report
        report.unresolved_keys = self.keys.resolve()
        report.errors += [
            self.env._(
                "Install %(module)s: it provides %(records)s.", module=module, records="; ".join(records)
            )
            for module, records in sorted(self.keys.providers.items())
        ]
        if report.unresolved_keys:
            report.errors.append(
                self.env._(
                    "Records of the backup not found in this database: %s", "; ".join(report.unresolved_keys)
                )
            )
        if self.keys.relinked:
            report.warnings.append(
                self.env._(
                    "Users relinked to you (no access to this company here): %s",
                    ", ".join(self.keys.relinked),
                )
            )

    # ------------------------------------------------------------------
    # Run: write the records
    # ------------------------------------------------------------------
    def run(self, checked=False):
        """Write the backup into the company (the caller holds the savepoint); return the report.

        ``checked``: the file's records passed a full check already.
        """
        context = self.context
        self.env.flush_all()  # the rows are written in SQL: pending ORM writes go first
        self.check(records=not checked or context.skip_invalid)
        if not context.report.ok:
            raise UserError(self.env._("The restore was refused:\n%s", "\n".join(context.report.errors)))
        context.trust = Trust.PROVEN  # every line is known good now: checked, proven or made here
        try:
            with self.env.cr.savepoint():  # rolled back (cache cleared) for a new try
                for name, phase in self._phases():
                    with timed(name):
                        phase()
        except BrokenRules as broken:  # skipping invalid records: try again without these
            return self._without(broken.faults).run(checked=True)
        return self._report()

    def _report(self):
        context, report = self.context, self.context.report
        report.restored = dict(context.counts)
        report.warnings += (
            context.cleared + self.writer.unique_values.report() + self.writer.left_out_report()
        )
        report.skipped = [
            {"model": model, "id": record_id, "reason": reason}
            for model, record_id, reason in context.skipped
        ]
        return report.as_dict()

    def _without(self, faults):
        """A new restore of the same file that leaves out ``faults`` besides what this one did."""
        context = self.context
        invalid = {**context.invalid, **faults}
        retry = type(self)(
            self.env, context.company, context.reader, context.mode, True, context.progress, invalid
        )
        retry.tries = self.tries + 1
        return retry

    def _phases(self):
        """(name, step) of the writing phases, in their order."""
        phases = [
            ("purge", self._purge),
            ("write tables", self._write_tables),
            ("write deferred references", self._write_deferred_references),
            ("analyze the tables written", self._analyze_tables),
            ("check foreign keys", self._check_foreign_keys),
            ("write company settings", self._write_company_settings),
            ("verify the books", self._verify_books),
            ("verify the stock", self._verify_stock),
            ("finish", self._finish),
        ]
        if not self.context.signed:  # a file signed here is what this database's ORM wrote
            phases.append(("check the models' rules", self._check_model_rules))
        return phases

    def _purge(self):
        """A replace deletes the company's business data first (its defaults are remembered)."""
        if self.context.mode != "replace":
            return
        self.company_settings.remember_defaults()
        Scope = self.env["danger.zone.scope"]
        self.context.report.deleted = Scope._danger_zone_purge(self.context.company)

    def _write_tables(self):
        context = self.context
        disable_jit(context.cr)
        self.order, deferred = self.writer.insertion_order()
        # skipping invalid records needs PostgreSQL to name the bad rows one by one
        context.foreign_keys = ForeignKeyCheck(context.cr, enabled=not context.skip_invalid)
        for done, model in enumerate(self.order):
            context.progress(done, len(self.order) + 2)
            self.writer.insert_model(model, {name for m, name in deferred if m == model})

    def _write_deferred_references(self):
        self.references.write_deferred(self.writer.pending)
        self.references.write_many2many(self.writer.links)

    def _analyze_tables(self):
        """Bring the planner's statistics up to date with the rows written, for the queries of
        the phases after (statistics.py)."""
        analyze_changed_tables(self.context.cr, self.writer.rows_per_table())

    def _check_foreign_keys(self):
        """The references PostgreSQL did not check row by row, checked per table (foreign_keys.py)."""
        if broken := self.context.foreign_keys.check():
            raise UserError(
                self.env._(
                    "The restored records refer to records that do not exist: %s",
                    "; ".join(
                        f"{table}.{column} -> {target} {', '.join(map(str, values))}"
                        for table, column, target, values in broken
                    ),
                )
            )

    def _verify_books(self):
        """Compare the books written with the file's (book_figures.py); a difference fails."""
        self.context.report.books = self.figures.verify()

    def _verify_stock(self):
        """Compare the stock written with the file's (stock_figures.py); a difference fails."""
        self.context.report.stock = self.stock.verify()

    def _write_company_settings(self):
        self.company_settings.write_settings()
        if self.context.mode == "replace":
            self.company_settings.relink_defaults()

    def _finish(self):
        """Write the attachments' files, rebuild what derives from ids, let the ORM see the rows."""
        self._write_attachment_files()
        for model in self.order:
            Model = self.env[model]
            if Model._parent_store:
                Model.sudo()._parent_store_compute()
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        Scope = self.env["danger.zone.scope"]
        Scope._danger_zone_after_restore(self.context.company, self.context.remap, self.order)

    def _check_model_rules(self):
        """Run the restored models' own constraints on the written records (model_rules.py),
        A record that breaks one fails the restore, or, skipping invalid records, is left out
        by a new try (``BrokenRules``)."""
        faults = ModelRules(self.context, self.writer.written).faults()
        if not faults:
            return
        if self.context.skip_invalid and self.tries < TRIES:
            raise BrokenRules(faults)
        raise UserError(
            self.env._(
                "The restored records break rules of their models, so nothing was restored:\n%s",
                shown(
                    [
                        f"{model} {backup_id}: {reason}"
                        for (model, backup_id), reason in sorted(faults.items(), key=str)
                    ]
                ),
            )
        )

    def _write_attachment_files(self):
        """Files travel by checksum: write each into the filestore and link its attachments."""
        context = self.context
        checksums = set(context.reader.file_checksums())
        if not checksums or "ir.attachment" not in context.counts:
            return
        Attachment = self.env["ir.attachment"].sudo()
        for attachment in Attachment.browse(list(context.remap.mapping("ir.attachment").values())):
            checksum = attachment.checksum
            if checksum not in checksums:
                continue
            content = context.reader.read_file(checksum)
            context.cr.execute(
                "UPDATE ir_attachment SET store_fname = %s, file_size = %s WHERE id = %s",
                [Attachment._file_write(content, checksum), len(content), attachment.id],
            )
