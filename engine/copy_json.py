r"""PostgreSQL's COPY output of JSON tokens, turned into JSON Lines.

A backup query (``services/backup_export.py``) selects each value as a JSON
token and brackets the first and last: ``'[' || id``, ``to_json(name)``, ...,
``last || ']'``. COPY in CSV format with ``COPY_OPTIONS`` separates them with
commas and writes JSON's ``null`` for SQL NULL: the line is a JSON array,
except that a token holding a comma (or reading ``null``) comes wrapped in the
quote byte \x01. JSON text never holds a raw control character, so no token
holds that byte: removing every \x01, at C speed over a whole chunk, leaves
one JSON array a line.

>>> json_lines(b'[7,\x01"Azure, Inc."\x01,null,\x01[1,2]\x01]\n', "res.partner")
b'[7,"Azure, Inc.",null,[1,2]]\n'
"""

import orjson

# A quote byte that JSON text never holds raw (control characters are escaped inside it).
COPY_OPTIONS = "FORMAT csv, QUOTE E'\\x01', DELIMITER ',', NULL 'null'"


def json_lines(rows, model):
    r"""JSON Lines of COPY ``rows`` (whole lines of tokens); refuse what would not be JSON.

    >>> json_lines(b'[3,NaN]\n', "account.move.line")
    Traceback (most recent call last):
    ...
    ValueError: account.move.line record 3 holds a number that is NaN or infinite, which JSON cannot hold
    >>> json_lines(b'[3,"NaN"]\n', "res.partner")
    b'[3,"NaN"]\n'
    """
    lines = rows.replace(b"\x01", b"") if b"\x01" in rows else rows
    if b"NaN" in lines or b"Infinity" in lines:
        _refuse_non_numbers(lines, model)
    return lines


def _refuse_non_numbers(lines, model):
    """Numbers are written as PostgreSQL prints them: NaN or Infinity would not be JSON."""
    for line in lines.splitlines():
        if b"NaN" in line or b"Infinity" in line:
            try:
                orjson.loads(line)
            except orjson.JSONDecodeError:
                record_id = line[1 : line.find(b",")].decode()
                raise ValueError(
                    f"{model} record {record_id} holds a number that is NaN or infinite, "
                    "which JSON cannot hold"
                ) from None
