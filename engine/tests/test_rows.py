import random
import unittest

from ..reader import RecordBatch
from ..record_table import IdSet
from ..rows import Column, IdMap, Remap, RowBuilder

RECORDS = [
    {
        "id": 1,
        "name": "tab\there",
        "amount": 1.5,
        "active": True,
        "note": None,
        "partner_id": 1,
        "parent_id": 2,
        "label": "Chair",
        "analytic_distribution": {"1,2": 100.0},
        "data": [1, "a"],
    },
    {
        "id": 2,
        "name": "plain",
        "amount": 3,
        "active": False,
        "note": "back\\slash\nnew line",
        "partner_id": None,
        "parent_id": None,
        "label": {"en_US": "X", "fr_FR": "Y"},
        "analytic_distribution": None,
        "data": None,
    },
    {"id": 3, "name": None, "amount": None, "active": None, "note": "", "partner_id": 2},
]


def make_builder(*extra_columns):
    remap = Remap()
    for old_id, new_id in ((1, 101), (2, 102)):
        remap.add("res.partner", old_id, new_id)
    columns = [
        Column("name"),
        Column("amount"),
        Column("active"),
        Column("note"),
        Column("partner_id", "many2one", relation="res.partner"),
        Column("parent_id", "many2one", relation="res.partner", deferred=True),
        Column("label", "translated"),
        Column("analytic_distribution", "distribution", relation="res.partner"),
        Column("data", "json"),
        *extra_columns,
    ]
    return RowBuilder("x.model", columns, remap, 5, constants={"create_uid": 2})


class RowsCase(unittest.TestCase):
    def test_a_batch_gives_the_lines_of_row_by_row(self):
        builder = make_builder()
        new_ids = [11, 12, 13]
        text, deferred = builder.rows(new_ids, RECORDS)
        one_by_one = [builder.row(new_id, record) for new_id, record in zip(new_ids, RECORDS, strict=True)]
        self.assertEqual(text, "".join(line for line, _ in one_by_one))
        self.assertEqual(
            deferred,
            [
                (column, new_id, old)
                for new_id, (_, row) in zip(new_ids, one_by_one, strict=True)
                for column, old in row
            ],
        )
        self.assertEqual(
            [(column.name, new_id, old) for column, new_id, old in deferred], [("parent_id", 11, 2)]
        )
        self.assertIn("tab\\there\t1.5\tt\t\\N\t101\t\\N", text)

    def test_records_holding_every_field_or_not_give_the_same_lines(self):
        builder = make_builder()
        complete = RECORDS[:2]  # every field present: read with one itemgetter per record
        text, _deferred = builder.rows([11, 12], complete)
        self.assertEqual(
            text, "".join(builder.row(new_id, r)[0] for new_id, r in zip([11, 12], complete, strict=True))
        )
        partial, _deferred = builder.rows([11, 12, 13], RECORDS)  # the third lacks fields
        self.assertTrue(partial.startswith(text))

    def test_a_batch_of_value_lists_gives_the_lines_of_its_dictionaries(self):
        """A ``RecordBatch`` of value lists (format 2), with fields the builder does not write and
        without some it does, gives what its records as dictionaries give; so do its links."""
        names = ("id", "name", "amount", "extra", "partner_id", "parent_id", "label", "tag_ids")
        rows = [[1, "tab\there", 1.5, "x", 1, 2, "Chair", [1, 2]], [2, None, 3, None, None, None, None, []]]
        batch = RecordBatch(names, rows)
        for builder in (make_builder(), make_builder(Column("ref", "reference", model_field="res_model"))):
            builder.many2many = {"tag_ids": "res.partner"}
            self.assertEqual(builder.rows([11, 12], batch), builder.rows([11, 12], batch.records()))
            self.assertEqual(
                list(builder.many2many_links([11, 12], batch)),
                [("tag_ids", "res.partner", 11, 1), ("tag_ids", "res.partner", 11, 2)],
            )
        self.assertIn("\t101\t\\N\t", builder.rows([11, 12], batch)[0])

    def test_a_batch_with_a_fault_is_left_to_row(self):
        builder = make_builder()
        self.assertIsNone(builder.rows([11], [dict(RECORDS[0], partner_id=9)]))  # not restored
        self.assertIsNone(builder.rows([11], [dict(RECORDS[0], analytic_distribution={"9": 1.0})]))
        required = make_builder(Column("ref", required=True))
        self.assertIsNone(required.rows([11], [dict(RECORDS[0], ref=None)]))
        self.assertIsNotNone(required.rows([11], [dict(RECORDS[0], ref="R1")]))

    def test_references_added_later_are_seen(self):
        builder = make_builder()
        self.assertIsNone(builder.rows([11], [dict(RECORDS[0], partner_id=3)]))
        builder.remap.add("res.partner", 3, 103)
        text, _deferred = builder.rows([11], [dict(RECORDS[0], partner_id=3)])
        self.assertIn("\t103\t", text)


