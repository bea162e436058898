from unittest.mock import patch

from odoo.tests import tagged

from ..services.reports import format_books
from ..services.restore import RestorePipeline
from ..services.restore.book_figures import OPEN_SHOWN
from .restore_case import RestoreCase, fingerprint, rewrite_backup

MOVES, LINES = "data/account.move.jsonl", "data/account.move.line.jsonl"
PARTIALS = "data/account.partial.reconcile.jsonl"
ACCOUNTS = "data/account.account.jsonl"


def posted_invoice(members, number=0):
    """The ``number``-th posted customer invoice of the file, and its journal items."""
    invoices = [
        move for move in members[MOVES] if move["state"] == "posted" and move["move_type"] == "out_invoice"
    ]
    invoice = invoices[number]
    return invoice, [line for line in members[LINES] if line["move_id"] == invoice["id"]]


def raise_a_debit(invoice, lines, members):
    """One debit of the invoice raised by 100, its balance with it: the entry no longer balances."""
    line = next(line for line in lines if line["debit"])
    line["debit"] += 100
    line["balance"] += 100


@tagged("post_install", "-at_install")
class TestRestoredBooks(RestoreCase):
    """Whatever a file from elsewhere says, the books that land are books Odoo could have made:
    each rule broken alone is refused by the pre-flight check and by the request, naming the
    record and the rule, with the company unchanged; skip-invalid leaves out the entry."""

    def forge(self, change):
        """A file from elsewhere whose first posted invoice went through ``change(invoice,
        lines, members)``; return it with that invoice's id and number."""
        found = {}

        def mutate(members, manifest):
            invoice, lines = posted_invoice(members)
            change(invoice, lines, members)
            found.update(invoice)

        content = rewrite_backup(self.content, mutate)
        return content, found["id"], found["name"]

    def assert_books_refused(self, content, message):
        before = fingerprint(self.company)
        self.assert_refused(content, message)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(self.company), before)

    def test_an_unbalanced_posted_entry_is_refused(self):
        forged, invoice_id, name = self.forge(raise_a_debit)
        self.assert_books_refused(
            forged,
            rf"account\.move {invoice_id}: the posted entry {name} is unbalanced: "
            r"its debits minus its credits make 100\.00\.",
        )

    def test_a_balance_that_is_not_debit_minus_credit_is_refused(self):
        def move_a_balance(invoice, lines, members):
            debit_line, credit_line = (
                next(line for line in lines if line["debit"]),
                next(line for line in lines if line["credit"]),
            )
            debit_line["balance"] += 100  # the entry still balances: only the items lie
            credit_line["balance"] -= 100

        forged, invoice_id, _name = self.forge(move_a_balance)
        self.assert_books_refused(
            forged,
            rf"account\.move {invoice_id}: its journal item \d+: its balance -?[\d.]+ is not "
            r"its debit [\d.]+ minus its credit [\d.]+\.",
        )

    def test_an_invoice_item_on_the_wrong_kind_of_account_is_refused(self):
        def unmark_the_installment(invoice, lines, members):
            installment = next(line for line in lines if line["display_type"] == "payment_term")
            installment["display_type"] = "product"

        forged, invoice_id, _name = self.forge(unmark_the_installment)
        self.assert_books_refused(
            forged,
            rf"account\.move {invoice_id}: its journal item \d+: an item on a receivable account must be an "
            r"installment with a due date, and an installment must be on a receivable account\.",
        )

        def use_a_payable_account(invoice, lines, members):
            payable = next(
                account for account in members[ACCOUNTS] if account["account_type"] == "liability_payable"
            )
            moves = {move["id"]: move for move in members[MOVES]}
            reconciled = {p[side] for p in members[PARTIALS] for side in ("debit_move_id", "credit_move_id")}
            installment = next(
                line
                for line in members[LINES]
                if line["display_type"] == "payment_term"
                and line["id"] not in reconciled  # a reconciliation across accounts would be named first
                and moves[line["move_id"]]["move_type"] == "out_invoice"
            )
            installment["account_id"] = payable["id"]
            found.update(moves[installment["move_id"]])

        found = {}
        forged, _invoice_id, _name = self.forge(use_a_payable_account)
        self.assert_books_refused(
            forged,
            rf"account\.move {found['id']}: its journal item \d+: account \S+ is of payable type, "
            r"but is used in a sale\.",
        )

    def test_reconciliations_odoo_would_not_make_are_refused(self):
        def forge_partial(change):
            found = {}

            def mutate(members, manifest):
                partial = members[PARTIALS][0]
                change(partial, {line["id"]: line for line in members[LINES]}, members)
                found.update(partial)

            return rewrite_backup(self.content, mutate), found["id"]

        def overmatch(partial, lines, members):
            partial["amount"] += 1000

        def across_accounts(partial, lines, members):
            accounts = {account["id"]: account for account in members[ACCOUNTS]}
            debit_account = lines[partial["debit_move_id"]]["account_id"]
            partial["credit_move_id"] = next(
                line["id"]
                for line in members[LINES]
                if line["balance"] < 0
                and line["account_id"] != debit_account
                and accounts[line["account_id"]]["reconcile"]
            )

        def not_reconcilable(partial, lines, members):
            accounts = {account["id"]: account for account in members[ACCOUNTS]}
            partial["debit_move_id"] = next(
                line["id"]
                for line in members[LINES]
                if line["balance"] > 0
                and not accounts[line["account_id"]]["reconcile"]
                and accounts[line["account_id"]]["account_type"]
                not in ("asset_cash", "liability_credit_card")
            )

        for change, message in (
            (overmatch, r"journal item \d+ is matched for [\d.]+, more than the [\d.]+ it holds"),
            (across_accounts, r"it reconciles journal items \d+ and \d+ of different accounts \(\d+, \d+\)"),
            (not_reconcilable, r"journal item \d+ is on an account that does not allow reconciliation"),
        ):
            with self.subTest(change=change.__name__):
                forged, partial_id = forge_partial(change)
                self.assert_books_refused(forged, rf"account\.partial\.reconcile {partial_id}: {message}\.")

    def test_an_invoice_claiming_to_be_paid_without_its_payment_is_refused(self):
        def claim_paid(invoice, lines, members):
            partials = members[PARTIALS]
            unpaid = next(
                move
                for move in members[MOVES]
                if move["state"] == "posted"
                and move["move_type"] == "out_invoice"
                and move["payment_state"] == "not_paid"
            )
            installments = [
                line
                for line in members[LINES]
                if line["move_id"] == unpaid["id"] and line["display_type"] == "payment_term"
            ]
            self.assertFalse({p["debit_move_id"] for p in partials} & {line["id"] for line in installments})
            for line in installments:
                line.update(amount_residual=0.0, amount_residual_currency=0.0, reconciled=True)
            unpaid.update(payment_state="paid", amount_residual=0.0, amount_residual_signed=0.0)
            found.update(unpaid)

        found = {}
        forged, _invoice_id, _name = self.forge(claim_paid)
        self.assert_books_refused(
            forged,
            rf"account\.move {found['id']}: its journal item \d+: its residual is 0\.00, "
            r"but its reconciliations leave [\d.]+\.",
        )

    def test_a_residual_in_currency_that_is_not_what_the_reconciliations_leave_is_refused(self):
        def zero_the_residual_in_currency(invoice, lines, members):
            reconciled = {p[side] for p in members[PARTIALS] for side in ("debit_move_id", "credit_move_id")}
            installment = next(
                line
                for line in members[LINES]
                if line["display_type"] == "payment_term" and line["id"] not in reconciled
            )
            self.assertTrue(installment["amount_residual_currency"], "the test needs an open installment")
            installment["amount_residual_currency"] = 0.0  # its residual in company currency stays
            found.update(installment)

        found = {}
        forged, _invoice_id, _name = self.forge(zero_the_residual_in_currency)
        self.assert_books_refused(
            forged,
            rf"account\.move {found['move_id']}: its journal item {found['id']}: "
            r"its residual in its currency is 0\.00, but its reconciliations leave [\d.]+\.",
        )

    def test_an_invoice_residual_that_is_not_its_installments_is_refused(self):
        def zero_the_residual(invoice, lines, members):
            unpaid = next(
                move
                for move in members[MOVES]
                if move["state"] == "posted"
                and move["move_type"] == "out_invoice"
                and move["amount_residual"]
            )
            unpaid.update(amount_residual=0.0, amount_residual_signed=0.0)
            found.update(unpaid)

        found = {}
        forged, _invoice_id, _name = self.forge(zero_the_residual)
        self.assert_books_refused(
            forged,
            rf"account\.move {found['id']}: its residual is 0\.00, but its installments leave [\d.]+\.",
        )

    def test_amounts_that_are_not_what_the_items_make_are_refused(self):
        def raise_the_total(invoice, lines, members):
            invoice["amount_total_signed"] += 100
            invoice["amount_total"] += 100

        def lower_the_tax(invoice, lines, members):
            self.assertTrue(invoice["amount_tax_signed"], "the test needs a taxed invoice")
            invoice["amount_tax_signed"] -= 1

        for change, amount in ((raise_the_total, "total"), (lower_the_tax, "tax")):
            with self.subTest(change=change.__name__):
                forged, invoice_id, _name = self.forge(change)
                self.assert_books_refused(
                    forged,
                    rf"account\.move {invoice_id}: its {amount} is [\d.]+, but its items make [\d.]+\.",
                )

    def test_a_payment_state_that_the_residual_contradicts_is_refused(self):
        def unpaid_invoice(members):
            return next(
                move
                for move in members[MOVES]
                if move["state"] == "posted"
                and move["move_type"] == "out_invoice"
                and move["payment_state"] == "not_paid"
            )

        def claim_paid(invoice, lines, members):
            found.update(unpaid_invoice(members), payment_state="paid")
            unpaid_invoice(members)["payment_state"] = "paid"  # its residuals still say unpaid

        def pay_an_entry(invoice, lines, members):
            entry = next(move for move in members[MOVES] if move["move_type"] == "entry")
            entry["payment_state"] = "paid"
            found.update(entry)

        for change, message in (
            (claim_paid, r"its payment state: it is paid, but [\d.]+ is left to pay"),
            (pay_an_entry, r"its payment state: it is paid, but only a posted invoice or bill can be"),
        ):
            with self.subTest(change=change.__name__):
                found = {}
                forged, _invoice_id, _name = self.forge(change)
                self.assert_books_refused(forged, rf"account\.move {found['id']}: {message}\.")

    def test_an_invoice_in_a_purchase_journal_is_refused(self):
        def move_to_a_purchase_journal(invoice, lines, members):
            journals = members["data/account.journal.jsonl"]
            invoice["journal_id"] = next(
                journal["id"] for journal in journals if journal["type"] == "purchase"
            )

        forged, invoice_id, _name = self.forge(move_to_a_purchase_journal)
        self.assert_books_refused(
            forged, rf"account\.move {invoice_id}: it is a sale document in a purchase journal\."
        )

    def test_off_balance_accounts_odoo_would_not_allow_are_refused(self):
        def make_off_balance(account_of):
            def change(invoice, lines, members):
                moves = {move["id"]: move for move in members[MOVES]}
                line = account_of(members, moves)
                account = next(a for a in members[ACCOUNTS] if a["id"] == line["account_id"])
                account["account_type"] = "off_balance"
                found.update(line)

            return change

        def taxed_sale_line(members, moves):
            return next(
                line
                for line in members[LINES]
                if line["display_type"] == "product"
                and line["tax_ids"]
                and moves[line["move_id"]]["state"] == "posted"
            )

        def payment_line(members, moves):
            accounts = {account["id"]: account for account in members[ACCOUNTS]}
            return next(
                line
                for line in members[LINES]
                if moves[line["move_id"]]["move_type"] == "entry"
                and accounts[line["account_id"]]["account_type"]
                not in ("asset_receivable", "liability_payable")
            )

        for account_of, message in (
            (taxed_sale_line, r"its journal item \d+: an item on an off-balance account cannot have taxes"),
            (payment_line, r"an entry with an off-balance account must have only off-balance accounts"),
        ):
            with self.subTest(account_of.__name__):
                found = {}
                forged, _invoice_id, _name = self.forge(make_off_balance(account_of))
                self.assert_books_refused(forged, rf"account\.move \d+: {message}")

    def test_an_item_whose_unit_is_not_of_its_products_category_is_refused(self):
        def use_a_unit_of_another_category(invoice, lines, members):
            units, categories = members["data/uom.uom.jsonl"], members["data/uom.category.jsonl"]
            category = dict(categories[0], id=max(c["id"] for c in categories) + 1, name="DZ Test Category")
            unit = dict(
                units[0],
                id=max(u["id"] for u in units) + 1,
                name={"en_US": "DZ Test Unit"},
                category_id=category["id"],
            )
            categories.append(category)
            units.append(unit)
            line = next(line for line in lines if line["display_type"] == "product" and line["product_id"])
            line["product_uom_id"] = unit["id"]
            found.update(line)

        found = {}
        forged, invoice_id, _name = self.forge(use_a_unit_of_another_category)
        self.assert_books_refused(
            forged,
            rf"account\.move {invoice_id}: its journal item {found['id']}: "
            r"its unit of measure is not of the category of its product's unit\.",
        )

    def test_a_posted_number_that_is_not_of_its_date_is_refused(self):
        def date_a_year_earlier(invoice, lines, members):
            day = invoice["date"]
            invoice["date"] = f"{int(day[:4]) - 1}{day[4:]}"

        forged, invoice_id, name = self.forge(date_a_year_earlier)
        self.assert_books_refused(
            forged,
            rf"account\.move {invoice_id}: its number {name} is not of its date \d{{4}}-\d\d-\d\d,"
            r" as its journal's sequence has it\.",
        )

    def test_a_bill_posted_automatically_without_a_bill_date_is_refused(self):
        found = {}

        def drop_the_bill_date(invoice, lines, members):
            bill = next(move for move in members[MOVES] if move["move_type"] == "in_invoice")
            bill.update(auto_post="at_date", invoice_date=None)
            found.update(bill)

        forged, _invoice_id, _name = self.forge(drop_the_bill_date)
        self.assert_books_refused(
            forged,
            rf"account\.move {found['id']}: it is a bill to be posted automatically, without a bill date\.",
        )

    def test_a_partial_reconciliation_without_its_currencies_is_refused(self):
        found = {}

        def drop_a_currency(invoice, lines, members):
            partial = members[PARTIALS][0]
            partial["credit_currency_id"] = None
            found.update(partial)

        forged, _invoice_id, _name = self.forge(drop_a_currency)
        self.assert_books_refused(
            forged,
            rf"account\.partial\.reconcile {found['id']}: "
            r"it lacks the currency of its debit or its credit side\.",
        )

    def test_entries_with_taxes_of_another_country_than_the_fiscal_one_are_refused(self):
        """The sample's taxes are American: a Belgian company would not have them (Odoo's
        _validate_taxes_country), nor would an entry whose fiscal position is of another country."""
        from_elsewhere = rewrite_backup(self.content, lambda members, manifest: None)
        target = self.new_company("DZ Books Belgian Co")
        target.account_fiscal_country_id = self.env.ref("base.be")
        self.assert_refused(
            from_elsewhere,
            r"account\.move \d+: its taxes are of US, but this company's fiscal country is BE: set the"
            r" company's fiscal country \(Accounting settings\) before restoring\.",
            company=target,
        )
        self.env.invalidate_all()
        self.assertFalse(self.env["account.move"].search_count([("company_id", "=", target.id)]))

        found = {}

        def give_a_belgian_position(members, manifest):
            """A fiscal position with a Belgian VAT number on an invoice of American taxes."""
            invoice, _lines = posted_invoice(members)
            countries = members["keys/res.country.jsonl"]
            belgium = next((country for country in countries if country["code"] == "BE"), None)
            if not belgium:
                belgium = dict(countries[0], id=max(c["id"] for c in countries) + 1, code="BE")
                countries.append(belgium)
            name = "data/account.fiscal.position.jsonl"
            fields = next(member["fields"] for member in manifest["members"] if member["name"] == name)
            position = dict.fromkeys(fields) | {"id": 1, "name": "DZ Belgium", "active": True}
            position.update(company_id=invoice["company_id"], country_id=belgium["id"])
            position["foreign_vat"] = "BE0477472701"
            members[name].append(position)
            invoice["fiscal_position_id"] = position["id"]
            found.update(invoice)

        forged = rewrite_backup(self.content, give_a_belgian_position)
        self.assert_books_refused(
            forged,
            rf"account\.move {found['id']}: its taxes are of US, not of its fiscal position's country BE\.",
        )

    def test_orders_whose_totals_are_not_their_lines_are_refused(self):
        def forge_order(model, change):
            found = {}

            def mutate(members, manifest):
                order = members[f"data/{model}.jsonl"][0]
                change(order)
                found.update(order)

            return rewrite_backup(self.content, mutate), found["id"]

        def raise_the_untaxed_amount(order):
            order["amount_untaxed"] += 10
            order["amount_total"] += 10

        def raise_the_total(order):
            order["amount_total"] += 10

        for model, change, message in (
            (
                "sale.order",
                raise_the_untaxed_amount,
                r"its untaxed amount is [\d.]+, but its lines make [\d.]+",
            ),
            (
                "purchase.order",
                raise_the_total,
                r"its total is [\d.]+, but its untaxed amount and taxes make [\d.]+",
            ),
        ):
            with self.subTest(model=model):
                forged, order_id = forge_order(model, change)
                self.assert_books_refused(forged, rf"{model.replace('.', '[.]')} {order_id}: {message}\.")

    def test_two_posted_entries_of_a_journal_sharing_a_number_are_refused(self):
        def copy_a_number(invoice, lines, members):
            other, _lines = posted_invoice(members, number=1)
            other["name"] = invoice["name"]

        forged, _invoice_id, _name = self.forge(copy_a_number)
        self.assert_books_refused(forged, r"account_move_unique_name")

    def test_with_skip_invalid_the_faulty_entry_is_left_out_and_the_rest_restored(self):
        forged, invoice_id, name = self.forge(raise_a_debit)
        target = self.new_company("DZ Books Skipped Co")
        restore = self.restore(target, forged, skip_invalid=True)
        self.assertEqual(restore.state, "done", restore.error)
        skipped = {(entry["model"], entry["id"]): entry["reason"] for entry in restore.report["skipped"]}
        self.assertIn("is unbalanced", skipped[("account.move", invoice_id)])
        restored = self.env["account.move"].search([("company_id", "=", target.id)])
        source = self.env["account.move"].search([("company_id", "=", self.company.id)])
        self.assertNotIn(name, restored.mapped("name"))
        self.assertEqual(
            set(restored.filtered(lambda move: move.state == "posted").mapped("name")),
            set(source.filtered(lambda move: move.state == "posted").mapped("name")) - {name},
        )
        self.env.cr.execute(
            """SELECT move.name FROM account_move_line line JOIN account_move move ON move.id = line.move_id
                WHERE move.company_id = %s GROUP BY move.name HAVING ROUND(SUM(line.balance), 2) != 0""",
            [target.id],
        )
        self.assertFalse(self.env.cr.fetchall(), "every restored entry balances")

    def test_the_restored_books_are_verified_against_the_file_and_shown(self):
        target = self.new_company("DZ Books Verified Co")
        restore = self.restore(target)
        self.assertEqual(restore.state, "done", restore.error)
        books = restore.report["books"]
        posted = self.env["account.move"].search_count(
            [("company_id", "=", self.company.id), ("state", "=", "posted")]
        )
        self.assertEqual((books["entries"], books["left_out"]), (posted, 0))
        self.assertEqual(
            {code: (debit, credit) for code, _name, debit, credit in books["accounts"]},
            self.source_fingerprint["trial_balance"],
        )
        self.assertEqual(dict(books["partners"]), self.source_fingerprint["partner_balances"])
        source_open = self.env["account.move"].search(
            [
                ("company_id", "=", self.company.id),
                ("state", "=", "posted"),
                ("amount_residual_signed", "!=", 0),
            ]
        )
        self.assertTrue(
            source_open.filtered(lambda move: move.is_invoice(True)), "the test needs open invoices"
        )
        source_invoices = sorted(
            [move.name, move.partner_id.name or "", round(move.amount_residual_signed, 2)]
            for move in source_open.filtered(lambda move: move.is_invoice(True))
        )
        self.assertEqual(books["open"], source_invoices[:OPEN_SHOWN])
        self.assertEqual(books["open_count"], len(source_invoices))
        self.assertAlmostEqual(books["open_total"], sum(residual for _n, _p, residual in source_invoices))
        self.assertIn(f"Open invoices and bills: {len(source_invoices)}, ", restore.report_text)
        many = {"entries": 40, "accounts": [], "open": [["INV/1", "A", 5.0]]}
        many |= {"open_count": 30, "open_total": 99.5}  # a report names the first OPEN_SHOWN only
        self.assertEqual(
            format_books(many)[-3:],
            [
                "  Open invoices and bills: 30, 99.50 left to pay",
                f"    {'INV/1':<20} {'A':<30} {5.0:>15,.2f}",
                "    ... and 29 more",
            ],
        )
        self.assertIn("Books verified against the file", restore.report_text)
        self.assertIn("Trial balance:", restore.report_text)

    def test_books_that_differ_from_the_file_fail_the_restore_and_change_nothing(self):
        """A restore that wrote one journal item on another account (as a wrong remapping would)
        is caught by the verification: the job fails with the accounts named, and rolls back."""
        target = self.new_company("DZ Books Differing Co")
        before = fingerprint(target)
        write_settings = RestorePipeline._write_company_settings

        def misplace_an_item(pipeline):
            write_settings(pipeline)
            cr = pipeline.env.cr
            cr.execute(
                """SELECT line.id, line.account_id FROM account_move_line line
                     JOIN account_move move ON move.id = line.move_id
                    WHERE move.company_id = %s AND move.state = 'posted' AND line.debit > 0
                    ORDER BY line.id LIMIT 1""",
                [target.id],
            )
            line_id, account_id = cr.fetchone()
            other = self.env["account.account"].search(
                [("company_ids", "in", target.id), ("id", "!=", account_id)], limit=1
            )
            cr.execute("UPDATE account_move_line SET account_id = %s WHERE id = %s", [other.id, line_id])

        with patch.object(RestorePipeline, "_write_company_settings", misplace_an_item):
            restore = self.restore(target)
        self.assertEqual(restore.state, "failed")
        self.assertRegex(
            restore.error, r"^The restored books differ from the file's, so nothing was restored:\n"
        )
        self.assertIn("the file has", restore.error)
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), before)

    def test_an_entry_that_lost_an_item_on_the_way_fails_or_is_left_out_of_the_comparison(self):
        """A restore that wrote an entry without one of its items (as a writer losing a row
        would) fails with the entry named by its id in the file; when skipping invalid records,
        that entry is left out of the comparison instead, and counted."""
        write_settings = RestorePipeline._write_company_settings
        lost = {}

        def lose_an_item(pipeline):
            write_settings(pipeline)
            cr = pipeline.env.cr
            cr.execute(
                """SELECT line.id, move.name FROM account_move_line line
                     JOIN account_move move ON move.id = line.move_id
                    WHERE move.company_id = %s AND move.state = 'posted'
                      AND move.move_type = 'out_invoice' AND line.display_type = 'product'
                    ORDER BY line.id LIMIT 1""",
                [pipeline.context.company.id],
            )
            line_id, lost["name"] = cr.fetchone()
            cr.execute("DELETE FROM account_move_line WHERE id = %s", [line_id])

        for skip_invalid in (False, True):
            with self.subTest(skip_invalid=skip_invalid):
                target = self.new_company(f"DZ Books Lost Item Co {skip_invalid}")
                with patch.object(RestorePipeline, "_write_company_settings", lose_an_item):
                    restore = self.restore(target, skip_invalid=skip_invalid)
                file_id = self.env["account.move"].search(
                    [("company_id", "=", self.company.id), ("name", "=", lost["name"])]
                )
                if not skip_invalid:
                    self.assertEqual(restore.state, "failed")
                    self.assertIn(f"lost journal items on the way ({file_id.id})", restore.error)
                    continue
                self.assertEqual(restore.state, "done", restore.error)
                posted = self.env["account.move"].search_count(
                    [("company_id", "=", self.company.id), ("state", "=", "posted")]
                )
                books = restore.report["books"]
                self.assertEqual((books["entries"], books["left_out"]), (posted - 1, 1))

    def test_a_genuine_file_from_elsewhere_still_restores_exactly(self):
        from_elsewhere = rewrite_backup(self.content, lambda members, manifest: None)
        target = self.new_company("DZ Books Genuine Co")
        restore = self.restore(target, from_elsewhere)
        self.assertEqual(restore.state, "done", restore.error)
        self.assertFalse(restore.report.get("skipped"))
        self.env.invalidate_all()
        self.assertEqual(fingerprint(target), self.source_fingerprint)
