"""Turn backup records into table rows of the target database, free of Odoo.

A restore gives every record a new id. ``Remap`` is the remapping table
(backup-local id -> new id, per model); ``RowBuilder`` rewrites the values of
one model's records through it into the text lines that PostgreSQL's ``COPY``
reads, and sets aside what can only be written once every record exists
(references pointing forward, many2many pairs).
"""

import heapq
import json
import operator
import re
from array import array
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import RecordError

MERGE_AT = 4096  # ids added out of order to an IdMap before they are merged into its runs


def _runnable(old_id):
    """Whether a run may hold ``old_id``."""
    return type(old_id) is int and 0 < old_id < 1 << 62


class IdMap(Mapping):
    """Backup id -> new id of one model's records, kept as runs of consecutive ids.

    A restore writes a model's records in the file's order (by id) under new ids taken in
    one block, so most records extend a run: 24 bytes a run instead of about 100 a record in a
    dict (a million journal items make a million entries). Ids added out of order (records
    matched to existing ones, a file in another order) are kept in a dict beside the runs.

    >>> ids = IdMap()
    >>> ids.update([(7, 1042), (8, 1043), (9, 1044), (12, 1045)])
    >>> ids.add(3, 20)
    >>> ids[8], ids.get(12), ids.get(10), 3 in ids, len(ids), ids.runs()
    (1043, 1045, None, True, 5, 2)
    >>> sorted(ids.items())
    [(3, 20), (7, 1042), (8, 1043), (9, 1044), (12, 1045)]
    """

    def __init__(self, merge_at=MERGE_AT):
        self._old = array("q")  # first backup id of each run, ascending
        self._new = array("q")  # its new id
        self._length = array("q")  # how many consecutive ids the run holds
        self._others = {}  # ids added out of order (they win over the runs)
        self._size = 0
        self._merge_at = self._merge_least = merge_at  # ids out of order kept before a merge

    def add(self, old_id, new_id):
        runs, length = self._old, self._length
        end = self._end()
        if type(old_id) is not int or not end <= old_id < 1 << 62:  # not after every run
            self._add_other(old_id, new_id)
            return
        if self._others and self._others.pop(old_id, None) is not None:
            self._size -= 1  # added out of order before: the later value wins, as in a dict
        if runs and old_id == end and new_id == self._new[-1] + length[-1]:
            length[-1] += 1
        else:
            runs.append(old_id)
            self._new.append(new_id)
            length.append(1)
        self._size += 1

    def _end(self):
        """The first id after every run (1 when there is none: ids are positive)."""
        return self._old[-1] + self._length[-1] if self._old else 1

    def _add_other(self, old_id, new_id):
        in_runs = self._in_runs(old_id) if isinstance(old_id, int) else None
        if in_runs is None:
            if old_id not in self._others:
                self._size += 1
            self._others[old_id] = new_id
        elif in_runs == new_id:
            self._others.pop(old_id, None)  # the runs say so already
        else:
            self._others[old_id] = new_id
        if len(self._others) > self._merge_at:
            self._merge()

    def _merge(self):
        """Merge the ids added out of order into the runs. Several passes over a file may add a
        model's ids, each in order but the later ones below the runs (a reconciliation names
        exchange entries of every year before the items name all entries): kept in the dict,
        they would cost some 100 bytes an id."""
        others = self._others
        loose = sorted((old_id, new_id) for old_id, new_id in others.items() if _runnable(old_id))
        kept = {old_id: new_id for old_id, new_id in others.items() if not _runnable(old_id)}
        in_runs = (
            (first + offset, new + offset)
            for first, new, length in zip(self._old, self._new, self._length, strict=True)
            for offset in range(length)
            if first + offset not in others
        )
        merged = heapq.merge(in_runs, loose)
        self._old, self._new, self._length = array("q"), array("q"), array("q")
        self._others, self._size = {}, 0
        for old_id, new_id in merged:
            self.add(old_id, new_id)
        self._others, self._size = kept, self._size + len(kept)
        self._merge_at = max(self._merge_least, 2 * len(kept), self._size >> 3)

    def update(self, pairs):
        for old_id, new_id in pairs:
            self.add(old_id, new_id)

    def _in_runs(self, old_id):
        index = bisect_right(self._old, old_id) - 1
        if index >= 0 and old_id < self._old[index] + self._length[index]:
            return self._new[index] + old_id - self._old[index]
        return None

    def __getitem__(self, old_id):
        new_id = self.get(old_id)
        if new_id is None:
            raise KeyError(old_id)
        return new_id

    def get(self, old_id, default=None):
        if self._others and old_id in self._others:
            return self._others[old_id]
        if not isinstance(old_id, int):
            return default
        new_id = self._in_runs(old_id)
        return default if new_id is None else new_id

    def __contains__(self, old_id):
        return self.get(old_id) is not None

    def isdisjoint(self, old_ids):
        """Whether none of ``old_ids`` is here: at once when they all come after the runs."""
        if self._others and not self._others.keys().isdisjoint(old_ids):
            return False
        try:
            if min(old_ids) >= self._end():
                return True
        except (TypeError, ValueError):  # ids of several types, or none
            pass
        return not any(map(self.__contains__, old_ids))

    def __len__(self):
        return self._size

    def __iter__(self):
        return (old_id for old_id, _new_id in self.items())

    def items(self):
        others = self._others
        for first, new, length in zip(self._old, self._new, self._length, strict=True):
            for offset in range(length):
                if not others or first + offset not in others:
                    yield first + offset, new + offset
        yield from others.items()

    def values(self):
        return (new_id for _old_id, new_id in self.items())

    def runs(self):
        """How many runs hold the ids (besides those added out of order)."""
        return len(self._old)

    def value_ranges(self):
        """The new ids as ranges of consecutive ids, (least, greatest), ascending: a restore
        takes its new ids in blocks, so a query names them in a few pairs, not an id each.

        >>> ids = IdMap()
        >>> ids.update([(3, 20), (4, 21), (7, 1042), (8, 1043), (1, 22)])
        >>> ids.value_ranges()
        [(20, 22), (1042, 1043)]
        >>> ids.add(4, 5); ids.value_ranges()
        [(5, 5), (20, 20), (22, 22), (1042, 1043)]
        """
        others = self._others
        if any(self._in_runs(old_id) is not None for old_id in others if isinstance(old_id, int)):
            spans = [(new_id, new_id) for new_id in sorted(set(self.values()))]  # a run's id taken again
        else:
            runs = zip(self._new, self._length, strict=True)
            spans = sorted(
                [(new, new + length - 1) for new, length in runs] + [(v, v) for v in others.values()]
            )
        ranges = []
        for low, high in spans:
            if ranges and low <= ranges[-1][1] + 1:
                ranges[-1] = (ranges[-1][0], max(ranges[-1][1], high))
            else:
                ranges.append((low, high))
        return ranges


