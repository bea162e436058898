import random
import unittest

from ..errors import BackupFormatError
from ..validation import check_record, columns_checker

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
            "sequence": (1.5, "field 'sequence' must be an integer"),
            "active": (1, "field 'active' must be of type boolean"),
            "date": ("22/11/2026", "field 'date' must be a date"),
            "write_at": ("2026-11-22 04:00", "field 'write_at' must be a datetime"),
            "partner_id": (True, "field 'partner_id' must be an id"),
            "tax_ids": ([(4, 1)], "field 'tax_ids' must be a list of ids"),
            "res_id": (-3, "field 'res_id' must be an id"),
        }
        # what PostgreSQL would refuse to write: out of int4, not a day, NUL characters
        cases_written = {
            "sequence": (2**31, "field 'sequence' must be an integer between"),
            "date": ("2026-02-30", "field 'date' must be a date"),
            "write_at": ("2026-13-01T00:00:00", "field 'write_at' must be a datetime"),
            "ref": ("A\x00B", "field 'ref' must be free of NUL characters"),
            "name": ({"en_US": "Chair\x00"}, "field 'name' must be free of NUL characters"),
            "state": ("posted\x00", "field 'state' must be free of NUL characters"),
            "analytic_distribution": ({"4\x00": 1.0}, "field 'analytic_distribution' must be free of NUL"),
        }
        cases.update({f"{name} (written)": case for name, case in cases_written.items()})
        for case, (value, message) in cases.items():
            name = case.split()[0]
            with self.subTest(field=case), self.assertRaisesRegex(BackupFormatError, f"line 9: {message}"):
                check_record(dict(GOOD, **{name: value}), FIELDS, "line 9")

    def test_required_fields_must_have_a_value(self):
        check_record(GOOD, FIELDS, "line 3", required=("partner_id", "date"))
        for record in (dict(GOOD, partner_id=None), {k: v for k, v in GOOD.items() if k != "partner_id"}):
            with self.assertRaisesRegex(BackupFormatError, "line 3: the required field 'partner_id' has no"):
                check_record(record, FIELDS, "line 3", required=("partner_id", "date"))
        checker = columns_checker(FIELDS, required=("partner_id",))
        self.assertIsNotNone(checker([GOOD, dict(GOOD, id=8)]))
        self.assertIsNone(checker([GOOD, dict(GOOD, id=8, partner_id=None)]))

    def test_undeclared_fields_are_refused(self):
        for name in ("create_uid", "password", "x_unknown"):
            with self.subTest(field=name), self.assertRaisesRegex(BackupFormatError, "not declared"):
                check_record(dict(GOOD, **{name: 1}), FIELDS, "line 2")


class ColumnsCheckerCase(unittest.TestCase):
    """``columns_checker`` must accept a batch only when every record passes ``check_record``."""

    BAD_VALUES = {
        "id": [0, -1, None, True, 1.0, "7"],
        "name": [{"en_US": 3}, {"en_US": ["x"]}, 4, ["Chair"], "Ch\x00air", {"fr_FR": "\x00"}],
        "ref": [{"en_US": "A-1"}, 5, False, "\x00"],
        "amount": ["12.5", True, [1]],
        "quantity": [True, "2"],
        "sequence": [1.5, True, "10", 2**31, -(2**31) - 1],
        "active": [1, 0, "true"],
        "date": ["22/11/2026", "2026-11-22T04:00:00", 20261122, "2026-02-30", "0000-01-01"],
        "write_at": ["2026-11-22 04:00", "2026-11-22", 0, "2026-11-22T25:00:00"],
        "state": [3, ["posted"], "po\x00sted"],
        "partner_id": [True, 0, -4, 3.0, "3", [3]],
        "tax_ids": [[(4, 1)], [[6, 0, [1, 2]]], [0], [1, True], [1.0], 3, "1,2"],
        "res_id": [-3, 0, False],
        "analytic_distribution": [{"4": "\x00"}, ["\x00"]],
    }

    def setUp(self):
        super().setUp()
        self.columns = columns_checker(FIELDS)

    def _passes(self, record):
        try:
            check_record(record, FIELDS, "line 1")
        except BackupFormatError:
            return False
        return True

    def test_a_good_batch_gives_its_columns(self):
        nulls = dict.fromkeys(GOOD, None) | {"id": 8}
        columns = self.columns([GOOD, nulls, dict(GOOD, id=9, tax_ids=[])])
        self.assertEqual(columns["id"], (7, 8, 9))
        self.assertEqual(columns["tax_ids"], ([1, 2], None, []))
        self.assertEqual(set(columns), set(GOOD))

    def test_any_bad_value_makes_the_batch_checked_one_by_one(self):
        for name, values in self.BAD_VALUES.items():
            for value in values:
                bad = dict(GOOD, **{"id": 8, name: value})
                if self._passes(bad):
                    continue  # e.g. None where nulls are allowed
                with self.subTest(field=name, value=value):
                    self.assertIsNone(self.columns([dict(GOOD), bad, dict(GOOD, id=9)]))
                    self.assertIsNone(self.columns([bad]))

    def test_undeclared_missing_and_mixed_fields_are_not_accepted(self):
        without_id = {key: value for key, value in GOOD.items() if key != "id"}
        shorter = {key: value for key, value in GOOD.items() if key != "ref"}
        swapped = dict(shorter, password="x")
        for batch in (
            [dict(GOOD, password="x")],
            [without_id],
            [GOOD, shorter],
            [shorter | {"ref": None}, swapped],
        ):
            with self.subTest(batch=batch):
                self.assertIsNone(self.columns(batch))
        self.assertIsNotNone(self.columns([shorter, dict(shorter, id=8)]))

    def test_accepted_batches_always_pass_record_by_record(self):
        rng = random.Random(22)
        pools = {name: [GOOD[name], None, *self.BAD_VALUES.get(name, [])] for name in GOOD}
        for _ in range(3000):
            batch = [
                {name: rng.choice(pool) if rng.random() < 0.3 else GOOD[name] for name, pool in pools.items()}
                for _ in range(rng.randint(1, 3))
            ]
            accepted = self.columns(batch) is not None
            self.assertEqual(accepted, all(map(self._passes, batch)), batch)
