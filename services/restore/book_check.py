"""Journal entries as Odoo keeps them, checked on the values of a file from elsewhere.

A restore writes rows in SQL, past the ORM, so none of the checks Odoo runs when an entry is
posted protect it: a file whose every reference is valid may still hold books that Odoo could
never have produced. The record check hands this class the journal entries and items of the
file a batch at a time; it keeps per entry a byte of flags (met, posted, its side, the kinds
of accounts of its items), sends its figures and what each batch of items makes of them to
PostgreSQL (entry_sums.py), reads them back added up at the end, and says which entries break
a rule of Odoo's:

- a journal item's ``balance`` is its ``debit`` minus its ``credit``;
- a posted entry is balanced: its items' balances add up to zero (in company currency);
- an invoice's or a bill's residual is its installments' residuals, and an entry's untaxed,
  tax and total amounts are what its items make (``_compute_amount``, in company currency);
- an invoice is in a sale journal and a bill in a purchase journal (``_check_journal_move_type``);
- an item's unit of measure is of its product's category (``_check_product_uom_category_id``);
- a posted entry's number is of its date (``_constrains_date_sequence``, sequence_dates.py);
- a bill to be posted automatically has a bill date (``_require_bill_date_for_autopost``);
- a partial reconciliation has the currencies of both its sides
  (``_check_required_computed_currencies``);
- an entry's taxes are of its tax country: the company's fiscal country, or the country of its
  fiscal position when that has a foreign VAT number (``_validate_taxes_country``; countries
  compared by their codes, as the restore matches them);
- an entry with an item on an off-balance account has only such items, with no taxes and not
  reconciled (``_check_off_balance``);
- a payment state says what the residual says (``_compute_payment_state``): only a posted
  invoice or bill is paid, in payment, partially paid or reversed; one with nothing left to
  pay is not unpaid nor partially paid; one with something left is not reversed, nor paid or
  in payment unless a payment without entry is matched to it;
- an invoice's or a bill's items sit on receivable or payable accounts as Odoo's
  ``_check_payable_receivable`` has them: no payable account in a sale, no receivable account
  in a purchase, and an item is on the receivable (payable) account exactly when it is an
  installment (``display_type`` ``payment_term``).

Amounts are compared at the rounding of the company's currency, as Odoo compares them.
"""

from collections import defaultdict

from odoo.tools import float_compare, float_is_zero

from ...engine.record_table import RecordTable
from .entry_sums import EntrySums
from .reconciliation_check import ReconciliationCheck
from .sequence_dates import SequenceDates

ACCOUNT, JOURNAL, MOVE, LINE = "account.account", "account.journal", "account.move", "account.move.line"
PARTIAL = "account.partial.reconcile"
SALE = ("out_invoice", "out_refund", "out_receipt")
PURCHASE = ("in_invoice", "in_refund", "in_receipt")
BILLS = ("in_invoice", "in_refund")  # Odoo's purchase documents, receipts left out
RECEIVABLE, PAYABLE = "asset_receivable", "liability_payable"
OFF_BALANCE_TYPE = "off_balance"
PRODUCT, TEMPLATE, UOM = "product.product", "product.template", "uom.uom"
TAX, FISCAL_POSITION = "account.tax", "account.fiscal.position"
OFF_BALANCE, ON_BALANCE = 1, 2  # the kinds of accounts an entry's items are on (flags of its row)
MET, POSTED = 4, 8  # the entry's record was met, and is posted (flags of its row)
SALE_SIDE, PURCHASE_SIDE = 16, 32  # the entry is a sale or a purchase document (flags of its row)


