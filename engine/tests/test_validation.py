import unittest

from ..archive import BackupFormatError
from ..validation import check_record

FIELDS = {
    "id": {"type": "integer"},
    "name": {"type": "char", "translate": True},
    "ref": {"type": "char"},
    "amount": {"type": "monetary"},
    "quantity": {"type": "float"},
    "sequence": {"type": "integer"},
    "active": {"type": "boolean"},
    "date": {"type": "date"},
    "write_at": {"type": "datetime"},
    "state": {"type": "selection"},
    "partner_id": {"type": "many2one", "relation": "res.partner"},
    "tax_ids": {"type": "many2many", "relation": "account.tax"},
    "res_id": {"type": "many2one_reference", "model_field": "res_model"},
    "analytic_distribution": {"type": "json", "key_relation": "account.analytic.account"},
}

GOOD = {
    "id": 7,
    "name": {"en_US": "Chair", "fr_FR": "Chaise"},
    "ref": "A-1",
    "amount": 12.5,
    "quantity": 2,
    "sequence": 10,
    "active": True,
    "date": "2026-11-22",
    "write_at": "2026-11-22T04:00:00",
    "state": "posted",
    "partner_id": 3,
    "tax_ids": [1, 2],
    "res_id": 9,
    "analytic_distribution": {"4,5": 100.0},
}


class CheckRecordCase(unittest.TestCase):
    def test_good_record_and_nulls_pass(self):
        check_record(GOOD, FIELDS, "line 1")
        check_record(dict.fromkeys(GOOD, None) | {"id": 1}, FIELDS, "line 1")

    def test_wrong_values_are_refused_with_the_field_named(self):
        cases = {
            "id": (0, "'id' must be a positive integer"),
            "ref": ({"en_US": "A-1"}, "field 'ref' must be of type char"),
            "amount": ("12.5", "field 'amount' must be of type monetary"),
            "sequence": (1.5, "field 'sequence' must be of type integer"),
            "active": (1, "field 'active' must be of type boolean"),
            "date": ("22/11/2026", "field 'date' must be a date"),
            "write_at": ("2026-11-22 04:00", "field 'write_at' must be a datetime"),
            "partner_id": (True, "field 'partner_id' must be an id"),
            "tax_ids": ([(4, 1)], "field 'tax_ids' must be a list of ids"),
            "res_id": (-3, "field 'res_id' must be an id"),
        }
        for name, (value, message) in cases.items():
            with self.subTest(field=name), self.assertRaisesRegex(BackupFormatError, f"line 9: {message}"):
                check_record(dict(GOOD, **{name: value}), FIELDS, "line 9")

    def test_undeclared_fields_are_refused(self):
        for name in ("create_uid", "password", "x_unknown"):
            with self.subTest(field=name), self.assertRaisesRegex(BackupFormatError, "not declared"):
                check_record(dict(GOOD, **{name: 1}), FIELDS, "line 2")
