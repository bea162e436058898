"""The models' own rules, run on the records a restore wrote: every Python constraint
(``@api.constrains``) of each restored model, and the company consistency of its references
(``_check_company``), as the ORM runs them when records are created.

The rows are written with SQL, past the ORM, so nothing else runs these rules. They need the
records in the database (a constraint reads through the ORM, related records included), so
they run once every row, reference and setting is written, inside the restore's transaction,
a batch of records at a time with the cache emptied in between (memory stays flat). A batch
that breaks a rule is run again record by record, which names the record. A file this
database signed skips them: its hashes prove it is what this database, through its ORM, wrote.
"""

from odoo.exceptions import UserError
from odoo.tools import split_every

from .company_consistency import CompanyConsistency
from .context import id_array

BATCH = 1000  # records checked together (the ORM prefetches a batch at a time)
# Journal entries, items and reconciliations are many (300,000 items in the benchmark company)
# and the rules of Odoo's accounting on them, run through the ORM, would take 15 times the
# restore itself (4 minutes, bench/README.md). The record check verifies most in Python
# instead, as the file streams by (book_check.py); the restore makes the matching numbers
# (renumbered from the reconciliations); and their company is the restored company, which
# their references share (the file's records of that company, or shared ones).
RULES_KEPT_ELSEWHERE = {
    "account.move": {
        "_check_journal_move_type",
        "_require_bill_date_for_autopost",
        "_constrains_date_sequence",
        "_validate_taxes_country",
        "_check_company",
    },
    "account.move.line": {
        "_check_off_balance",
        "_check_payable_receivable",
        "_check_product_uom_category_id",
        "_constrains_matching_number",
        "_check_company",
    },
    "account.partial.reconcile": {"_check_required_computed_currencies", "_check_company"},
}
# One rule runs here on only the records that can break it, which a query finds: taxes paid on
# payment (cash basis) are rare. Every other rule of these models, a localisation's for one,
# runs here on every record.
SUSPECTS = {
    ("account.move.line", "_check_caba_non_caba_shared_tags"): "_items_with_cash_basis_taxes",
}


def _declared_fields(Model, rules):
    """The stored fields of ``Model`` that the rules declare they read (``@api.constrains``)."""
    names = {name for _rule, check in rules for name in getattr(check, "_constrains", ())}
    return [name for name in sorted(names) if name in Model._fields and Model._fields[name].store]


def _company_rule(fields):
    return ("_check_company", lambda records: records._check_company(fields))


def rule_name(check):
    """The name of a constraint method. Odoo wraps one whose fields are computed (a callable
    ``@api.constrains``) in a ``wrapper`` of its own: the method is the wrapped one."""
    if check.__name__ == "wrapper" and check.__closure__:
        wrapped = [cell.cell_contents for cell in check.__closure__ if callable(cell.cell_contents)]
        if wrapped:
            return wrapped[0].__name__
    return check.__name__


