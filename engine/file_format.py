"""The backup file's layout: its format name and versions, and the names of its members.

A backup is a ZIP archive::

    manifest.json                 what the file holds (see manifest.py)
    data/<model>.jsonl            records of the company, one JSON array a line
    keys/<model>.jsonl            natural keys of shared records it refers to
    files/<sha1>                  attachment contents, named by checksum

A record is an array of values in the order of its member's ``columns`` (the
manifest's list of field names, ``id`` first). Files of format version 1 hold
one JSON object a line instead; both are read, and every reader method yields
records as dictionaries.

The same content can also be one JSON document, laid out one record a line::

    {"format":"danger-zone-backup","format_version":2,
    "members":{
    "data/res.partner.jsonl":[
    [7,"Azure"],
    [8,"Deco"]
    ]
    ,"keys/res.currency.jsonl":[
    [1,"EUR"]
    ]
    },
    "files":{
    "<sha1>":"<base64>"
    },
    "manifest":{...}
    }

A member's ``sha256`` is the hash of its records, each followed by a newline,
exactly as the JSONL member stores them; in the JSON variant the same lines
stand between the brackets, with a comma after all but the last. Readers check
names, sizes, compression ratio, line length, JSON nesting, duplicate keys and
NaN before trusting anything.
"""

import json
import re

from .errors import BackupFormatError

FORMAT = "danger-zone-backup"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # 1: records as JSON objects; 2: as arrays in the order of ``columns``
MANIFEST_NAME = "manifest.json"
MEMBER_KINDS = ("data", "keys")
MEMBER_RE = re.compile(r"^(data|keys)/([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*)\.jsonl$")
FILE_RE = re.compile(r"^files/([0-9a-f]{40})$")


def member_name(kind, model):
    """Name of the member holding ``kind`` records of ``model``.

    >>> member_name("data", "account.move.line")
    'data/account.move.line.jsonl'
    """
    name = f"{kind}/{model}.jsonl"
    if not MEMBER_RE.match(name):
        raise ValueError(f"no member name for {kind!r} records of {model!r}")
    return name


def parse_member_name(name):
    """Return ``(kind, model)`` of a member name, or raise BackupFormatError.

    >>> parse_member_name("keys/res.currency.jsonl")
    ('keys', 'res.currency')
    >>> parse_member_name("../etc/passwd")
    Traceback (most recent call last):
    ...
    engine.errors.BackupFormatError: unexpected member '../etc/passwd'
    """
    match = MEMBER_RE.match(name)
    if not match:
        raise BackupFormatError(f"unexpected member {name!r}")
    return match.group(1), match.group(2)


def canonical_json(value):
    """Compact, key-sorted UTF-8 JSON: the form that is hashed and signed."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()
