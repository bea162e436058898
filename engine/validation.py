"""Check each value of a record against the type its member declares.

The same rules as docs/backup-record.schema.json, in plain Python, so that a
file from anywhere is refused before anything is written: wrong types, ORM
command lists in place of ids, fields the member does not declare.
"""

import re

from .archive import BackupFormatError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_text(value, field):
    if isinstance(value, str):
        return True
    translated = field.get("translate") and not field.get("company_dependent")
    return (
        bool(translated)
        and isinstance(value, dict)
        and all(
            isinstance(lang, str) and (text is None or isinstance(text, str)) for lang, text in value.items()
        )
    )


_CHECKS = {
    "char": _is_text,
    "text": _is_text,
    "html": _is_text,
    "selection": lambda value, field: isinstance(value, str),
    "integer": lambda value, field: isinstance(value, int) and not isinstance(value, bool),
    "float": lambda value, field: _is_number(value),
    "monetary": lambda value, field: _is_number(value),
    "boolean": lambda value, field: isinstance(value, bool),
    "date": lambda value, field: isinstance(value, str) and bool(_DATE.match(value)),
    "datetime": lambda value, field: isinstance(value, str) and bool(_DATETIME.match(value)),
    "json": lambda value, field: True,
    "many2one": lambda value, field: _is_id(value),
    "many2one_reference": lambda value, field: _is_id(value),
    "many2many": lambda value, field: isinstance(value, list) and all(_is_id(item) for item in value),
    "one2many": lambda value, field: isinstance(value, list) and all(_is_id(item) for item in value),
    "reference": lambda value, field: isinstance(value, str) and "," in value,
}

# Value types that pass a field type's check whatever the value (the check is skipped for speed).
_ALWAYS_VALID = {
    "char": (str,),
    "text": (str,),
    "html": (str,),
    "selection": (str,),
    "integer": (int,),
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
}


def check_record(record, fields, where):
    """Raise BackupFormatError unless ``record`` matches the member's ``fields``.

    >>> fields = {"id": {"type": "integer"}, "tax_ids": {"type": "many2many", "relation": "account.tax"}}
    >>> check_record({"id": 3, "tax_ids": [1, 2]}, fields, "line 1")
    >>> check_record({"id": 3, "tax_ids": [[6, 0, [1, 2]]]}, fields, "line 1")
    Traceback (most recent call last):
    ...
    engine.archive.BackupFormatError: line 1: field 'tax_ids' must be a list of ids, not [[6, 0, [1, 2]]]
    """
    record_checker(fields)(record, where)


def record_checker(fields):
    """``check_record`` for one member, with its field checks looked up once: (record, where) -> None.

    ``where`` may be a function returning the text, built only when a record is refused.
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
                shown = repr(value) if len(repr(value)) < 80 else repr(value)[:77] + "..."
                raise BackupFormatError(f"{_text(where)}: field {name!r} must be {expected}, not {shown}")

    return check


def _text(where):
    return where() if callable(where) else where
