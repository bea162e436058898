from odoo import api, models
from odoo.tools import SQL

from odoo.addons.base.models.ir_sequence import _create_sequence

from ..services.company_purge import CompanyPurge
from ..services.company_scope import CompanyScope
from ..services.restore.matching_numbers import renumber_matchings
from ..services.scope_rules import (
    BUSINESS_RULES,
    COMPANY_IDENTITY_FIELDS,
    COMPANY_MODEL,
    LEFT_OUT,
    MAGIC_FIELDS,
    ScopeRule,
    company_kind,
    document_field,
    holds_rows,
    left_out_reason,
    unique_columns,
)
from ..services.sql import in_ranges


class DangerZoneScope(models.AbstractModel):
    """Which models hold a company's business data, and which are shared keys.

    Other addons extend the scope by inheriting this model and appending to
    ``_danger_zone_rules()`` or ``_danger_zone_natural_keys()``::

        class DangerZoneScope(models.AbstractModel):
            _inherit = "danger.zone.scope"

            def _danger_zone_rules(self):
                return super()._danger_zone_rules() + [ScopeRule("fleet.vehicle")]

    Rules of models that are not installed are ignored.
    """

    _name = "danger.zone.scope"
    _description = "Danger Zone: business data scope"

    @api.model
    def _danger_zone_rules(self):
        """The business models of a company (see ScopeRule). Hook: extend with super()."""
        return list(BUSINESS_RULES)

    @api.model
    def _danger_zone_left_out(self):
        """Models that hold rows of a company but no business data: name (or a prefix ending
        with a dot) -> why backups leave them out. Hook: extend with super()."""
        return dict(LEFT_OUT)

    @api.model
    def _danger_zone_discovered_rules(self, business=None):
        """A rule for every installed model that no rule names, that is no natural key and that
        is not left out, and that holds rows of a company: by a company column, as children of
        such rows (see ``_danger_zone_child_rule``), as documents attached to them by model and
        id (``_danger_zone_document_rules``), or as shared records that they point to
        (``_danger_zone_referenced_rules``). Whatever apps are installed, their records of the
        company are carried. ``business``: the models of the rules in force (the backup's
        options leave some out), every rule's by default."""
        named = {rule.model for rule in self._danger_zone_rules()}
        business = set(named if business is None else business)
        keys = set(self._danger_zone_natural_keys())
        left_out = self._danger_zone_left_out()
        candidates = [
            model
            for model in sorted(self.env.registry)
            if model not in named | keys
            and holds_rows(self.env[model])
            and not left_out_reason(model, left_out)
            and not model.startswith("x_")  # custom models: _danger_zone_custom_rules
        ]
        company_rules = [
            ScopeRule(model, kind) for model in candidates if (kind := company_kind(self.env[model]))
        ]
        return self._danger_zone_writable_rules(company_rules, candidates, business, keys)

    @api.model
    def _danger_zone_writable_rules(self, company_rules, candidates, business, keys):
        """``company_rules``, and the rules of those ``candidates`` that are children of carried
        records or that carried records point to (round after round), whose every
        required reference can be carried: a model that needs a record no backup carries is left
        out, with that reason, rather than refusing every restore (see
        ``_danger_zone_missing_requirements``). Leaving one out may leave out those that need it,
        so this repeats until nothing more is left out."""
        unwritable = set()
        while True:
            rules = [rule for rule in company_rules if rule.model not in unwritable]
            carried = business | {rule.model for rule in rules}
            writable = [model for model in candidates if model not in unwritable]
            while more := (
                self._danger_zone_document_rules(writable, carried)
                or self._danger_zone_child_rules(writable, carried)
                or self._danger_zone_referenced_rules(writable, carried)
            ):
                rules += more
                carried |= {rule.model for rule in more}
            missing = {
                rule.model
                for rule in rules
                if self._danger_zone_missing_requirements(rule.model, carried | keys)
            }
            if not missing:
                return rules
            unwritable |= missing

    @api.model
    def _danger_zone_missing_requirements(self, model, carried):
        """The models that ``model``'s required many2ones point to and that are not carried."""
        fields = self.env[model]._fields.values()
        required = {f.comodel_name for f in fields if f.type == "many2one" and f.store and f.required}
        return sorted(required - carried - {COMPANY_MODEL})

    @api.model
    def _danger_zone_document_rules(self, models, business):
        """The rules of those of ``models`` without a company that attach to any record by model
        and id (``res_model``/``res_id``: meetings, ratings...): their records attached to the
        company's records come along, as chatter does, and with their parents if they have some
        (a rating with its message)."""
        rules = []
        for model in models:
            Model = self.env[model]
            if model in business or company_kind(Model):
                continue
            if document_field(Model):
                child = self._danger_zone_child_rule(model, business)
                rules.append(ScopeRule(model, "none", parents=child.parents if child else (), document=True))
        return rules

    @api.model
    def _danger_zone_referenced_rules(self, models, business):
        """The rules of those of ``models`` without a company that ``business`` records point
        to (stages, tags, reasons, templates...): shared records that users make, carried when
        used and matched by name where the backup is restored."""
        referenced = {
            field.comodel_name
            for model in business
            if model in self.env
            for field in self.env[model]._fields.values()
            if field.store and field.type in ("many2one", "many2many")
        }
        return [
            ScopeRule(model, "none")
            for model in models
            if model in referenced and model not in business and not company_kind(self.env[model])
        ]

    @api.model
    def _danger_zone_child_rules(self, models, business):
        """The rules of those of ``models`` whose rows are children of ``business`` records."""
        rules = (self._danger_zone_child_rule(model, business) for model in models)
        return [rule for rule in rules if rule]

    @api.model
    def _danger_zone_child_rule(self, model, business):
        """The rule of a model without a company whose rows belong to business records through a
        required or cascading many2one (working hours' attendances, a plan's steps...); None
        when it has a company or is in ``business`` already, or has no such parent."""
        Model = self.env[model]
        if model in business or company_kind(Model):
            return None
        many2ones = [f for f in Model._fields.values() if f.type == "many2one" and f.store]
        parents = tuple(
            sorted(
                field.name
                for field in many2ones
                if (field.required or field.ondelete == "cascade")
                and field.comodel_name in business
                and field.comodel_name != COMPANY_MODEL
            )
        )
        return ScopeRule(model, "none", parents=parents) if parents else None

    @api.model
    def _danger_zone_custom_rules(self, business_models):
        """Custom models (x_*) whose records point to business records come along with them."""
        custom = self.env["ir.model"].sudo().search([("state", "=", "manual"), ("model", "=like", "x\\_%")])
        rules = []
        for model in custom.mapped("model"):
            fields = self.env[model]._fields
            parents = tuple(
                sorted(
                    name
                    for name, field in fields.items()
                    if field.type == "many2one" and field.store and field.comodel_name in business_models
                )
            )
            if parents:
                rules.append(ScopeRule(model, "none", parents=parents))
        return rules

    @api.model
    def _danger_zone_natural_keys(self):
        """Shared models written as natural keys: model -> key fields. Hook: extend with super()."""
        return {
            "res.company": ["name"],
            "res.users": ["login"],
            "res.partner": ["name", "user_ids", "ref_company_ids"],
            "res.currency": ["name"],
            "res.country": ["code"],
            "res.country.state": ["country_id", "code"],
            "res.country.group": ["name"],
            "res.lang": ["code"],
            "account.account.tag": ["name", "applicability", "country_id"],
            "account.payment.method": ["code", "payment_type"],
            "account.incoterms": ["code"],
            "account.report": ["name", "country_id"],
            "account.report.expression": ["report_line_id", "label"],
            "account.report.line": ["report_id", "code", "name"],
            "mail.message.subtype": ["name", "res_model"],
            "ir.model": ["model"],
            "ir.model.fields": ["model", "name"],
        }

    @api.model
    def _danger_zone_matching_keys(self):
        """Records of no company that a restore reuses when the database has them: model -> key fields.

        These are shared records that users make (plans, categories, units,
        campaigns, banks...): the backup carries them, and a restore maps the
        backup's record to the existing one with the same key, or creates it
        when the database has none, so restoring twice does not duplicate
        them. Hook: extend with super().
        """
        keys = {
            "account.analytic.plan": ["complete_name"],
            "account.payment.term": ["name"],
            "account.cash.rounding": ["name"],
            "product.category": ["complete_name"],
            "res.partner.category": ["name"],
            "product.attribute": ["name"],
            "product.attribute.value": ["attribute_id", "name"],
            "res.partner.title": ["name"],
            "res.partner.industry": ["full_name"],
            "res.bank": ["name", "bic"],
            "uom.category": ["name"],
            "uom.uom": ["category_id", "name"],
            "utm.campaign": ["name"],
            "utm.medium": ["name"],
            "utm.source": ["name"],
            "utm.stage": ["name"],
            "utm.tag": ["name"],
            "mail.activity.type": ["name", "res_model"],
        }
        documents = self._danger_zone_unmatched()
        named = [rule for rule in self._danger_zone_rules() if rule.model in self.env]
        for rule in named + self._danger_zone_discovered_rules():
            shared = rule.company == "shared" or (rule.company == "none" and not rule.parents)
            if shared and not rule.document and rule.model not in keys:
                by_name = rule not in named and rule.model not in documents
                if key := self._danger_zone_unique_key(self.env[rule.model], by_name):
                    keys[rule.model] = key
        return keys

    @api.model
    def _danger_zone_unique_key(self, Model, by_name):
        """The fields that name one record of ``Model`` of no company: those of a unique
        constraint without company (a bank account's number and holder), or, ``by_name``,
        its stored name; None without either."""
        fields = Model._fields
        for columns in unique_columns(Model):
            companies = {"company_id", "company_ids"} & set(columns)
            if not companies and all(c in fields and fields[c].store for c in columns):
                return list(columns)
        name = fields.get(Model._rec_name)
        if by_name and name and name.store and name.type == "char":
            return [*self._danger_zone_parent_fields(Model), name.name]
        return None

    @api.model
    def _danger_zone_parent_fields(self, Model):
        """The references of ``Model`` to what it belongs to (required, or deleted with it): a
        record named by its name is named within them (a skill level within its skill type;
        "Intermediate" of another type is another level)."""
        return sorted(
            name
            for name, field in Model._fields.items()
            if field.type == "many2one"
            and field.store
            and (field.required or field.ondelete == "cascade")
            and name not in ("company_id", "create_uid", "write_uid")
        )

    @api.model
    def _danger_zone_history_rules(self):
        """Python constraints that guard a change in a record's history rather than what its data
        must be: model -> names of its constraint methods a restore does not run.

        Odoo runs every constraint when a record is created, before it is used or done: a new
        journal has no payment method yet, a point-of-sale order is not posted when its payments
        are made, a leave is validated after its dates are set. A restore writes records as
        their history left them, so Odoo's own data breaks these (its demo data does). Found by
        restoring Odoo's demo company into another database (tests/test_demo_round_trip.py).
        Hook: extend with super()."""
        return {
            "account.journal": {"_check_type"},  # point of sale: no type change once in use
            "pos.payment": {"_check_amount"},  # no payment change once its order is posted
            "hr.leave": {"_check_date_state"},  # no date change once validated
        }

    @api.model
    def _danger_zone_unique_names(self):
        """Text columns unique in the whole database by an index rather than a constraint that
        the models declare: model -> (column, pattern numbering a taken value). A restore
        numbers a value that the database has already (services/restore/unique_values.py).
        Hook: extend with super()."""
        return {"mail.alias": ("alias_name", "{}-{}")}

    @api.model
    def _danger_zone_unmatched(self):
        """Models of no company whose records are documents of the company's records (with a
        chatter, or listed here), never matched by name to a record of the target database
        (a procurement group is named after its order). Hook: extend with super()."""
        thread = self.env.registry.get("mail.thread")
        documents = {"procurement.group", "crm.iap.lead.mining.request"}
        return documents | {
            model for model in self.env.registry if thread and isinstance(self.env[model], thread)
        }

    @api.model
    def _danger_zone_left_out_rows(self, company, scope):
        """The models holding rows of ``company`` that a backup with ``scope`` leaves out:
        [{"model", "count", "reason"}], for the manifest and the owner."""
        left_out = []
        reason_of = self._danger_zone_left_out_reasons()
        for model in sorted(self.env.registry):
            Model = self.env[model]
            if model in scope.rules or not holds_rows(Model) or not company_kind(Model):
                continue
            if count := self._danger_zone_company_rows(Model, company):
                left_out.append({"model": model, "count": count, "reason": reason_of(model)})
        return left_out

    @api.model
    def _danger_zone_left_out_reasons(self):
        """model -> why backups leave it out, from the rules as they stand (computed once)."""
        reasons = self._danger_zone_left_out()
        rules = self._danger_zone_rules()
        optional = {rule.model for rule in rules if rule.option}
        keys = set(self._danger_zone_natural_keys())
        carried = (
            keys | {rule.model for rule in rules} | {r.model for r in self._danger_zone_discovered_rules()}
        )

        def reason_of(model):
            if model in optional:
                return "files: carried when the backup includes attachments"
            if model in keys:
                return "shared records: carried as natural keys, found by them where the backup is restored"
            if reason := left_out_reason(model, reasons):
                return reason
            if missing := self._danger_zone_missing_requirements(model, carried):
                return f"not carried yet: it requires {', '.join(missing)}, which no backup carries"
            return "no rule carries it"

        return reason_of

    @api.model
    def _danger_zone_company_rows(self, Model, company):
        """How many rows of ``Model`` belong to ``company`` (by company_id, or company_ids)."""
        Model.flush_model()
        if company_kind(Model) == "companies":
            field = Model._fields["company_ids"]
            query = SQL(
                "SELECT COUNT(*) FROM %s WHERE %s = %s",
                SQL.identifier(field.relation),
                SQL.identifier(field.column2),
                company.id,
            )
        else:
            query = SQL(
                "SELECT COUNT(*) FROM %s WHERE company_id = %s", SQL.identifier(Model._table), company.id
            )
        self.env.cr.execute(query)
        return self.env.cr.fetchone()[0]

    @api.model
    def _danger_zone_company_settings(self, company):
        """Names of the res.company fields that are business settings, not identity."""
        fields_by_name = company._fields
        return sorted(
            name
            for name, field in fields_by_name.items()
            if field.store
            and field.column_type
            and name not in COMPANY_IDENTITY_FIELDS
            and name not in MAGIC_FIELDS
            and field._module not in ("base", "web", "mail", "danger_zone", None)
            and name != "id"
        )

    @api.model
    def _danger_zone_scope(self, company, options=()):
        """The CompanyScope of ``company`` with the installed models, not resolved yet."""
        rules = [
            rule
            for rule in self._danger_zone_rules()
            if rule.model in self.env and (not rule.option or rule.option in options)
        ]
        rules += self._danger_zone_discovered_rules({rule.model for rule in rules})
        rules += self._danger_zone_custom_rules({rule.model for rule in rules})
        keys = {model: key for model, key in self._danger_zone_natural_keys().items() if model in self.env}
        return CompanyScope(self.env, company, rules, keys, self._danger_zone_company_settings(company))

    @api.model
    def _danger_zone_resolve(self, company, options=(), helper=None):
        """Find the company's records in SQL, on this cursor; return a CompanyScope.

        Creates the temporary table ``danger_zone_scope`` (dropped at the end of
        the transaction), so it must run in the backup's own snapshot. ``helper``,
        a SnapshotReader of that snapshot, scans the largest model meanwhile.
        """
        scope = self._danger_zone_scope(company, options)
        scope.resolve(helper)
        return scope

    @api.model
    def _danger_zone_purge(self, company, dry_run=False):
        """Delete the company's business data (shared records stay); return counts per model."""
        scope = self._danger_zone_scope(company, ("attachments",))
        purge = CompanyPurge(self.env, company, scope.rules)
        return purge.collect() if dry_run else purge.delete()

    @api.model
    def _danger_zone_after_restore(self, company, remap, models):
        """Hook run once a restore has written its records: rebuild what derives from ids.

        ``remap`` maps each model's backup-local ids to the new ids; ``models``
        lists the restored models. Extend with super().
        """
        if "mail.alias" in models:
            self._danger_zone_relink_aliases(company, remap, models)
        if "ir.sequence" in models:
            self._danger_zone_start_sequences(remap)
        if "account.partial.reconcile" in models:
            self._danger_zone_renumber_matchings(remap)
        if "account.move" in models:
            self._danger_zone_rehash_moves(company, remap)

    @api.model
    def _danger_zone_relink_aliases(self, company, remap, models):
        """A restored mail alias still names its owner and defaults by the backup's ids, and
        has no domain: its owner (a team, a project, a journal...) sets them anew, in the
        company's alias domain, as Odoo does when it creates the owner."""
        aliases = list(remap.mapping("mail.alias").values())
        for model in models:
            Model = self.env[model].sudo().with_context(active_test=False)
            if not isinstance(Model, self.env.registry["mail.alias.mixin.optional"]):
                continue
            for owner in Model.search([("alias_id", "in", aliases)]):
                # a record id of the backup means nothing here: only the owner may set one
                values = {"alias_force_thread_id": False, **owner._alias_get_creation_values()}
                values["alias_domain_id"] = company.alias_domain_id.id
                owner.alias_id.with_context(mail_notrack=True).write(values)

    @api.model
    def _danger_zone_start_sequences(self, remap):
        """A restored standard sequence counts in a PostgreSQL sequence of its own, which the
        rows written in SQL lack: create it at the backup's next number, as Odoo does."""
        sequences = self.env["ir.sequence"].sudo().browse(list(remap.mapping("ir.sequence").values()))
        for sequence in sequences.filtered(lambda s: s.implementation == "standard"):
            _create_sequence(
                self.env.cr, f"ir_sequence_{sequence.id:03d}", sequence.number_increment, sequence.number_next
            )
        ranges = (
            self.env["ir.sequence.date_range"]
            .sudo()
            .browse(list(remap.mapping("ir.sequence.date_range").values()))
        )
        for date_range in ranges.filtered(lambda r: r.sequence_id.implementation == "standard"):
            _create_sequence(
                self.env.cr,
                f"ir_sequence_{date_range.sequence_id.id:03d}_{date_range.id:03d}",
                date_range.sequence_id.number_increment,
                date_range.number_next,
            )

    @api.model
    def _danger_zone_renumber_matchings(self, remap):
        """Matching numbers of reconciled journal items are made of ids: number them anew, from
        the restored reconciliations, as Odoo does (so they are what
        ``_constrains_matching_number`` wants; see matching_numbers.py)."""
        renumber_matchings(
            self.env.cr,
            remap.mapping("account.move.line").value_ranges(),
            remap.mapping("account.partial.reconcile").value_ranges(),
        )
        self.env["account.move.line"].invalidate_model(["matching_number"])

    @api.model
    def _danger_zone_rehash_moves(self, company, remap):
        """Posted entries carry hashes that include ids: compute the restored chains anew.

        Each chain (journal and sequence prefix) is hashed again from its first
        secured entry, in number order, with the current hash version.
        """
        restored = in_ranges(SQL.identifier("id"), remap.mapping("account.move").value_ranges())
        self.env.cr.execute(
            SQL("SELECT id FROM account_move WHERE %s AND inalterable_hash IS NOT NULL", restored)
        )
        hashed = self.env["account.move"].sudo().browse(row[0] for row in self.env.cr.fetchall())
        # entries hashed before Odoo 17 chain through the whole journal by secure_sequence_number
        chains = hashed.grouped(
            lambda move: (move.journal_id.id, None if move.secure_sequence_number else move.sequence_prefix)
        )
        for chain in chains.values():
            ordered = chain.sorted(
                lambda m: (m.secure_sequence_number, m.sequence_prefix or "", m.sequence_number)
            )
            hashes = ordered._calculate_hashes("")
            for move, value in hashes.items():
                self.env.cr.execute(
                    "UPDATE account_move SET inalterable_hash = %s WHERE id = %s", [value, move.id]
                )
        hashed.invalidate_recordset(["inalterable_hash"])
