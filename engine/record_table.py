"""Values and ids kept per record of a file, packed in arrays.

A restore checks hundreds of thousands of records and keeps a few values of each until the
end (a journal entry's running balance, its side, its taxes). A dict per value costs 60 to 100
bytes a record, a number in an array 8 and a value among a few (interned) 4.
"""

import math
from array import array

from .rows import IdMap

ABSENT = math.nan  # a number the record does not have
NO_ID = -(1 << 63)  # an id the record does not have (a file's ids are 32-bit integers)


class RecordTable:
    """A row per file id (``row`` adds it, ``find`` looks it up; ``rows``: an IdMap of file id
    to row): numbers (``table.<name>[row]``, 0.0 until set), ids of other records
    (``id_of``/``set_id``, 8 bytes where an int object costs 28 and its place in a list 8
    more; None until set), values among a few (``value``/``set_value``: states, journals,
    shared sets; None until set), other objects (``table.<name>[row]``, None until set), and
    ``flags`` (a byte).

    >>> table = RecordTable(
    ...     numbers=("balance", "residual"), ids=("entry",), values=("journal",), objects=("name",)
    ... )
    >>> row = table.row(7)
    >>> table.balance[row] += 12.5
    >>> table.set_number("residual", row, None)
    >>> table.set_value("journal", row, 3)
    >>> table.set_id("entry", row, 1042)
    >>> table.balance[row], table.number("residual", row), table.value("journal", row)
    (12.5, None, 3)
    >>> table.id_of("entry", row)
    1042
    >>> table.value("journal", table.row(8)), table.id_of("entry", 1), table.name[row], 7 in table, 9 in table
    (None, None, None, True, False)
    >>> table.find(7), table.find(8), table.find(9), table.rows.runs()
    (0, 1, None, 1)
    """

    def __init__(self, numbers=(), values=(), objects=(), ids=()):
        self.rows = IdMap()  # file id -> its row (runs: a file lists its records by id)
        self._last = (None, None)  # the last (file id, row) asked for
        self.flags = bytearray()
        self._numbers = [self._column(name, array("d")) for name in numbers]
        self._ids = [self._column(name, array("q")) for name in ids]
        self._codes = {name: self._column(name, array("I")) for name in values}
        self._distinct = {name: [None] for name in values}  # code -> value (0: None)
        self._code_of = {name: {None: 0} for name in values}  # value -> code
        self._objects = [self._column(name, []) for name in objects]

    def _column(self, name, column):
        setattr(self, name, column)
        return column

    def find(self, record_id):
        """The row of ``record_id``, or None. The last answer is kept: the records a file
        lists together mostly name the same one (a journal entry's items)."""
        if record_id == self._last[0]:
            return self._last[1]
        row = self.rows.get(record_id)
        if row is not None:
            self._last = (record_id, row)
        return row

    def row(self, record_id):
        """The row of ``record_id``, added (empty) the first time."""
        row = self.find(record_id)
        if row is None:
            row = len(self.flags)
            self.rows.add(record_id, row)
            self._last = (record_id, row)
            self.flags.append(0)
            for column in self._numbers:
                column.append(0.0)
            for column in self._ids:
                column.append(NO_ID)
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

    def set_id(self, name, row, record_id):
        getattr(self, name)[row] = NO_ID if record_id is None else record_id

    def id_of(self, name, row):
        record_id = getattr(self, name)[row]
        return None if record_id == NO_ID else record_id

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
    """A set of ids, kept as an ``IdMap`` of each id to itself: a file lists its records by
    id, so its ids mostly extend the last run (24 bytes a run, where a set costs some 60 bytes
    an id). Ids met out of order are kept beside the runs.

    >>> ids = IdSet([3, 1, 2])
    >>> ids.update({7, 8, 9})
    >>> ids.add(5)
    >>> ids.add(2)
    >>> 2 in ids, 4 in ids, len(ids), ids.runs(), ids.isdisjoint({4, 6}), ids.isdisjoint({6, 9})
    (True, False, 7, 2, True, False)
    >>> sorted({1, 4, 10} - ids), sorted(ids)
    ([4, 10], [1, 2, 3, 5, 7, 8, 9])
    >>> ids.update([None, 10, 10]); ids.add(None); None in ids, len(ids)
    (False, 8)
    >>> sorted(ids - IdSet([1, 2, 3, 4])), sorted(ids - {5, 7})
    ([5, 7, 8, 9, 10], [1, 2, 3, 8, 9, 10])
    """

    def __init__(self, ids=()):
        self._ids = IdMap()
        self.update(ids)

    def add(self, record_id):
        if record_id is not None:  # no id: never held
            self._ids.add(record_id, record_id)

    def update(self, ids):
        ids = set(ids)  # each once
        ids.discard(None)
        try:
            ids = sorted(ids)
        except TypeError:
            pass  # ids of several types: kept apart
        self._ids.update(zip(ids, ids, strict=True))

    def __contains__(self, record_id):
        return record_id in self._ids

    def isdisjoint(self, ids):
        return self._ids.isdisjoint(ids)

    def __rsub__(self, ids):
        """``ids`` (a set) less these."""
        return {record_id for record_id in ids if record_id not in self._ids}

    def __sub__(self, ids):
        """These less ``ids`` (a set or an IdSet), as a set."""
        return {record_id for record_id in self if record_id not in ids}

    def __len__(self):
        return len(self._ids)

    def __iter__(self):
        return iter(self._ids)

    def runs(self):
        """How many runs hold the ids (besides those met out of order)."""
        return self._ids.runs()


