"""The stock the restore wrote, compared with the stock in the file: quantities on hand per
product and location, and, where Inventory values stock, the valuation per product.

While the writer streams the file's quants and valuation layers, ``StockFigures`` keeps each
one's product, location and amounts as the file has them. Once every row is written, the same
sums are read from the rows the restore wrote, and the two are compared: quantities at the
precision of units of measure, values at the rounding of the company's currency. A difference
fails the restore, which is rolled back, and names it. Quants and layers that *skip invalid*
left out are compared on neither side. The figures go to the report.
"""

import collections

from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare

from .context import id_array, shown

QUANT, LAYER = "stock.quant", "stock.valuation.layer"


class StockFigures:
    def __init__(self, context):
        self.context = context
        self.env = context.env
        self.quants = {}  # file id -> (product, location, quantity) as the file has them
        self.layers = {}  # file id -> (product, quantity, value)

    def watch(self, model, batches):
        """The ``RecordBatch``es of ``model`` as the writer gets them, noted on the way."""
        if model == QUANT:
            return self._watch(batches, self.quants, ("product_id", "location_id", "quantity"))
        if model == LAYER:
            return self._watch(batches, self.layers, ("product_id", "quantity", "value"))
        return batches

    @staticmethod
    def _watch(batches, kept, names):
        for batch in batches:
            kept.update(zip(batch.values("id"), zip(*map(batch.values, names), strict=True), strict=True))
            yield batch

    # ------------------------------------------------------------------
    def verify(self):
        """Compare the file's stock with the restored rows; return the figures for the report,
        or None when the file has no quant nor valuation layer. Raise UserError on a difference."""
        if not self.quants and not self.layers:
            return None
        quantities = self._compare(
            QUANT, self.quants, ("product_id", "location_id"), ("quantity",), self._quantity_digits()
        )
        valuation = self._compare(
            LAYER, self.layers, ("product_id",), ("quantity", "value"), self._quantity_digits(), self._money()
        )
        return {
            "quants": sum(1 for file_id in self.quants if self.context.remap.get(QUANT, file_id)),
            "quantities": self._named_quantities(quantities),
            "valuation": self._named_valuation(valuation),
        }

    def _compare(self, model, kept, keys, amounts, *precisions):
        """{key here: sums} of the written rows of ``model``, after checking them against the
        file's ``kept`` values (the same keys through the remapping table)."""
        mapping = self.context.remap.mapping(model)
        expected = collections.defaultdict(lambda: [0.0] * len(amounts))
        for file_id, values in kept.items():
            if file_id not in mapping:
                continue  # left out by skip invalid
            key = tuple(self._remapped(model, name, value) for name, value in zip(keys, values, strict=False))
            for index, value in enumerate(values[len(keys) :]):
                expected[key][index] += value or 0.0
        restored = self._restored_sums(model, keys, amounts, list(mapping.values()))
        differences = []
        for key in sorted(set(expected) | set(restored), key=str):
            file_values = expected.get(key, [0.0] * len(amounts))
            written = restored.get(key, [0.0] * len(amounts))
            if any(
                float_compare(a, b, **precision)
                for a, b, precision in zip(file_values, written, precisions, strict=True)
            ):
                differences.append(self._difference(model, key, amounts, file_values, written))
        if differences:
            raise UserError(
                self.env._(
                    "The restored stock differs from the file's, so nothing was restored:\n%s",
                    shown(differences),
                )
            )
        return restored

    def _remapped(self, model, name, value):
        relation = self.env[model]._fields[name].comodel_name
        return self.context.remap.get(relation, value) if value else None

    def _restored_sums(self, model, keys, amounts, ids):
        table = SQL.identifier(self.env[model]._table)
        key_columns = SQL(", ").join(SQL.identifier(name) for name in keys)
        sums = SQL(", ").join(SQL("SUM(%s)", SQL.identifier(name)) for name in amounts)
        self.context.cr.execute(
            SQL(
                "SELECT %s, %s FROM %s WHERE id = ANY(%s::int[]) GROUP BY %s",
                key_columns,
                sums,
                table,
                id_array(ids),
                key_columns,
            )
        )
        return {
            tuple(row[: len(keys)]): [float(value or 0) for value in row[len(keys) :]]
            for row in self.context.cr.fetchall()
        }

    def _difference(self, model, key, amounts, file_values, written):
        where = ", ".join(
            self._name(name, record_id) for name, record_id in zip(self._keys(model), key, strict=True)
        )
        return self.env._(
            "%(where)s: the file has %(file)s; the restore wrote %(written)s",
            where=where,
            file=", ".join(f"{name} {value:g}" for name, value in zip(amounts, file_values, strict=True)),
            written=", ".join(f"{name} {value:g}" for name, value in zip(amounts, written, strict=True)),
        )

    @staticmethod
    def _keys(model):
        return ("product.product", "stock.location") if model == QUANT else ("product.product",)

    def _name(self, model, record_id):
        record = self.env[model].sudo().browse(record_id).exists() if record_id else None
        if not record:
            return self.env._("a record not restored")
        return record.complete_name if model == "stock.location" else record.display_name

    def _named_quantities(self, sums):
        return sorted(
            [
                self._name("product.product", product),
                self._name("stock.location", location),
                round(quantity, 4),
            ]
            for (product, location), (quantity,) in sums.items()
        )

    def _named_valuation(self, sums):
        return sorted(
            [self._name("product.product", product), round(quantity, 4), round(value, 2)]
            for (product,), (quantity, value) in sums.items()
        )

    def _quantity_digits(self):
        digits = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        return {"precision_digits": digits}

    def _money(self):
        return {"precision_rounding": self.context.company.currency_id.rounding}
