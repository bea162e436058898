"""One record line parsed strictly: orjson where it is safe, the strict json decoder where it is
not, and the limits a reader sets (``Limits``) against hostile input."""

import json
from dataclasses import dataclass

import orjson

from .errors import BackupFormatError

_GIB = 1 << 30
_MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What a reader accepts. Decompressed sizes are counted as they are read."""

    max_total_bytes: int = 64 * _GIB
    max_member_bytes: int = 32 * _GIB
    max_ratio: int = 100  # decompressed / compressed, for members over 1 MiB
    max_line_bytes: int = 64 * _MIB
    max_depth: int = 32
    max_members: int = 200_000


def _no_duplicate_keys(pairs):
    record = dict(pairs)
    if len(record) != len(pairs):
        seen = set()
        duplicate = next(key for key, _value in pairs if key in seen or seen.add(key))
        raise BackupFormatError(f"duplicate key {duplicate!r}")
    return record


def _reject_constant(name):
    raise BackupFormatError(f"{name} is not a valid JSON number")


def nesting_depth(text):
    """Deepest nesting of arrays and objects in JSON ``text`` (bytes), ignoring strings.

    >>> nesting_depth(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    depth = deepest = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


# One decoder for every line: json.loads(line, **hooks) would build one per call.
_STRICT_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)


def _parse_quickly(line):
    """The record of a line that orjson parses with no duplicate key, else None.

    orjson refuses NaN and Infinity but keeps the last of duplicate keys. (It reads integers
    beyond 64 bits as floats, as Odoo would hold them: no field takes such an integer.) In a line with no
    backslash every quote opens or closes a string and no string holds a quote, so writing
    the record back gives as many quotes unless a key was dropped as a duplicate.
    """
    if b"\\" in line:
        return None
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None  # the strict parser names the problem
    if type(record) is list and b"{" not in line:
        return record  # no object, so no key at all
    if type(record) in (list, dict) and orjson.dumps(record).count(b'"') == line.count(b'"'):
        return record
    return None


def parse_checked(line):
    """A line the strict parse accepted: orjson, or json for what orjson refuses (lone surrogates)."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def checked_parser(columns):
    """``parse_checked`` giving records as dictionaries (``columns``: format version 2)."""
    if columns is None:
        return parse_checked
    return lambda line: dict(zip(columns, parse_checked(line), strict=True))


def parse_record(line, limits, where, columns=None):
    """Parse one record line (UTF-8 bytes) strictly; raise BackupFormatError naming ``where``.

    With ``columns`` (format version 2) the line is an array of that many values, returned
    as a dictionary by column; without, a JSON object (version 1, and the manifest).
    """
    try:
        if columns is None:
            record = _parse_strictly(line, limits)
            if not isinstance(record, dict):
                raise BackupFormatError("a record must be a JSON object")
            return record
        return dict(zip(columns, parse_values(line, limits, len(columns)), strict=True))
    except BackupFormatError as error:
        raise BackupFormatError(f"{where}: {error}") from None


def parse_values(line, limits, width):
    """The values of a format 2 record line, parsed strictly: a list of ``width`` values in
    the member's column order (a batch read a column at a time needs no dictionary).
    Raise BackupFormatError, which the caller prefixes with where the line is."""
    record = _parse_strictly(line, limits)
    if not isinstance(record, list) or len(record) != width:
        raise BackupFormatError(f"a record must be a JSON array of {width} values")
    return record


def _parse_strictly(line, limits):
    if line.count(b"[") + line.count(b"{") > limits.max_depth and nesting_depth(line) > limits.max_depth:
        raise BackupFormatError(f"JSON nested deeper than {limits.max_depth} levels")
    if (record := _parse_quickly(line)) is None:
        try:
            record = _STRICT_DECODER.decode(line.decode("utf-8"))
        except BackupFormatError:
            raise
        except (ValueError, RecursionError) as error:
            raise BackupFormatError(f"invalid JSON ({error})") from None
    return record