class IdRuns:
    """Unique ids, kept as runs of consecutive ids (first id, length): a restore takes a
    model's new ids in blocks, so the rows it wrote are a run or a few (16 bytes a run where an
    array costs 8 bytes an id). Iterated run by run.

    >>> ids = IdRuns()
    >>> ids.extend([5, 6, 7]); ids.extend([8, 10]); ids.append(11); ids.extend([])
    >>> list(ids), len(ids), bool(ids), bool(IdRuns()), ids.runs()
    ([5, 6, 7, 8, 10, 11], 6, True, False, 2)
    """

    __slots__ = ("_firsts", "_lengths", "_size")

    def __init__(self):
        self._firsts, self._lengths, self._size = array("q"), array("q"), 0

    def append(self, record_id):
        if self._firsts and record_id == self._firsts[-1] + self._lengths[-1]:
            self._lengths[-1] += 1
        else:
            self._firsts.append(record_id)
            self._lengths.append(1)
        self._size += 1

    def extend(self, ids):
        """Add ``ids``; a block of consecutive ids (unique ids whose first and last are as far
        apart as their count) at once."""
        ids = ids if isinstance(ids, array | list | tuple) else list(ids)
        if len(ids) > 1 and ids[-1] - ids[0] == len(ids) - 1:
            self.append(ids[0])
            self._lengths[-1] += len(ids) - 1
            self._size += len(ids) - 1
            return
        for record_id in ids:
            self.append(record_id)

    def __len__(self):
        return self._size

    def __iter__(self):
        for first, length in zip(self._firsts, self._lengths, strict=True):
            yield from range(first, first + length)

    def runs(self):
        return len(self._firsts)


class IdPairs:
    """(id, id) pairs in the order added, packed: 16 bytes a pair, where a list of tuples costs
    some 80 (a restore keeps a journal item's taxes, its forward references, until every
    record is written).

    >>> pairs = IdPairs()
    >>> pairs.append((11, 7))
    >>> pairs.append((12, 9))
    >>> list(pairs), len(pairs)
    ([(11, 7), (12, 9)], 2)
    """

    __slots__ = ("_firsts", "_seconds")

    def __init__(self):
        self._firsts, self._seconds = array("q"), array("q")

    def append(self, pair):
        first, second = pair
        self._firsts.append(first)
        self._seconds.append(second)

    def __iter__(self):
        return zip(self._firsts, self._seconds, strict=True)

    def __len__(self):
        return len(self._firsts)
