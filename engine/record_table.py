"""Numbers and ids kept per record of a file, packed in arrays.

A restore keeps a few numbers of some records until the end (a posted entry's items, its
residual; a flag or two per journal entry). A dict per value costs 60 to 100 bytes a record, a
number in an array 8 and a flag a byte; ids come in runs, kept as such.
"""

from array import array

from .rows import IdMap


class RecordTable:
    """A row per file id (``row`` adds it, ``find`` looks it up; ``rows``: an IdMap of file id
    to row): numbers (``table.<name>[row]``, 0.0 until set) and ``flags`` (a byte).

    >>> table = RecordTable(numbers=("balance", "residual"))
    >>> row = table.row(7)
    >>> table.balance[row] += 12.5
    >>> table.flags[table.row(8)] |= 4
    >>> table.balance[row], table.residual[row], list(table.flags), 7 in table, 9 in table
    (12.5, 0.0, [0, 4], True, False)
    >>> table.find(7), table.find(8), table.find(9), table.rows.runs()
    (0, 1, None, 1)
    """

    def __init__(self, numbers=()):
        self.rows = IdMap()  # file id -> its row (runs: a file lists its records by id)
        self._last = (None, None)  # the last (file id, row) asked for
        self.flags = bytearray()
        self._numbers = [array("d") for _name in numbers]
        for name, column in zip(numbers, self._numbers, strict=True):
            setattr(self, name, column)

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
        return row

    def __contains__(self, record_id):
        return record_id in self.rows


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
