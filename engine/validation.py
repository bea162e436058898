"""Check each value of a record against the type its member declares.

The same rules as docs/backup-record.schema.json, in plain Python, so that a
file from anywhere is refused before anything is written: wrong types, ORM
command lists in place of ids, fields the member does not declare.
"""

import re
from datetime import date, datetime
from itertools import chain
from operator import itemgetter

import orjson

from .errors import BackupFormatError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")


# PostgreSQL's bounds, which a value must keep to be written: Odoo's integer fields are int4
# columns, and text or jsonb cannot hold the NUL character.
INT4 = (-(2**31), 2**31 - 1)
NUL = "\x00"


def _is_int4(value):
    return isinstance(value, int) and not isinstance(value, bool) and INT4[0] <= value <= INT4[1]


def _is_calendar_date(value):
    """Whether a text matching YYYY-MM-DD names a day of the calendar.

    >>> _is_calendar_date("2028-02-29"), _is_calendar_date("2026-02-30"), _is_calendar_date("0000-01-01")
    (True, False, False)
    """
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_calendar_datetime(value):
    try:
        datetime.fromisoformat(value[:19])
    except ValueError:
        return False
    return True


def _free_of_nul(value):
    """Whether no text in ``value`` (nested in lists and objects, keys too) holds NUL."""
    if isinstance(value, str):
        return NUL not in value
    if isinstance(value, dict):
        return all(_free_of_nul(key) and _free_of_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return all(map(_free_of_nul, value))
    return True


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_text(value, field):
    if isinstance(value, str):
        return NUL not in value
    translated = field.get("translate") and not field.get("company_dependent")
    return (
        bool(translated)
        and isinstance(value, dict)
        and all(
            isinstance(lang, str) and (text is None or isinstance(text, str)) for lang, text in value.items()
        )
        and _free_of_nul(value)
    )


_CHECKS = {
    "char": _is_text,
    "text": _is_text,
    "html": _is_text,
    "selection": lambda value, field: isinstance(value, str) and NUL not in value,
    "integer": lambda value, field: _is_int4(value),
    "float": lambda value, field: _is_number(value),
    "monetary": lambda value, field: _is_number(value),
    "boolean": lambda value, field: isinstance(value, bool),
    "date": lambda value, field: isinstance(value, str)
    and bool(_DATE.match(value))
    and _is_calendar_date(value),
    "datetime": lambda value, field: (
        isinstance(value, str) and bool(_DATETIME.match(value)) and _is_calendar_datetime(value)
    ),
    "json": lambda value, field: _free_of_nul(value),
    "many2one": lambda value, field: _is_id(value),
    "many2one_reference": lambda value, field: _is_id(value),
    "many2many": lambda value, field: isinstance(value, list) and all(_is_id(item) for item in value),
    "one2many": lambda value, field: isinstance(value, list) and all(_is_id(item) for item in value),
    "reference": lambda value, field: isinstance(value, str) and "," in value and NUL not in value,
}

# Value types that pass a field type's check whatever the value (the check is skipped for speed).
_ALWAYS_VALID = {
    "float": (int, float),
    "monetary": (int, float),
    "boolean": (bool,),
}

_EXPECTED = {
    "many2many": "a list of ids",
    "one2many": "a list of ids",
    "many2one": "an id",
    "many2one_reference": "an id",
    "date": "a date YYYY-MM-DD",
    "datetime": "a datetime YYYY-MM-DDTHH:MM:SS",
    "integer": "an integer between -2147483648 and 2147483647",
}


def check_record(record, fields, where, required=()):
    """Raise BackupFormatError unless ``record`` matches the member's ``fields``.

    >>> fields = {"id": {"type": "integer"}, "tax_ids": {"type": "many2many", "relation": "account.tax"}}
    >>> check_record({"id": 3, "tax_ids": [1, 2]}, fields, "line 1")
    >>> check_record({"id": 3, "tax_ids": [[6, 0, [1, 2]]]}, fields, "line 1")
    Traceback (most recent call last):
    ...
    engine.errors.BackupFormatError: line 1: field 'tax_ids' must be a list of ids, not [[6, 0, [1, 2]]]
    """
    record_checker(fields, required)(record, where)


def record_checker(fields, required=()):
    """``check_record`` for one member, with its field checks looked up once: (record, where) -> None.

    ``where`` may be a function returning the text, built only when a record is refused.
    ``required``: the fields that must have a value (required in the target database).
    """
    checks = {
        name: (
            _ALWAYS_VALID.get(field["type"], ()),
            field["type"] in ("many2one", "many2one_reference"),
            _CHECKS[field["type"]],
            field,
        )
        for name, field in fields.items()
        if name != "id"
    }

    def check(record, where):
        if not _is_id(record.get("id")):
            raise BackupFormatError(f"{_text(where)}: 'id' must be a positive integer")
        for name in required:
            if record.get(name) is None:
                raise BackupFormatError(f"{_text(where)}: the required field {name!r} has no value")
        for name, value in record.items():
            if value is None or name == "id":
                if name in fields:
                    continue
                raise BackupFormatError(f"{_text(where)}: field {name!r} is not declared in the manifest")
            entry = checks.get(name)
            if entry is None:
                raise BackupFormatError(f"{_text(where)}: field {name!r} is not declared in the manifest")
            always_valid, is_reference, test, field = entry
            if type(value) in always_valid or (is_reference and type(value) is int and value > 0):
                continue
            if not test(value, field):
                expected = _EXPECTED.get(field["type"], f"of type {field['type']}")
                if not _free_of_nul(value):
                    expected = "free of NUL characters"
                shown = repr(value) if len(repr(value)) < 80 else repr(value)[:77] + "..."
                raise BackupFormatError(f"{_text(where)}: field {name!r} must be {expected}, not {shown}")

    return check


def _text(where):
    return where() if callable(where) else where


# Value types a column of each field type may hold besides None, checked a column at a time.
_COLUMN_TYPES = {
    "char": {str},
    "text": {str},
    "html": {str},
    "selection": {str},
    "reference": {str},
    "date": {str},
    "datetime": {str},
    "integer": {int},
    "float": {int, float},
    "monetary": {int, float},
    "boolean": {bool},
    "many2one": {int},
    "many2one_reference": {int},
    "many2many": {list},
    "one2many": {list},
}
_TEXT_PATTERNS = {"date": _DATE, "datetime": _DATETIME}


def columns_checker(fields, required=()):
    """Check many records of one member a column at a time: (batch) -> columns or None, the
    batch a ``RecordBatch`` or a list of dictionaries.

    Returns ``{field: tuple of values}`` when every record passes ``record_checker(fields,
    required)``, None when one may not: check that batch record by record to name the fault.
    Each test runs over a whole column (types as a set, dates and ids as their distinct
    values), which is faster than walking every field of every record.
    """
    column_tests = {
        name: _ids_test if name == "id" else _column_test(field) for name, field in fields.items()
    }

    def columns(batch):
        names, values = _columns_of(batch)
        if names is None or "id" not in names or not all(map(column_tests.__contains__, names)):
            return None  # records of several shapes, no id, or undeclared fields
        result = dict(zip(names, values, strict=True))
        if any(name not in result or None in result[name] for name in required):
            return None
        if all(column_tests[name](column) for name, column in result.items()):
            return result
        return None

    return columns


def _columns_of(batch):
    """(names, a tuple of values per name) of a batch of records: a ``RecordBatch`` of value
    lists (format 2), or dictionaries; (None, None) when the dictionaries differ in their keys."""
    if getattr(batch, "names", None) is not None:
        return batch.names, zip(*batch.rows, strict=True)
    records = getattr(batch, "rows", batch)
    names = tuple(records[0])
    if set(map(len, records)) != {len(names)}:
        return None, None
    try:  # one tuple of values per record (a single value when there is one field)
        rows = list(map(itemgetter(*names), records))
    except KeyError:
        return None, None
    return names, zip(*rows, strict=True) if len(names) > 1 else [tuple(rows)]


def _ids_test(column):
    return set(map(type, column)) == {int} and min(column) > 0


def _column_test(field):
    kind = field["type"]
    if kind == "json":
        return _json_free_of_nul
    allowed = _COLUMN_TYPES[kind]
    if kind in ("char", "text", "html") and field.get("translate") and not field.get("company_dependent"):
        return lambda column: (
            _types_in(column, {str, dict})
            and _text_free_of_nul(value for value in column if type(value) is str)
            and all(_is_text(value, field) for value in column if type(value) is dict)
        )
    if kind in _TEXT_PATTERNS:
        pattern, valid = _TEXT_PATTERNS[kind], _CALENDAR[kind]
        return lambda column: _types_in(column, allowed) and all(
            pattern.match(value) and valid(value) for value in _distinct(column)
        )
    if kind in ("many2one", "many2one_reference"):
        return lambda column: _types_in(column, allowed) and _positive(_distinct(column))
    if kind in ("many2many", "one2many"):
        return lambda column: _types_in(column, allowed) and _ids_list(
            list(chain.from_iterable(filter(None, column)))
        )
    if kind == "reference":
        return lambda column: (
            _types_in(column, allowed)
            and all("," in value for value in _distinct(column))
            and _text_free_of_nul(filter(None, column))
        )
    if kind == "integer":
        return lambda column: _types_in(column, allowed) and _within_int4(_distinct(column))
    if allowed == {str}:
        return lambda column: _types_in(column, allowed) and _text_free_of_nul(filter(None, column))
    return lambda column: _types_in(column, allowed)


_CALENDAR = {"date": _is_calendar_date, "datetime": _is_calendar_datetime}


def _text_free_of_nul(texts):
    return NUL not in "".join(texts)


def _json_free_of_nul(column):
    """A quick test: orjson writes NUL as an escape (a text holding that escape fails it too)."""
    return b"\\u0000" not in orjson.dumps(column)


def _within_int4(values):
    return not values or (INT4[0] <= min(values) and max(values) <= INT4[1])


def _types_in(column, allowed):
    types = set(map(type, column))
    types.discard(type(None))
    return types <= allowed


def _distinct(column):
    values = set(column)
    values.discard(None)
    return values


def _positive(ids):
    return not ids or min(ids) > 0


def _ids_list(items):
    return set(map(type, items)) <= {int} and _positive(items)
