r"""PostgreSQL's COPY output of JSON tokens, turned into JSON Lines.

A backup query (``models/backup_export.py``) selects each value as a JSON
token and brackets the first and last: ``'[' || id``, ``to_json(name)``, ...,
``last || ']'``. COPY in CSV format with ``COPY_OPTIONS`` writes the tokens
untouched, separated by a byte that JSON text never holds raw, with JSON's
``null`` for SQL NULL. Replacing that byte by a comma, at C speed over a whole
chunk, gives one JSON array a line.

>>> json_lines(b'[7\x02"Azure, Inc."\x02null\x02[1,2]]\n', "res.partner")
b'[7,"Azure, Inc.",null,[1,2]]\n'
"""

import orjson

# Quote \x01 and delimiter \x02: control characters are always escaped inside JSON text,
# so no token is ever quoted (a token that reads "null" would be: the query avoids it).
COPY_OPTIONS = "FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02', NULL 'null'"
_DELIMITER_TO_COMMA = bytes.maketrans(b"\x02", b",")


def json_lines(rows, model):
    r"""JSON Lines of COPY ``rows`` (whole lines of tokens); refuse what would not be JSON.

    >>> json_lines(b'[3\x02NaN]\n', "account.move.line")
    Traceback (most recent call last):
    ...
    ValueError: account.move.line record 3 holds a number that is NaN or infinite, which JSON cannot hold
    >>> json_lines(b'[3\x02"NaN"]\n', "res.partner")
    b'[3,"NaN"]\n'
    """
    if b"\x01" in rows:
        raise ValueError(f"{model}: PostgreSQL quoted a value that should be a JSON token")
    lines = rows.translate(_DELIMITER_TO_COMMA)
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
