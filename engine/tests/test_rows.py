import unittest

from ..rows import Column, Remap, RowBuilder

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
