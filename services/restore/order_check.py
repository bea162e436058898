"""Orders' totals as Odoo computes them, checked on the values of a file from elsewhere.

A sale or purchase order's untaxed amount is its lines' subtotals, and its total is its untaxed
amount plus its taxes (``_compute_amounts`` of sales, ``_amount_all`` of purchases, which round
each line's base before adding them up). The record check hands this class the orders and their
lines a batch at a time; it keeps per order only the two sums, and says which orders break the
rule. Amounts are compared at the rounding of the company's currency.
"""

from collections import defaultdict

from odoo.tools import float_compare

ORDERS = {"sale.order": "sale.order.line", "purchase.order": "purchase.order.line"}


class OrderCheck:
    MODELS = (*ORDERS, *ORDERS.values())

    def __init__(self, env, currency):
        self.env = env
        self.rounding, self.digits = currency.rounding, currency.decimal_places
        self.amounts = {}  # (order model, id) -> (untaxed, tax, total) as the file has them
        self.subtotals = defaultdict(float)  # (order model, id) -> its lines' subtotals

    def add_columns(self, model, columns):
        """Take a checked batch of ``model``'s records, a column at a time."""
        size = len(columns["id"])

        def column(name):
            return columns.get(name) or [None] * size

        if model in ORDERS:
            amounts = zip(column("amount_untaxed"), column("amount_tax"), column("amount_total"), strict=True)
            for order_id, values in zip(columns["id"], amounts, strict=True):
                self.amounts[(model, order_id)] = values
            return
        order_model = next(order for order, lines in ORDERS.items() if lines == model)
        for order_id, subtotal in zip(column("order_id"), column("price_subtotal"), strict=True):
            self.subtotals[(order_model, order_id)] += subtotal or 0.0

    def add_record(self, model, record):
        """Take one checked record of ``model``."""
        self.add_columns(model, {name: [value] for name, value in record.items()} | {"id": [record["id"]]})

    def faults(self):
        """{(model, file id): reason} of the orders whose totals are not what their lines make."""
        faults = {}
        for key, (untaxed, tax, total) in self.amounts.items():
            lines = self.subtotals.get(key, 0.0)
            if untaxed is not None and self._differ(untaxed, lines):
                faults[key] = self.env._(
                    "its untaxed amount is %(untaxed)s, but its lines make %(lines)s",
                    untaxed=self._amount(untaxed),
                    lines=self._amount(lines),
                )
            elif None not in (untaxed, tax, total) and self._differ(total, untaxed + tax):
                faults[key] = self.env._(
                    "its total is %(total)s, but its untaxed amount and taxes make %(sum)s",
                    total=self._amount(total),
                    sum=self._amount(untaxed + tax),
                )
        return faults

    def _differ(self, value, expected):
        return float_compare(value, expected, precision_rounding=self.rounding) != 0

    def _amount(self, value):
        return f"{value:.{self.digits}f}"
