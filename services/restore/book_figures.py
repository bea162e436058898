"""The books the restore wrote, compared with the books in the file: the check an accountant runs
by hand after a restore.

While the writer streams the file's journal entries and items, ``BookFigures`` adds up, per
account and partner, the debits and credits of the items of posted entries as the file has
them. Once every row is written, the same sums are read from the entries the restore wrote, and
the two are compared at the rounding of the company's currency. A difference fails the restore,
which is rolled back, and names it. The figures go to the report: the trial balance per account,
the balance of each partner on receivable and payable accounts, and the open invoices and bills
with their residuals (each the file's).

Entries that *skip invalid* left out, whole or in part, are compared on neither side.
"""

import collections

from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare

from ...engine.record_table import RecordTable
from ..sql import copy_rows, empty_temporary_table, fetched_in_batches
from .context import SHOWN, id_array, shown

MOVE, LINE = "account.move", "account.move.line"
INVOICES = ("out_invoice", "out_refund", "out_receipt", "in_invoice", "in_refund", "in_receipt")
POSTED, INVOICE, SEEN, WRITTEN = 1, 2, 4, 8  # flags of a posted entry's row (SEEN: WRITTEN is known)
OPEN_SHOWN = 20  # open invoices and bills named in the report (all are counted and checked)