class Remap:
    """The remapping table: per model, backup-local id -> id in the target database.

    >>> remap = Remap()
    >>> remap.add("res.partner", 7, 1042)
    >>> remap.get("res.partner", 7), remap.get("res.partner", 8)
    (1042, None)
    """

    def __init__(self):
        self._maps = {}

    def add(self, model, old_id, new_id):
        self.mapping(model).add(old_id, new_id)

    def get(self, model, old_id):
        ids = self._maps.get(model)
        return None if ids is None else ids.get(old_id)

    def mapping(self, model):
        """The live IdMap of ``model`` (later additions show in it)."""
        ids = self._maps.get(model)
        if ids is None:
            ids = self._maps[model] = IdMap()
        return ids

    def items(self, model):
        ids = self._maps.get(model)
        return () if ids is None else ids.items()


def remap_distribution(distribution, mapping):
    """Rewrite the keys of an analytic distribution ("12,14": 40.0) through ``mapping``.

    >>> remap_distribution({"12": 60.0, "12,14": 40.0}, {12: 3, 14: 5})
    {'3': 60.0, '3,5': 40.0}
    >>> remap_distribution({"99": 100.0}, {12: 3})
    Traceback (most recent call last):
    ...
    KeyError: 99
    """
    if not isinstance(distribution, dict):
        raise TypeError("an analytic distribution must be an object")
    result = {}
    for key, value in distribution.items():
        ids = [int(part) for part in key.split(",")]
        result[",".join(str(mapping[old]) for old in ids)] = value
    return result


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_BOOLEAN_CELLS = {True: "t", False: "f", None: "\\N"}
_NUMBERS = {int, float}
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def copy_text(value):
    r"""One cell of PostgreSQL's COPY text format (not NULL).

    >>> [copy_text(value) for value in (7, True, "a\tb", {"en_US": "x"})]
    ['7', 't', 'a\\tb', '{"en_US": "x"}']
    """
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_COPY_ESCAPES)
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).translate(_COPY_ESCAPES)
    return str(value)