class ModelRules:
    def __init__(self, context, written):
        self.context = context
        self.env = context.env
        self.written = written  # model -> ids of the rows the restore wrote
        self._backup_ids = {}  # model -> {id here: backup id}, made when a fault is named
        self.history_rules = self.env["danger.zone.scope"]._danger_zone_history_rules()
        # the file's users and their partners, matched to this database's (see ``rules``)
        self.matched_models = {m["model"] for m in context.members.values() if m["kind"] == "keys"}

    def faults(self):
        """{(model, backup id): reason} of the written records that break a rule of their model."""
        faults = {}
        for model, ids in self.written.items():
            if not ids:
                continue
            # a rule reads a few fields: read those alone, not every field of a batch's records
            Model = (
                self.env[model]
                .sudo()
                .with_context(active_test=False, tracking_disable=True, prefetch_fields=False)
            )
            left_out = self.history_rules.get(model, set()) | RULES_KEPT_ELSEWHERE.get(model, set())
            rules = self.rules(Model, left_out)
            everywhere = [rule for rule in rules if (model, rule[0]) not in SUSPECTS]
            self._run(Model, ids, everywhere, faults)
            for name, check in rules:
                if (model, name) in SUSPECTS:
                    suspects = getattr(self, SUSPECTS[model, name])(ids)
                    self._run(Model, suspects, [(name, check)], faults)
            if "_check_company" not in left_out:
                self._check_companies(Model, ids, faults)
        return faults

    def _check_companies(self, Model, ids, faults):
        """Odoo's company consistency (``_check_company``) on the written records: run on the
        records whose companies and references may disagree (company_consistency.py), and on
        every record for the fields SQL cannot read."""
        fields = self.company_checked_fields(Model, self.matched_models)
        if not (Model._check_company_auto and fields):
            return
        consistency = CompanyConsistency(Model, fields)
        if consistency.slow:
            self._run(Model, ids, [_company_rule(consistency.slow)], faults)
        self._run(Model, consistency.suspects(ids), [_company_rule(fields)], faults)

    def _run(self, Model, ids, rules, faults):
        if not (ids and rules):
            return
        declared = _declared_fields(Model, rules)
        for batch in split_every(BATCH, ids):
            records = Model.browse(batch)
            if declared:
                records.fetch(declared)  # in one query, where each field read alone would be one
            for record_id, reason in self._broken(records, rules):
                faults[(Model._name, self._backup_id(Model._name, record_id))] = reason
            self.env.invalidate_all()

    def _items_with_cash_basis_taxes(self, ids):
        """The items with a tax paid on payment, or of one: the others keep
        ``_check_caba_non_caba_shared_tags`` (it needs a cash-basis tax to fail). Most
        companies have no such tax: then no item is read."""
        self.env.cr.execute("SELECT id FROM account_tax WHERE tax_exigibility = 'on_payment'")
        taxes = [row[0] for row in self.env.cr.fetchall()]
        if not taxes:
            return []
        self.env.cr.execute(
            """SELECT id FROM account_move_line
                WHERE id = ANY(%(ids)s::int[]) AND tax_line_id = ANY(%(taxes)s)
               UNION
               SELECT account_move_line_id FROM account_move_line_account_tax_rel
                WHERE account_move_line_id = ANY(%(ids)s::int[]) AND account_tax_id = ANY(%(taxes)s)""",
            {"ids": id_array(ids), "taxes": taxes},
        )
        return sorted(row[0] for row in self.env.cr.fetchall())

    @staticmethod
    def rules(Model, left_out=()):
        """(name, check) of the Python constraints of ``Model``: each raises UserError on a
        record that breaks it. The rules named in ``left_out`` are not run: those that guard
        changes, not data (``_danger_zone_history_rules``), and those kept otherwise
        (``RULES_KEPT_ELSEWHERE``). Company consistency is run apart (``_check_companies``)."""
        named = [(rule_name(check), check) for check in Model._constraint_methods]
        return [(name, check) for name, check in named if name not in left_out]

    @staticmethod
    def company_checked_fields(Model, matched_models=()):
        """The fields whose values ``_check_company`` checks against the record's companies.

        References to ``matched_models`` are left out: the file's users and their partners are
        matched to this database's, which keep their own companies (a timesheet of the
        administrator names his partner, of the database's first company)."""
        return [
            name
            for name, field in Model._fields.items()
            if field.relational and field.check_company and field.comodel_name not in matched_models
        ]

    def _broken(self, records, rules):
        """(id, reason) of the records that break a rule. A batch that fails is checked again
        record by record: that names the record, and some rules are written for one record
        at a time (they fail on any batch, as they would on a batch created at once)."""
        try:
            with self.env.cr.savepoint(flush=False):
                for _name, check in rules:
                    check(records)
            return []
        except Exception:  # noqa: BLE001 - named below, record by record
            self.env.invalidate_all(flush=False)
        return [fault for record in records for fault in self._broken_record(record, rules)]

    def _broken_record(self, record, rules):
        for name, check in rules:
            try:
                with self.env.cr.savepoint(flush=False):
                    check(record)
            except UserError as error:
                yield record.id, self._reason(record, name, error.args[0])
            except Exception as error:  # noqa: BLE001 - a rule that cannot run on it refuses it too
                self.env.invalidate_all(flush=False)
                yield record.id, self._reason(record, name, repr(error))

    def _reason(self, record, rule, message):
        return self.env._(
            "it breaks the rule %(rule)s of %(model)s: %(message)s",
            rule=rule,
            model=record._name,
            message=message,
        )

    def _backup_id(self, model, record_id):
        if model not in self._backup_ids:
            self._backup_ids[model] = {
                new_id: backup_id for backup_id, new_id in self.context.remap.items(model)
            }
        return self._backup_ids[model][record_id]
