"""Values and ids kept per record of a file, packed in arrays.

A restore checks hundreds of thousands of records and keeps a few values of each until the
end (a journal entry's running balance, its side, its taxes). A dict per value costs 60 to 100
bytes a record, a number in an array 8 and a value among a few (interned) 4.
"""

import math
from array import array
from bisect import bisect_right

ABSENT = math.nan  # a number the record does not have


class RecordTable:
    """A row per file id: numbers (``table.<name>[row]``, 0.0 until set), values among a few
    (``value``/``set_value``: states, journals, shared sets; None until set), other objects
    (``table.<name>[row]``, None until set), and ``flags`` (a byte).

    >>> table = RecordTable(numbers=("balance", "residual"), values=("journal",), objects=("name",))
    >>> row = table.row(7)
    >>> table.balance[row] += 12.5
    >>> table.set_number("residual", row, None)
    >>> table.set_value("journal", row, 3)
    >>> table.balance[row], table.number("residual", row), table.value("journal", row)
    (12.5, None, 3)
    >>> table.value("journal", table.row(8)), table.name[row], 7 in table, 9 in table
    (None, None, True, False)
    """

    def __init__(self, numbers=(), values=(), objects=()):
        self.rows = {}  # file id -> its row
        self.flags = bytearray()
        self._numbers = [self._column(name, array("d")) for name in numbers]
        self._codes = {name: self._column(name, array("I")) for name in values}
        self._distinct = {name: [None] for name in values}  # code -> value (0: None)
        self._code_of = {name: {None: 0} for name in values}  # value -> code
        self._objects = [self._column(name, []) for name in objects]

    def _column(self, name, column):
        setattr(self, name, column)
        return column

    def row(self, record_id):
        """The row of ``record_id``, added (empty) the first time."""
        row = self.rows.get(record_id)
        if row is None:
            row = self.rows[record_id] = len(self.flags)
            self.flags.append(0)
            for column in self._numbers:
                column.append(0.0)
            for column in self._codes.values():
                column.append(0)
            for column in self._objects:
                column.append(None)
        return row

    def __contains__(self, record_id):
        return record_id in self.rows

    def set_number(self, name, row, value):
        getattr(self, name)[row] = ABSENT if value is None else value

    def number(self, name, row):
        value = getattr(self, name)[row]
        return None if math.isnan(value) else value

    def set_value(self, name, row, value):
        """Set a value among a few: each distinct value is kept once (its code per row)."""
        code_of = self._code_of[name]
        code = code_of.get(value)
        if code is None:
            code = code_of[value] = len(self._distinct[name])
            self._distinct[name].append(value)
        self._codes[name][row] = code

    def value(self, name, row):
        return self._distinct[name][self._codes[name][row]]


class IdSet:
    """A set of ids kept as runs of consecutive ids: a file lists its records by id, so its
    ids mostly extend the last run (16 bytes a run, where a set costs some 60 bytes an id).
    Ids met out of order are kept in a set beside the runs.

    >>> ids = IdSet([3, 1, 2])
    >>> ids.update({7, 8, 9})
    >>> ids.add(5)
    >>> ids.add(2)
    >>> 2 in ids, 4 in ids, len(ids), ids.runs(), ids.isdisjoint({4, 6}), ids.isdisjoint({6, 9})
    (True, False, 7, 2, True, False)
    >>> sorted({1, 4, 10} - ids), sorted(ids)
    ([4, 10], [1, 2, 3, 5, 7, 8, 9])
    """

    def __init__(self, ids=()):
        self._first = array("q")  # first id of each run, ascending
        self._length = array("q")
        self._others = set()  # ids met out of order
        self._size = 0
        self.update(ids)

    def add(self, record_id):
        if self._after_runs(record_id):
            if record_id in self._others:
                return
            if self._first and record_id == self._first[-1] + self._length[-1]:
                self._length[-1] += 1
            else:
                self._first.append(record_id)
                self._length.append(1)
        elif record_id in self:
            return
        else:
            self._others.add(record_id)
        self._size += 1

    def update(self, ids):
        try:
            ids = sorted(ids)
        except TypeError:
            pass  # ids of several types: kept apart, in the order given
        for record_id in ids:
            self.add(record_id)

    def _after_runs(self, record_id):
        return (
            type(record_id) is int
            and 0 < record_id < 1 << 62
            and (not self._first or record_id >= self._first[-1] + self._length[-1])
        )

    def __contains__(self, record_id):
        if record_id in self._others:
            return True
        if type(record_id) is not int:
            return False
        index = bisect_right(self._first, record_id) - 1
        return index >= 0 and record_id < self._first[index] + self._length[index]

    def isdisjoint(self, ids):
        """Whether none of ``ids`` is here: at once when they all come after the runs."""
        if not self._others.isdisjoint(ids):
            return False
        try:
            if not self._first or min(ids) >= self._first[-1] + self._length[-1]:
                return True
        except (TypeError, ValueError):  # ids of several types, or none
            pass
        return not any(map(self.__contains__, ids))

    def __rsub__(self, ids):
        """``ids`` (a set) less these."""
        return {record_id for record_id in ids if record_id not in self}

    def __len__(self):
        return self._size

    def __iter__(self):
        for first, length in zip(self._first, self._length, strict=True):
            yield from range(first, first + length)
        yield from self._others

    def runs(self):
        """How many runs hold the ids (besides those met out of order)."""
        return len(self._first)