@dataclass(frozen=True)
class Column:
    """How one field of the backup becomes a column of the target table.

    ``kind``:
      - ``plain``: the value as it is (numbers, text, dates, selections);
      - ``json``: a jsonb value (json fields);
      - ``translated``: a jsonb of languages (a plain string becomes ``en_US``);
      - ``html``: text passed through the builder's sanitizer;
      - ``many2one``: an id remapped through ``relation``;
      - ``company_dependent``: jsonb keyed by the target company, value remapped when ``relation`` is set;
      - ``distribution``: a json object keyed by ids of ``relation``;
      - ``reference``: a ``res_id`` remapped through the model named in ``model_field``.
    ``deferred``: a reference written once every record exists (forward or self reference).
    ``source``: the field's name in the backup, when the column here is named otherwise.
    """

    name: str
    kind: str = "plain"
    relation: str = ""
    model_field: str = ""
    required: bool = False
    deferred: bool = False
    source: str = ""


class RowBuilder:
    """Builds COPY lines for one model's records, in the target company.

    ``columns``: the Column of each field written at insertion;
    ``many2many``: field name -> relation model, pairs written afterwards;
    ``constants``: column name -> value set on every row (``create_uid``...).
    """

    def __init__(self, model, columns, remap, company_id, sanitize=None, many2many=None, constants=None):
        self.model = model
        self.columns = columns
        self.remap = remap
        self.company_id = company_id
        self.sanitize = sanitize or (lambda column, value: value)
        self.many2many = many2many or {}
        self.constants = constants or {}
        self._constant_cells = [NULL if v is None else copy_text(v) for v in self.constants.values()]
        self._plan = [(column.source or column.name, column, self._converter(column)) for column in columns]
        sources = [source for source, _column, _convert in self._plan]
        self._sources = operator.itemgetter(*sources) if len(sources) > 1 else None
        self._reads_records = any(column.kind == "reference" for column in columns)

    def column_names(self):
        return ["id", *(column.name for column in self.columns), *self.constants]

    def row(self, new_id, record):
        """The COPY line of ``record`` and its deferred values [(column, relation, old id)].

        Raises RecordError when a value cannot be restored.
        """
        cells, deferred = [str(new_id)], []
        append, get = cells.append, record.get
        for source, column, convert in self._plan:
            value = get(source)
            if value is None:
                pass
            elif convert is None:  # plain: the most frequent cells, converted inline
                kind = type(value)
                if kind is str:
                    append(value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(value) else value)
                    continue
                if kind is int or kind is float:
                    append(str(value))
                    continue
                value = copy_text(value)
            elif column.deferred:
                deferred.append((column, value))
                value = None
            else:
                value = convert(value, record)
            if value is None:
                if column.required:
                    raise RecordError(column.name, f"the required field {column.name!r} has no value")
                append(NULL)
            else:
                append(value)
        cells.extend(self._constant_cells)
        return "\t".join(cells) + "\n", deferred

    def rows(self, new_ids, records):
        """``row`` for a batch of records, built a column at a time: (their COPY text, their
        deferred values [(column, new id, old id)]), or None when a value is off (a reference
        not restored, a required value missing...): then ``row`` builds them one by one and
        names the record at fault.
        """
        columns = [list(map(str, new_ids))]
        deferred = []
        by_record = records  # what a conversion gets beside a value: only a reference reads it
        if hasattr(records, "records"):
            by_record = records.records() if self._reads_records else [None] * len(records)
        for (_source, column, convert), values in zip(self._plan, self._values(records), strict=True):
            if column.deferred:
                if column.required:
                    return None
                columns.append([NULL] * len(values))
                deferred += [
                    (column, new_id, old)
                    for new_id, old in zip(new_ids, values, strict=True)
                    if old is not None
                ]
                continue
            try:
                cells = self._cells(column, convert, values, by_record)
            except (RecordError, TypeError):
                return None
            if cells is None or (column.required and NULL in cells):
                return None
            columns.append(cells)
        columns += [[cell] * len(new_ids) for cell in self._constant_cells]
        return "\n".join(map("\t".join, zip(*columns, strict=False))) + "\n", deferred

    def _values(self, records):
        """The values of each planned field over a batch of records: a tuple per field. The
        batch is a ``RecordBatch`` of value lists (reader.py), or dictionaries."""
        if getattr(records, "names", None) is not None:
            positions = {name: position for position, name in enumerate(records.names)}
            columns = list(zip(*records.rows, strict=True))
            missing = (None,) * len(records)
            return [
                columns[positions[source]] if source in positions else missing
                for source, _column, _convert in self._plan
            ]
        records = getattr(records, "rows", records)
        if self._sources is not None:
            try:  # records that hold every field: one C-level lookup of all of them per record
                return zip(*map(self._sources, records), strict=True)
            except KeyError:
                pass
        return [tuple(map(operator.methodcaller("get", source), records)) for source, _c, _v in self._plan]

    def _cells(self, column, convert, values, records):
        """The COPY cells of one column over a batch, or None when a reference is not restored."""
        if column.kind == "many2one":
            return self._remapped_cells(column.relation, values)
        if convert is not None:
            cells = [None if v is None else convert(v, r) for v, r in zip(values, records, strict=True)]
            return [NULL if cell is None else cell for cell in cells]
        kinds = set(map(type, values))
        kinds.discard(type(None))
        if kinds <= _NUMBERS:
            return [NULL if v is None else str(v) for v in values]
        if kinds == {bool}:
            return list(map(_BOOLEAN_CELLS.get, values))
        if kinds == {str}:
            if _NEEDS_ESCAPE.search("".join(filter(None, values))):
                return [NULL if v is None else v.translate(_COPY_ESCAPES) for v in values]
            return [NULL if v is None else v for v in values]
        return [NULL if v is None else copy_text(v) for v in values]

    def _remapped_cells(self, relation, values):
        """A many2one column's cells: each distinct value of the batch looked up once (a batch of
        journal items names a few hundred entries; a mapping of the whole relation as text
        would cost some 100 bytes a record, for the few partial reconciliations that name
        items). None when a reference is not restored."""
        mapping, texts = self.remap.mapping(relation), {None: NULL}
        for value in set(values):
            if value is not None:
                new_id = mapping.get(value)
                if new_id is None:
                    return None
                texts[value] = str(new_id)
        return list(map(texts.__getitem__, values))

    def _converter(self, column):
        """A function (value, record) -> COPY cell text (or None) for one column; the hot path."""
        if column.kind == "many2one":
            mapping, relation = self.remap.mapping(column.relation), column.relation

            def many2one(value, record):
                new_id = mapping.get(value)
                if new_id is None:
                    self.reference(column, relation, value)  # raises the RecordError
                return str(new_id)

            return many2one
        if column.kind == "plain":
            return None  # converted inline by row()

        def other(value, record):
            converted = self.convert(column, value, record)
            return None if converted is None else copy_text(converted)

        return other

    def many2many_links(self, new_ids, records):
        """(field, relation, new id, old id) of every many2many link of a batch of records."""
        for name, relation in self.many2many.items():
            for new_id, old_ids in zip(new_ids, records.values(name), strict=True):
                for old_id in old_ids or ():
                    yield name, relation, new_id, old_id

    def convert(self, column, value, record):
        """The value of ``column`` for the target database (python), references remapped."""
        kind = column.kind
        if value is None:
            return None
        if kind == "plain":
            return value
        if kind == "many2one":
            return self.reference(column, column.relation, value)
        if kind == "reference":
            model = record.get(column.model_field)
            return self.reference(column, model, value) if model else None
        if kind == "translated":
            return value if isinstance(value, dict) else {"en_US": value}
        if kind == "html":
            return self.sanitize(column, value)
        if kind == "json":
            return value
        if kind == "distribution":
            return self._distribution(column, value)
        if kind == "company_dependent":
            if column.relation:
                value = self.reference(column, column.relation, value)
            return {str(self.company_id): value}
        raise ValueError(f"unknown column kind {kind!r}")

    def reference(self, column, relation, old_id):
        new_id = self.remap.get(relation, old_id)
        if new_id is None:
            raise RecordError(
                column.name, f"{column.name!r} refers to {relation} {old_id}, which is not restored"
            )
        return new_id

    def _distribution(self, column, value):
        try:
            return remap_distribution(value, self.remap.mapping(column.relation))
        except (KeyError, ValueError, TypeError) as error:
            message = f"{column.name!r} names an analytic account not restored: {error}"
            raise RecordError(column.name, message) from None
