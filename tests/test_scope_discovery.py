from odoo.tests import TransactionCase, tagged

from ..services.scope_rules import ScopeRule


@tagged("post_install", "-at_install")
class TestScopeDiscovery(TransactionCase):
    """How the scope finds the models of the installed apps (the round trips prove the rest)."""

    def test_company_models_and_their_children_are_discovered_and_queues_left_out(self):
        rules = {rule.model: rule for rule in self.env["danger.zone.scope"]._danger_zone_discovered_rules()}
        self.assertEqual(rules["product.supplierinfo"].company, "shared")  # a company that may be empty
        self.assertEqual(rules["account.lock_exception"].company, "own")  # a required company
        self.assertEqual(rules["resource.calendar.attendance"].parents, ("calendar_id",))  # no company
        for left_out in ("mail.notification", "res.users.apikeys", "payment.token", "danger.zone.backup"):
            self.assertNotIn(left_out, rules)

    def test_a_model_that_needs_what_no_backup_carries_is_left_out(self):
        Scope = self.env["danger.zone.scope"]
        vendor_prices = [ScopeRule("product.supplierinfo", "shared")]
        self.assertIn("res.partner", Scope._danger_zone_missing_requirements("product.supplierinfo", set()))
        carried = {"res.partner", "res.currency", "product.template", "product.product"}
        self.assertEqual(Scope._danger_zone_writable_rules(vendor_prices, [], carried, set()), vendor_prices)
        self.assertEqual(
            Scope._danger_zone_writable_rules(vendor_prices, [], carried - {"res.partner"}, set()), []
        )

    def test_shared_records_that_company_records_point_to_are_carried_and_matched_by_name(self):
        Scope = self.env["danger.zone.scope"]
        rules = {rule.model: rule for rule in Scope._danger_zone_discovered_rules()}
        self.assertEqual(rules["hr.employee.category"], ScopeRule("hr.employee.category", "none"))  # tags
        self.assertNotIn("mail.template", rules, "templates run expressions: never created from a file")
        keys = Scope._danger_zone_matching_keys()
        self.assertEqual(keys["hr.employee.category"], ["name"])
        self.assertEqual(keys["utm.campaign"], ["name"])  # no longer a key that must exist
        self.assertEqual(keys["res.partner.bank"], ["sanitized_acc_number", "partner_id"])  # its constraint
        self.assertNotIn("utm.campaign", Scope._danger_zone_natural_keys())
        self.assertNotIn("res.partner", keys, "contacts of the same name are not the same contact")
