import unittest

from ..ordering import CycleError, insertion_order

# A slice of Odoo's accounting graph: (relation, required) per many2one.
ACCOUNTING = {
    "res.company": {},
    "res.partner": {"parent_id": ("res.partner", False), "company_id": ("res.company", False)},
    "account.account": {"company_id": ("res.company", True)},
    "account.journal": {
        "company_id": ("res.company", True),
        "default_account_id": ("account.account", False),
    },
    "account.move": {
        "journal_id": ("account.journal", True),
        "partner_id": ("res.partner", False),
        "origin_payment_id": ("account.payment", False),
        "reversed_entry_id": ("account.move", False),
    },
    "account.move.line": {
        "move_id": ("account.move", True),
        "account_id": ("account.account", False),
        "full_reconcile_id": ("account.full.reconcile", False),
    },
    "account.payment": {"move_id": ("account.move", False), "journal_id": ("account.journal", True)},
    "account.full.reconcile": {"exchange_move_id": ("account.move", False)},
    "account.partial.reconcile": {
        "debit_move_id": ("account.move.line", True),
        "credit_move_id": ("account.move.line", True),
        "full_reconcile_id": ("account.full.reconcile", False),
    },
}


class InsertionOrderCase(unittest.TestCase):
    def test_required_references_come_first(self):
        order, _deferred = insertion_order(ACCOUNTING)
        self.assertEqual(sorted(order), sorted(ACCOUNTING))
        position = {model: index for index, model in enumerate(order)}
        for model, references in ACCOUNTING.items():
            for relation, required in references.values():
                if required:
                    self.assertLess(position[relation], position[model], f"{model} -> {relation}")

    def test_optional_forward_references_are_deferred(self):
        order, deferred = insertion_order(ACCOUNTING)
        position = {model: index for index, model in enumerate(order)}
        for model, field in deferred:
            relation, required = ACCOUNTING[model][field]
            self.assertFalse(required)
            self.assertGreaterEqual(position[relation], position[model])
        self.assertIn(("account.move", "reversed_entry_id"), deferred, "self references wait")
        self.assertNotIn(("account.move", "journal_id"), deferred)

    def test_stable_and_ignores_models_outside(self):
        graph = {"b": {"x": ("outside", True)}, "a": {"y": ("b", False)}, "c": {}}
        self.assertEqual(insertion_order(graph), (["b", "a", "c"], []))
        self.assertEqual(insertion_order(graph), insertion_order(dict(reversed(graph.items()))))

    def test_required_cycle_is_refused(self):
        graph = {"a": {"b_id": ("b", True)}, "b": {"a_id": ("a", True)}, "c": {}}
        with self.assertRaisesRegex(CycleError, "cycle between: a, b"):
            insertion_order(graph)

    def test_optional_references_point_backwards_when_they_can(self):
        # journal items refer to products optionally: products go first, nothing is deferred
        graph = {
            "account.move.line": {"product_id": ("product.product", False)},
            "product.product": {"product_tmpl_id": ("product.template", True)},
            "product.template": {},
        }
        self.assertEqual(
            insertion_order(graph), (["product.template", "product.product", "account.move.line"], [])
        )
        order, deferred = insertion_order(ACCOUNTING)
        self.assertNotIn(("account.move", "partner_id"), deferred)
        self.assertLess(len(deferred), 5, deferred)

    def test_a_cycle_is_broken_where_fewest_values_wait(self):
        """Partners and users name each other, so only cycles remain. Analytic lines come first
        alphabetically: taken first, their references to journal items and partners would each
        be written twice. With sizes, the cycle is broken at the partners (a few records)."""
        graph = {
            "account.analytic.line": {
                "move_line_id": ("account.move.line", False),
                "partner_id": ("res.partner", False),
            },
            "account.move.line": {"partner_id": ("res.partner", False)},
            "res.partner": {"user_id": ("res.users", False)},
            "res.users": {"partner_id": ("res.partner", True)},
        }
        _order, deferred = insertion_order(graph)
        self.assertIn(("account.analytic.line", "move_line_id"), deferred)
        sizes = {
            "account.analytic.line": 170_000,
            "account.move.line": 300_000,
            "res.partner": 50,
            "res.users": 3,
        }
        order, deferred = insertion_order(graph, sizes)
        self.assertEqual(deferred, [("res.partner", "user_id")])
        self.assertEqual(order, ["res.partner", "account.move.line", "account.analytic.line", "res.users"])