class BookFigures:
    def __init__(self, context):
        self.context = context
        self.env = context.env
        # a row per posted entry: its items in the file, and an invoice's or bill's residual
        # there (company currency)
        self.posted = RecordTable(numbers=("items", "residual"))
        self.sums = collections.defaultdict(lambda: [0.0, 0.0])  # (account, partner) -> debit, credit

    def watch(self, model, batches):
        """The ``RecordBatch``es of ``model`` as the writer gets them, added up on the way."""
        if model == MOVE:
            return self._watch_entries(batches)
        if model == LINE:
            return self._watch_items(batches)
        return batches

    def _watch_entries(self, batches):
        posted = self.posted
        for batch in batches:
            values = map(batch.values, ("id", "state", "move_type", "amount_residual_signed"))
            for record_id, state, move_type, residual in zip(*values, strict=True):
                if state == "posted":
                    row = posted.row(record_id)
                    posted.flags[row] = POSTED
                    if move_type in INVOICES:
                        posted.flags[row] |= INVOICE
                        posted.residual[row] = residual or 0.0
            yield batch

    def _watch_items(self, batches):
        find, flags, items, sums = self.posted.find, self.posted.flags, self.posted.items, self.sums
        written = self.context.remap.mapping(MOVE)  # the entries are written before their items
        for batch in batches:
            values = map(batch.values, ("move_id", "account_id", "partner_id", "debit", "credit"))
            for move_id, account_id, partner_id, debit, credit in zip(*values, strict=True):
                row = find(move_id)
                if row is not None and not flags[row] & SEEN:  # once per entry
                    flags[row] |= SEEN | (WRITTEN if move_id in written else 0)
                if row is not None and flags[row] & WRITTEN:
                    amounts = sums[account_id, partner_id]
                    amounts[0] += debit or 0.0
                    amounts[1] += credit or 0.0
                    items[row] += 1
            yield batch

    # ------------------------------------------------------------------
    def verify(self):
        """Compare the file's figures with the restored rows; return the figures for the report,
        or None when the file has no posted entry. Raise UserError on a difference.

        The posted entries written go to a temporary table (their new id, file id, items in
        the file, residual there), which the comparisons join: a dict of them cost some 100
        bytes an entry."""
        compared = self._load_posted()
        if not compared:
            return None
        incomplete = self._incomplete()
        if incomplete:
            self._left_out(incomplete)
            self.context.cr.execute(
                "DELETE FROM danger_zone_posted WHERE file_id = ANY(%s::int[])", [id_array(incomplete)]
            )
            compared -= len(incomplete)
        restored = self._restored_sums()
        differences = self._differences(self._file_sums(), restored)
        if differences:
            raise UserError(
                self.env._(
                    "The restored books differ from the file's, so nothing was restored:\n%s",
                    shown(differences),
                )
            )
        figures = self._figures(restored, compared, len(incomplete))
        figures.update(self._open_invoices())
        return figures

    def _load_posted(self):
        """Put the posted entries written in the temporary table danger_zone_posted; return
        how many."""
        cr, posted = self.context.cr, self.posted
        moves = self.context.remap.mapping(MOVE)
        empty_temporary_table(
            cr,
            "danger_zone_posted",
            "id integer, file_id integer, items integer, invoice boolean, residual float8",
        )
        rows = (
            (new_id, file_id, int(posted.items[row]), bool(posted.flags[row] & INVOICE), posted.residual[row])
            for file_id, row in posted.rows.items()
            if (new_id := moves.get(file_id)) is not None
        )
        copy_rows(cr, "danger_zone_posted", ("id", "file_id", "items", "invoice", "residual"), rows)
        cr.execute("ANALYZE danger_zone_posted")
        cr.execute("SELECT count(*) FROM danger_zone_posted")
        return cr.fetchone()[0]

    def _open_invoices(self):
        """The restored invoices and bills with a residual, each checked against the file's:
        how many, their total, the first ``OPEN_SHOWN`` (a company of years has tens of
        thousands, read a batch at a time)."""
        query = SQL("""SELECT move.name, partner.name, move.amount_residual_signed, posted.residual
                     FROM danger_zone_posted posted
                     JOIN account_move move ON move.id = posted.id
                LEFT JOIN res_partner partner ON partner.id = move.partner_id
                    WHERE posted.invoice ORDER BY move.name, move.id""")
        rounding = self.context.company.currency_id.rounding
        shown_open, count, total, differences = [], 0, 0.0, []
        for name, partner, residual, expected in fetched_in_batches(self.context.cr, query):
            residual = float(residual or 0)
            if float_compare(residual, expected, precision_rounding=rounding):
                differences.append(
                    self.env._(
                        "%(name)s: the file has a residual of %(expected).2f; "
                        "the restore wrote %(residual).2f",
                        name=name,
                        expected=expected,
                        residual=residual,
                    )
                )
            elif float_compare(expected, 0.0, precision_rounding=rounding):
                count, total = count + 1, total + round(expected, 2)
                if len(shown_open) < OPEN_SHOWN:
                    shown_open.append([name, partner or "", round(expected, 2)])
        if differences:
            raise UserError(
                self.env._(
                    "The restored books differ from the file's, so nothing was restored:\n%s",
                    shown(differences),
                )
            )
        return {"open_count": count, "open_total": round(total, 2), "open": shown_open}

    def _incomplete(self):
        """The file ids of the posted entries of which the restore wrote fewer items than the
        file holds."""
        self.context.cr.execute(
            """SELECT posted.file_id FROM danger_zone_posted posted
                 LEFT JOIN (SELECT move_id, count(*) AS items FROM account_move_line
                             WHERE move_id IN (SELECT id FROM danger_zone_posted) GROUP BY move_id) written
                        ON written.move_id = posted.id
                WHERE coalesce(written.items, 0) != posted.items"""
        )
        incomplete = {file_id for (file_id,) in self.context.cr.fetchall()}
        if incomplete and not self.context.skip_invalid:
            raise UserError(
                self.env._(
                    "The restored books differ from the file's, so nothing was restored: "
                    "entries of the file lost journal items on the way (%s).",
                    ", ".join(map(str, sorted(incomplete)[:SHOWN])),
                )
            )
        return incomplete

    def _left_out(self, incomplete):
        """Take the items of entries skip-invalid did not restore whole out of the file's sums,
        reading the file's items again (only then)."""
        member = self.context.member(LINE, "data")
        for record in self.context.reader.records(member["name"]):
            if record.get("move_id") in incomplete:
                amounts = self.sums[record.get("account_id"), record.get("partner_id")]
                amounts[0] -= record.get("debit") or 0.0
                amounts[1] -= record.get("credit") or 0.0

    def _file_sums(self):
        """The file's sums, keyed by the ids the accounts and partners have here."""
        remap, sums = self.context.remap, collections.defaultdict(lambda: [0.0, 0.0])
        for (account, partner), (debit, credit) in self.sums.items():
            key = (
                remap.get("account.account", account),
                remap.get("res.partner", partner) if partner else None,
            )
            sums[key][0] += debit
            sums[key][1] += credit
        return sums

    def _restored_sums(self):
        self.context.cr.execute(
            """SELECT account_id, partner_id, SUM(debit), SUM(credit) FROM account_move_line
                WHERE move_id IN (SELECT id FROM danger_zone_posted) GROUP BY account_id, partner_id"""
        )
        return {
            (account, partner): (float(debit or 0), float(credit or 0))
            for account, partner, debit, credit in self.context.cr.fetchall()
        }

    def _differences(self, expected, restored):
        rounding = self.context.company.currency_id.rounding
        differences = []
        for key in sorted(set(expected) | set(restored), key=str):
            file_debit, file_credit = expected.get(key, (0.0, 0.0))
            debit, credit = restored.get(key, (0.0, 0.0))
            if float_compare(file_debit, debit, precision_rounding=rounding) or float_compare(
                file_credit, credit, precision_rounding=rounding
            ):
                differences.append(
                    self.env._(
                        "%(where)s: the file has %(file_debit).2f debit, %(file_credit).2f credit; "
                        "the restore wrote %(debit).2f debit, %(credit).2f credit",
                        where=self._where(*key),
                        file_debit=file_debit,
                        file_credit=file_credit,
                        debit=debit,
                        credit=credit,
                    )
                )
        return differences

    def _where(self, account_id, partner_id):
        account = self._accounts().browse(account_id).exists()
        partner = self.env["res.partner"].sudo().browse(partner_id).exists() if partner_id else None
        where = f"{account.code} {account.name}" if account else self.env._("an account not restored")
        return f"{where}, {partner.display_name}" if partner else where

    def _accounts(self):
        """Accounts as the company sees them: their codes are the company's own."""
        return self.env["account.account"].sudo().with_company(self.context.company)

    def _figures(self, restored, compared, left_out):
        """The trial balance per account, and each partner's balance on receivable and payable
        accounts, as restored (and as the file has them)."""
        accounts = collections.defaultdict(lambda: [0.0, 0.0])
        partners = collections.defaultdict(float)
        Accounts = self._accounts()
        for (account_id, partner_id), (debit, credit) in restored.items():
            if not account_id:
                continue  # sections and notes
            accounts[account_id][0] += debit
            accounts[account_id][1] += credit
            account = Accounts.browse(account_id)
            if partner_id and account.account_type in ("asset_receivable", "liability_payable"):
                partners[partner_id] += debit - credit
        Partners = self.env["res.partner"].sudo()
        return {
            "entries": compared,
            "left_out": left_out,
            "accounts": sorted(
                [
                    Accounts.browse(account_id).code,
                    Accounts.browse(account_id).name,
                    round(debit, 2),
                    round(credit, 2),
                ]
                for account_id, (debit, credit) in accounts.items()
            ),
            "partners": sorted(
                [Partners.browse(partner_id).display_name, round(balance, 2)]
                for partner_id, balance in partners.items()
            ),
        }