class IdMapCase(unittest.TestCase):
    def test_it_answers_as_a_dict_whatever_the_order_of_the_ids(self):
        """Runs of a restore's writes, gaps, matched ids added before and after, the same id
        added twice, ids no run can hold: every answer as a dict gives it."""
        randomness = random.Random(18)
        for _round in range(400):
            # half the rounds merge the ids out of order into the runs after a few
            ids = IdMap(merge_at=randomness.choice((2, 5))) if _round % 2 else IdMap()
            expected, new_id = {}, randomness.randint(1, 50)
            for _step in range(randomness.randint(0, 60)):
                kind = randomness.random()
                if kind < 0.7:  # the next record written: after the last, maybe past a gap
                    old_id = max(expected, default=0) + randomness.choice((1, 1, 1, 2, 5))
                elif kind < 0.95:  # out of order: a matched record, a file in another order
                    old_id = randomness.randint(1, 80)
                else:
                    old_id = randomness.choice((0, -3, 1 << 63, True))
                new_id += randomness.choice((1, 1, 1, 3))
                probe = {old_id, old_id + 1} if type(old_id) is int else {old_id}
                self.assertEqual(ids.isdisjoint(probe), expected.keys().isdisjoint(probe))
                ids.add(old_id, new_id)
                expected[old_id] = new_id
            self.assertEqual(dict(ids.items()), expected)
            self.assertEqual(len(ids), len(expected))
            for old_id in range(-1, 90):
                self.assertEqual(ids.get(old_id), expected.get(old_id))
                self.assertEqual(old_id in ids, old_id in expected)
            self.assertEqual(sorted(ids.values()), sorted(expected.values()))
            self.assertIsNone(ids.get(None))

    def test_a_restore_in_the_files_order_keeps_one_run(self):
        ids = IdMap()
        ids.update(zip(range(10, 100_010), range(5000, 105_000), strict=True))
        self.assertEqual((ids.runs(), len(ids), ids[50_000]), (1, 100_000, 54_990))


class IdSetCase(unittest.TestCase):
    def test_it_answers_as_a_set_whatever_the_order_of_the_ids(self):
        randomness = random.Random(19)
        for _round in range(200):
            ids, expected = IdSet(), set()
            for _step in range(randomness.randint(0, 40)):
                kind = randomness.random()
                if kind < 0.5:  # the next batch of a file, in order, maybe past a gap
                    last = max((value for value in expected if type(value) is int), default=0)
                    start = last + randomness.choice((1, 1, 2, 5))
                    batch = set(range(start, start + randomness.randint(1, 4)))
                elif kind < 0.9:  # out of order
                    batch = {randomness.randint(1, 80)}
                else:
                    batch = {randomness.choice((0, -3, 1 << 63, "x", 2.5))}
                self.assertEqual(ids.isdisjoint(batch), expected.isdisjoint(batch))
                if randomness.random() < 0.5:
                    ids.update(batch)
                else:
                    for record_id in batch:
                        ids.add(record_id)
                expected |= batch
            self.assertEqual((set(ids), len(ids)), (expected, len(expected)))
            probe = set(range(-1, 90)) | {"x", 2.5}
            self.assertEqual(probe - ids, probe - expected)
            self.assertEqual(ids - IdSet(probe), expected - probe)
            self.assertTrue(all((value in ids) == (value in expected) for value in probe))

    def test_ids_added_out_of_order_are_merged_into_runs(self):
        """A reconciliation names exchange entries of every year before the items name all the
        entries: later passes come below the runs, and are merged into them."""
        ids = IdMap(merge_at=100)
        ids.update((old_id, old_id) for old_id in range(1000, 100_000, 1000))  # a first pass
        ids.update((old_id, old_id) for old_id in range(1, 100_000))  # then every id, in order
        self.assertEqual(len(ids), 99_999)
        self.assertLess(ids.runs(), 20)
        self.assertLessEqual(len(ids._others), 99_999 // 8)  # merged once they are an eighth
        self.assertEqual((ids[54_321], ids[99_999], ids.get(100_000)), (54_321, 99_999, None))