class BookCheck:
    MODELS = (ACCOUNT, JOURNAL, MOVE, LINE, PARTIAL, PRODUCT, TEMPLATE, UOM, TAX, FISCAL_POSITION)

    def __init__(self, env, company, entry_records=None):
        self.env = env
        # the file's journal entries, read again for the numbers of those that break a rule
        self.entry_records = entry_records or (lambda: ())
        currency = company.currency_id
        self.rounding, self.digits = currency.rounding, currency.decimal_places
        self.fiscal_country = company.account_fiscal_country_id.code or None
        self.country_codes = {}  # file id of a country -> its code
        self.tax_countries = {}  # tax id -> its country (file id)
        self.fiscal_positions = {}  # fiscal position id -> (its country, whether it has a foreign VAT)
        # per entry a byte of flags: MET, POSTED, SALE_SIDE or PURCHASE_SIDE, OFF_BALANCE |
        # ON_BALANCE of its items' accounts; its figures, and what its items make of them (amounts
        # in company currency), are in PostgreSQL (entry_sums.py)
        self.entries = RecordTable()
        self.sums = EntrySums(env.cr)
        self.faults = {}  # (model, file id) -> reason, and the entry that goes with it
        self.accounts = {}  # account id -> (type, code)
        self.unsure = []  # items met before their entry or account (a file in another order)
        self.reconciliations = ReconciliationCheck(env, self.rounding, self._amount)
        self.payment_states = {}  # entry id -> reason its payment state is one Odoo would not give
        self.journal_types = {}  # journal id -> its type
        self.sequence_dates = SequenceDates(env, company, self.journal_types)
        self.unsure_off_balance = []  # items met before their account
        self.units = {PRODUCT: {}, TEMPLATE: {}, UOM: {}}  # product -> template -> unit -> category
        self.unit_fits = {}  # (product, unit) -> whether the unit is of the product's category
        self.items_by_unit = defaultdict(list)  # (product, unit) -> [(item, entry)] met before either

    def add_columns(self, model, columns):
        """Take a checked batch of ``model``'s records, a column at a time."""
        add = {
            ACCOUNT: self._add_accounts,
            JOURNAL: self._add_journals,
            MOVE: self._add_entries,
            LINE: self._add_items,
            PARTIAL: self._add_partials,
            PRODUCT: self._add_units(PRODUCT, "product_tmpl_id"),
            TEMPLATE: self._add_units(TEMPLATE, "uom_id"),
            UOM: self._add_units(UOM, "category_id"),
            TAX: self._add_taxes,
            FISCAL_POSITION: self._add_fiscal_positions,
        }[model]
        add(columns["id"], columns)

    def _add_accounts(self, ids, columns):
        for account_id, account_type, code, reconcile in zip(
            ids, *self._columns(columns, "account_type", "code_store", "reconcile"), strict=True
        ):
            self.accounts[account_id] = (account_type, _code(code) or f"#{account_id}", reconcile)

    def _add_taxes(self, ids, columns):
        self.tax_countries.update(zip(ids, *self._columns(columns, "country_id"), strict=True))

    def _add_fiscal_positions(self, ids, columns):
        for position_id, country_id, foreign_vat in zip(
            ids, *self._columns(columns, "country_id", "foreign_vat"), strict=True
        ):
            self.fiscal_positions[position_id] = (country_id, bool(foreign_vat))

    def _add_journals(self, ids, columns):
        self.journal_types.update(zip(ids, *self._columns(columns, "type"), strict=True))
        self.sequence_dates.add_journals(ids, *self._columns(columns, "sequence_override_regex"))

    def _add_entries(self, ids, columns):
        entries = self.entries
        columns_read = self._columns(
            columns,
            "state",
            "move_type",
            "amount_residual_signed",
            "journal_id",
            "fiscal_position_id",
            "amount_untaxed_signed",
            "amount_tax_signed",
            "amount_total_signed",
        )
        figures = []
        for move_id, state, move_type, residual, journal_id, position_id, *signed in zip(
            ids, *columns_read, strict=True
        ):
            row = entries.row(move_id)
            entries.flags[row] |= MET | (POSTED if state == "posted" else 0)
            side = SALE_SIDE if move_type in SALE else PURCHASE_SIDE if move_type in PURCHASE else 0
            entries.flags[row] |= side
            if side:
                figures.append((move_id, journal_id, position_id or None, residual, *signed))
            else:
                figures.append((move_id, None, position_id or None, None, *signed))
        self.sums.add_entries(figures)
        self._check_payment_states(ids, columns)
        self.sequence_dates.add_entries(ids, *self._columns(columns, "state", "name", "date", "journal_id"))
        self._check_bill_dates(ids, columns)

    def _met(self, move_id):
        """The row of an entry whose record was met, or None."""
        row = self.entries.find(move_id)
        return row if row is not None and self.entries.flags[row] & MET else None

    def _is_posted(self, move_id):
        row = self.entries.find(move_id)
        return row is not None and bool(self.entries.flags[row] & POSTED)

    def _side(self, row):
        """ "sale", "purchase" or None: the kind of document of the entry of ``row``."""
        flags = self.entries.flags[row]
        return "sale" if flags & SALE_SIDE else "purchase" if flags & PURCHASE_SIDE else None

    def _check_bill_dates(self, ids, columns):
        """Odoo's _require_bill_date_for_autopost: a bill posted automatically has a bill date."""
        rows = zip(ids, *self._columns(columns, "auto_post", "move_type", "invoice_date"), strict=True)
        for move_id, auto_post, move_type, invoice_date in rows:
            if auto_post not in (None, "no") and move_type in BILLS and not invoice_date:
                reason = self.env._("it is a bill to be posted automatically, without a bill date")
                self.faults.setdefault((MOVE, move_id), reason)

    def _add_items(self, ids, columns):
        move_ids, account_ids = self._columns(columns, "move_id", "account_id")
        for move_id in move_ids:
            self.entries.row(move_id)  # an entry met before its record too: its flags
        sums = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0, 0.0])  # entry -> NUMBERS of entry_sums.py
        sums_of = [sums[move_id] for move_id in move_ids]
        balances = self._add_lines(
            ids, move_ids, sums_of, *self._columns(columns, "debit", "credit", "balance")
        )
        residuals, reconciled, display_types = self._columns(
            columns, "amount_residual", "reconciled", "display_type"
        )
        in_currency = self._columns(columns, "currency_id", "amount_currency", "amount_residual_currency")
        self.reconciliations.add_items(
            self.accounts, (ids, move_ids, account_ids, balances, residuals, reconciled, *in_currency)
        )
        for item in zip(ids, move_ids, account_ids, display_types, strict=True):
            self._check_side(*item)
        for made, display_type, residual in zip(sums_of, display_types, residuals, strict=True):
            if display_type == "payment_term":
                made[1] += residual or 0.0
        debits, tax_lines = self._columns(columns, "debit", "tax_repartition_line_id")
        for item in zip(sums_of, display_types, tax_lines, debits, balances, strict=True):
            self._add_to_amounts(*item)
        products, units = self._columns(columns, "product_id", "product_uom_id")
        for item_id, move_id, product_id, unit_id in zip(ids, move_ids, products, units, strict=True):
            if product_id and unit_id:
                fits = self._unit_fits(product_id, unit_id)
                if fits is None:  # its product or unit comes later in the file
                    self.items_by_unit[product_id, unit_id].append((item_id, move_id))
                elif not fits:
                    self._fault(item_id, move_id, self._other_category())
        taxes, tax_of_line = self._columns(columns, "tax_ids", "tax_line_id")
        for item in zip(ids, move_ids, account_ids, taxes, tax_of_line, reconciled, strict=True):
            self._check_off_balance(*item)
        entry_taxes = {}  # entry -> the taxes of its items in this batch
        for move_id, item_taxes, tax_id in zip(move_ids, taxes, tax_of_line, strict=True):
            if item_taxes or tax_id:
                tax_ids = (*(item_taxes or ()), *((tax_id,) if tax_id else ()))
                entry_taxes[move_id] = entry_taxes.get(move_id, frozenset()).union(tax_ids)
        self.sums.add_sums(sums, entry_taxes)

    def _add_units(self, model, field):
        """What a product's unit is: its template's unit, whose category a unit of an item
        must share (product -> template, template -> unit, unit -> category)."""

        def add(ids, columns):
            self.units[model].update(zip(ids, *self._columns(columns, field), strict=True))

        return add

    def _add_partials(self, ids, columns):
        partials = self._columns(
            columns,
            "debit_move_id",
            "credit_move_id",
            "amount",
            "debit_amount_currency",
            "credit_amount_currency",
        )
        self.reconciliations.add_partials(ids, *partials)
        if "debit_currency_id" in columns or "credit_currency_id" in columns:
            currencies = self._columns(columns, "debit_currency_id", "credit_currency_id")
            for partial_id, debit_currency, credit_currency in zip(ids, *currencies, strict=True):
                if not (debit_currency and credit_currency):
                    self.faults[(PARTIAL, partial_id)] = self.env._(
                        "it lacks the currency of its debit or its credit side"
                    )

    def set_countries(self, codes):
        """The code of each country of the file (file id -> code), to compare taxes' countries."""
        self.country_codes = codes

    def set_currencies(self, roundings):
        """The rounding of each currency of the file (file id -> rounding), for residuals in them."""
        self.reconciliations.currency_rounding = roundings

    def add_record(self, model, record):
        """Take one checked record of ``model``."""
        self.add_columns(model, {name: [value] for name, value in record.items()} | {"id": [record["id"]]})

    def faulty_entries(self, line_ids=()):
        """{(model, file id): reason} of the records that break a rule, the likelier causes
        first (reconciliations, items and entries, then residuals); an item's
        entry is named too, by that item's fault, since without it the entry would not balance.
        ``line_ids``: every journal item of the file."""
        for item in self.unsure:
            self._check_side(*item, last=True)
        for item in self.unsure_off_balance:
            self._check_off_balance(*item, last=True)
        self._mixed_balance_sheets()
        self._units_of_other_categories()
        faults = self.reconciliations.faults(self.accounts, self._is_posted, line_ids)
        for key, reason in self.faults.items():
            faults.setdefault(key, reason)
        tax_faults = self._entry_faults(faults)
        for move_id, reason in self.sequence_dates.all_faults().items():
            faults.setdefault((MOVE, move_id), reason)
        for key, reason in tax_faults.items():
            faults.setdefault(key, reason)
        for move_id, reason in self.payment_states.items():
            faults.setdefault((MOVE, move_id), reason)
        for key, reason in self.reconciliations.item_faults.items():  # residuals: what follows
            faults.setdefault(key, reason)
        return faults

    def _entry_faults(self, faults):
        """Each entry's figures against what its items make, read back an entry at a time
        (entry_sums.py). The faults of each rule go into ``faults`` after the previous rule's,
        as when each rule ran over every entry: unbalanced posted entries, residuals, amounts,
        journals. Those of the taxes' countries are returned, to come after the numbers'
        dates."""
        found = {rule: {} for rule in ("unbalanced", "residual", "amounts", "journal", "taxes")}
        flags, find = self.entries.flags, self.entries.find
        for move_id, journal_id, position_id, residual, *figures, taxes in self.sums.totals():
            signed, (balance, left, *made) = figures[:3], figures[3:]
            row = find(move_id)
            entry_flags, side = (flags[row], self._side(row)) if row is not None else (0, None)
            if entry_flags & MET:
                if entry_flags & POSTED and not float_is_zero(balance, precision_rounding=self.rounding):
                    found["unbalanced"][move_id] = balance
                if reason := self._residual_fault(side, residual, left):
                    found["residual"][move_id] = reason
                if reason := self._amounts_fault(side, signed, made):
                    found["amounts"][move_id] = reason
                if reason := self._journal_fault(side, journal_id):
                    found["journal"][move_id] = reason
            if reason := self._tax_country_fault(taxes, position_id):
                found["taxes"][move_id] = reason
        self._unbalanced_entries(found.pop("unbalanced"), faults)
        taxes = found.pop("taxes")
        for reasons in found.values():
            for move_id, reason in reasons.items():
                faults.setdefault((MOVE, move_id), reason)
        return {(MOVE, move_id): reason for move_id, reason in taxes.items()}

    def _residual_fault(self, side, residual, left):
        """An invoice's or bill's residual is its installments' (Odoo's _compute_amount:
        ``amount_residual_signed``, in company currency)."""
        if (
            side is None
            or residual is None
            or not float_compare(residual, left, precision_rounding=self.rounding)
        ):
            return None
        return self.env._(
            "its residual is %(residual)s, but its installments leave %(left)s",
            residual=self._amount(residual),
            left=self._amount(left),
        )

    def _journal_fault(self, side, journal_id):
        """Odoo's _check_journal_move_type: a sale document in a sale journal, a purchase
        document in a purchase journal."""
        journal_type = self.journal_types.get(journal_id)
        if not side or journal_type is None or journal_type == side:
            return None
        return self.env._(
            "it is a %(side)s document in a %(type)s journal",
            side=self.env._("sale") if side == "sale" else self.env._("purchase"),
            type=journal_type,
        )

    def _tax_country_fault(self, taxes, position_id):
        """Odoo's _validate_taxes_country: the countries of an entry's taxes are its tax country,
        its fiscal position's when that has a foreign VAT number, else the company's fiscal one."""
        countries = {self._country(self.tax_countries.get(tax_id)) for tax_id in taxes} - {None}
        position = self.fiscal_positions.get(position_id)
        position_country = self._country(position[0]) if position else None
        tax_country = position_country if position and position[1] else self.fiscal_country
        if not countries or countries == {tax_country}:
            return None
        if position and countries != {position_country}:
            return self.env._(
                "its taxes are of %(countries)s, not of its fiscal position's country %(country)s",
                countries=", ".join(sorted(countries)),
                country=position_country or self.env._("(none)"),
            )
        return self.env._(
            "its taxes are of %(countries)s, but this company's fiscal country is %(country)s: set"
            " the company's fiscal country (Accounting settings) before restoring",
            countries=", ".join(sorted(countries)),
            country=self.fiscal_country or self.env._("(none)"),
        )

    def _country(self, country_id):
        if country_id is None:
            return None
        return self.country_codes.get(country_id) or f"#{country_id}"

    @staticmethod
    def _add_to_amounts(made, display_type, tax_line, debit, balance):
        """Odoo's _compute_amount, item by item: an invoice's product and rounding items make its
        untaxed amount, its tax items (and tax rounding) its tax; an entry's debits its total
        (``made``: the sums of the item's entry, entry_sums.NUMBERS)."""
        if display_type == "tax" or (display_type == "rounding" and tax_line):
            made[3] -= balance
        elif display_type in ("product", "rounding"):
            made[2] -= balance
        if debit:
            made[4] += balance

    def _amounts_fault(self, side, signed, made):
        """An entry's untaxed, tax and total amounts (company currency, ``signed`` as the file
        has them) against what its items make (``made``: untaxed, tax, debits)."""
        untaxed, tax, debits = made
        expected = (untaxed, tax, untaxed + tax) if side else (0.0, 0.0, abs(debits))
        for index, value, expected_value in zip(range(3), signed, expected, strict=True):
            if value is not None and float_compare(value, expected_value, precision_rounding=self.rounding):
                names = (self.env._("untaxed amount"), self.env._("tax"), self.env._("total"))
                return self.env._(
                    "its %(amount)s is %(value)s, but its items make %(made)s",
                    amount=names[index],
                    value=self._amount(value),
                    made=self._amount(expected_value),
                )
        return None

    def _check_payment_states(self, ids, columns):
        """Payment states Odoo's _compute_payment_state would not give (see the module's doc).
        Residuals are compared in company currency and in the invoice's: "nothing left" when
        both are zero, "something left" when neither is."""
        rows = zip(
            ids,
            *self._columns(
                columns,
                "state",
                "move_type",
                "payment_state",
                "amount_residual_signed",
                "amount_residual",
                "matched_payment_ids",
            ),
            strict=True,
        )
        for move_id, state, move_type, payment_state, residual, residual_currency, matched in rows:
            invoice = state == "posted" and move_type in SALE + PURCHASE
            if payment_state in (None, "blocked", "invoicing_legacy") or (
                payment_state == "not_paid" and not invoice
            ):
                continue
            left = [
                not float_is_zero(value or 0.0, precision_rounding=self.rounding)
                for value in (residual, residual_currency)
            ]
            if not invoice:
                reason = self.env._("it is %s, but only a posted invoice or bill can be", payment_state)
            elif not any(left) and payment_state in ("not_paid", "partial"):
                reason = self.env._("it is %s, but nothing is left to pay", payment_state)
            elif all(left) and (
                payment_state == "reversed" or (payment_state in ("paid", "in_payment") and not matched)
            ):
                reason = self.env._(
                    "it is %(state)s, but %(residual)s is left to pay",
                    state=payment_state,
                    residual=self._amount(residual),
                )
            else:
                continue
            self.payment_states[move_id] = self.env._("its payment state: %s", reason)

    def _unbalanced_entries(self, unbalanced, faults):
        """Posted entries whose items' balances do not add up to zero (``unbalanced``: entry ->
        its balance), named by their numbers (read again from the file, only for them, rather
        than a string kept per entry)."""
        if not unbalanced:
            return
        names = {
            record.get("id"): record.get("name")
            for record in self.entry_records()
            if record.get("id") in unbalanced
        }
        for move_id, total in unbalanced.items():
            faults.setdefault(
                (MOVE, move_id),
                self.env._(
                    "the posted entry %(name)s is unbalanced: its debits minus its credits make %(amount)s",
                    name=names.get(move_id),
                    amount=self._amount(total),
                ),
            )

    def _add_lines(self, ids, move_ids, sums_of, debit_column, credit_column, balance_column):
        """Add the items' balances to their entries' (``sums_of``: each item's entry's sums), and
        note the items whose balance is not their debit minus their credit (a plain comparison
        first: 300,000 items are many). Return the balances (debit minus credit where the file
        has none)."""
        half, balances = self.rounding / 2, []
        columns = zip(ids, move_ids, sums_of, debit_column, credit_column, balance_column, strict=True)
        for line_id, move_id, made, debit, credit, balance in columns:
            debit_minus_credit = (debit or 0.0) - (credit or 0.0)
            if balance is None:  # a file without balances: the restore takes debit minus credit
                balance = debit_minus_credit
            made[0] += balance
            balances.append(balance)
            if abs(balance - debit_minus_credit) >= half and float_compare(
                balance, debit_minus_credit, precision_rounding=self.rounding
            ):
                self._line_fault(line_id, move_id, debit or 0.0, credit or 0.0, balance)
        return balances

    def _check_off_balance(self, line_id, move_id, account_id, taxes, tax_line, reconciled, last=False):
        """Odoo's _check_off_balance on one item: an item on an off-balance account has no tax,
        is not reconciled, and its entry's other items are off-balance too (see
        ``_mixed_balance_sheets``)."""
        if account_id not in self.accounts:
            if not last:  # its account comes later in the file
                self.unsure_off_balance.append((line_id, move_id, account_id, taxes, tax_line, reconciled))
            return
        flags, row = self.entries.flags, self.entries.row(move_id)
        if self.accounts[account_id][0] != OFF_BALANCE_TYPE:
            flags[row] |= ON_BALANCE
            return
        flags[row] |= OFF_BALANCE
        if taxes or tax_line or reconciled:
            self._fault(
                line_id,
                move_id,
                self.env._("an item on an off-balance account cannot have taxes nor be reconciled"),
            )

    def _unit_fits(self, product_id, unit_id):
        """Odoo's _check_product_uom_category_id: whether a unit is of the category of a product's
        unit; None while the file has not described both (each pair is judged once)."""
        key = (product_id, unit_id)
        if key not in self.unit_fits:
            templates, template_units, categories = self.units[PRODUCT], self.units[TEMPLATE], self.units[UOM]
            expected = categories.get(template_units.get(templates.get(product_id)))
            category = categories.get(unit_id)
            if expected is None or category is None:
                return None
            self.unit_fits[key] = expected == category
        return self.unit_fits[key]

    def _other_category(self):
        return self.env._("its unit of measure is not of the category of its product's unit")

    def _units_of_other_categories(self):
        """The items met before their product or unit: a product or unit the file does not
        describe is not judged."""
        for (product_id, unit_id), items in self.items_by_unit.items():
            if self._unit_fits(product_id, unit_id) is False:
                for item_id, move_id in items:
                    self._fault(item_id, move_id, self._other_category())

    def _mixed_balance_sheets(self):
        flags, both = self.entries.flags, OFF_BALANCE | ON_BALANCE
        for move_id, row in self.entries.rows.items():
            if flags[row] & both == both:
                self.faults.setdefault(
                    (MOVE, move_id),
                    self.env._("an entry with an off-balance account must have only off-balance accounts"),
                )

    def _check_side(self, line_id, move_id, account_id, display_type, last=False):
        """Odoo's _check_payable_receivable on one item of an invoice or a bill."""
        row = self._met(move_id)
        if row is None or account_id not in self.accounts:
            if not last:  # its entry or its account comes later in the file
                self.unsure.append((line_id, move_id, account_id, display_type))
            return
        side = self._side(row)
        if not side:
            return
        account_type, code, _reconcile = self.accounts[account_id]
        wrong, own = (PAYABLE, RECEIVABLE) if side == "sale" else (RECEIVABLE, PAYABLE)
        if account_type == wrong:
            reason = self.env._(
                "account %(code)s is of %(type)s type, but is used in a %(side)s",
                code=code,
                type=self.env._("payable") if wrong == PAYABLE else self.env._("receivable"),
                side=self.env._("sale") if side == "sale" else self.env._("purchase"),
            )
        elif (display_type == "payment_term") != (account_type == own):
            reason = self.env._(
                "an item on a %(type)s account must be an installment with a due date, and an installment"
                " must be on a %(type)s account",
                type=self.env._("receivable") if own == RECEIVABLE else self.env._("payable"),
            )
        else:
            return
        self._fault(line_id, move_id, reason)

    def _line_fault(self, line_id, move_id, debit, credit, balance):
        reason = self.env._(
            "its balance %(balance)s is not its debit %(debit)s minus its credit %(credit)s",
            balance=self._amount(balance),
            debit=self._amount(debit),
            credit=self._amount(credit),
        )
        self._fault(line_id, move_id, reason)

    def _fault(self, line_id, move_id, reason):
        """Note an item's fault, and its entry's first: the entry is what a refusal names."""
        self.faults.setdefault(
            (MOVE, move_id), self.env._("its journal item %(id)s: %(reason)s", id=line_id, reason=reason)
        )
        self.faults[(LINE, line_id)] = reason

    @staticmethod
    def _columns(columns, *names):
        """The columns ``names`` of a batch; a field the file lacks reads as empty."""
        size = len(columns["id"])
        return [columns.get(name) or [None] * size for name in names]

    def _amount(self, value):
        return f"{value:.{self.digits}f}"


def _code(code_store):
    """An account's code as the file has it: a text, or texts by company."""
    if isinstance(code_store, dict):
        return next((value for value in code_store.values() if isinstance(value, str)), None)
    return code_store if isinstance(code_store, str) else None
