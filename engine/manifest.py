"""The manifest: what a backup holds, checked before anything else is read.

Its JSON Schema is ``docs/backup-manifest.schema.json``; the checks here are
the same rules in plain Python, so that the engine needs no library.
"""

import hashlib
import hmac
import re

from .errors import BackupFormatError
from .file_format import FORMAT, MEMBER_KINDS, READABLE_VERSIONS, canonical_json, parse_member_name

SIGNATURE_ALGORITHM = "HMAC-SHA256"

# Field types a member may declare, and what each needs.
SCALAR_TYPES = {
    "char",
    "text",
    "html",
    "integer",
    "float",
    "monetary",
    "boolean",
    "date",
    "datetime",
    "selection",
    "json",
}
RELATIONAL_TYPES = {"many2one", "many2many", "one2many"}
FIELD_TYPES = SCALAR_TYPES | RELATIONAL_TYPES | {"many2one_reference", "reference"}
_MODEL_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_FIELD_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_SHA1_RE = re.compile(r"^[0-9a-f]{40}$")


def _require(condition, message):
    if not condition:
        raise BackupFormatError(f"invalid manifest: {message}")


def validate_manifest(manifest):
    """Raise BackupFormatError unless ``manifest`` has the documented structure.

    >>> validate_manifest({"format": "zip"})
    Traceback (most recent call last):
    ...
    engine.errors.BackupFormatError: invalid manifest: this is not a Danger Zone backup (format 'zip')
    """
    _require(isinstance(manifest, dict), "not a JSON object")
    _require(
        manifest.get("format") == FORMAT,
        f"this is not a Danger Zone backup (format {manifest.get('format')!r})",
    )
    version = manifest.get("format_version")
    _require(
        version in READABLE_VERSIONS and not isinstance(version, bool),
        f"format version {version!r} is not supported (this reads {', '.join(map(str, READABLE_VERSIONS))})",
    )
    for key in ("created_at", "source", "members"):
        _require(key in manifest, f"{key!r} is missing")
    _validate_source(manifest["source"])
    members = manifest["members"]
    _require(isinstance(members, list), "'members' must be a list")
    names = [member.get("name") if isinstance(member, dict) else None for member in members]
    _require(len(set(names)) == len(names), "a member is listed twice")
    for member in members:
        _validate_member(member)
        if version > 1:
            _validate_columns(member)
    files = manifest.get("files", [])
    _require(isinstance(files, list), "'files' must be a list")
    for entry in files:
        _require(
            isinstance(entry, dict) and _SHA1_RE.match(str(entry.get("sha1"))), "a file needs its 'sha1'"
        )


def _validate_source(source):
    _require(isinstance(source, dict), "'source' must be an object")
    for key in ("database_uuid", "company_name", "currency", "odoo_version", "modules"):
        _require(key in source, f"source.{key} is missing")
    _require(isinstance(source["modules"], dict), "source.modules must map module names to versions")


def _validate_member(member):
    _require(isinstance(member, dict), "a member must be an object")
    name = member.get("name")
    _require(isinstance(name, str), "a member has no name")
    kind, model = parse_member_name(name)
    _require(
        member.get("model") == model and member.get("kind") == kind, f"{name}: model or kind does not match"
    )
    _require(kind in MEMBER_KINDS, f"{name}: unknown kind")
    count = member.get("count")
    _require(isinstance(count, int) and not isinstance(count, bool) and count >= 0, f"{name}: bad count")
    _require(
        isinstance(member.get("sha256"), str) and _SHA256_RE.match(member["sha256"]), f"{name}: bad sha256"
    )
    fields = member.get("fields")
    _require(isinstance(fields, dict) and "id" in fields, f"{name}: 'fields' must describe at least 'id'")
    for field_name, field in fields.items():
        _validate_field(name, field_name, field)


def _validate_columns(member):
    """Version 2: ``columns`` orders the values of each record: every field once, ``id`` first."""
    columns, name = member.get("columns"), member["name"]
    _require(
        isinstance(columns, list) and columns[:1] == ["id"] and all(isinstance(c, str) for c in columns),
        f"{name}: 'columns' must list the field names, 'id' first",
    )
    _require(
        len(set(columns)) == len(columns) and set(columns) == set(member["fields"]),
        f"{name}: 'columns' must name each field of 'fields' once",
    )


def _validate_field(member, name, field):
    where = f"{member}: field {name!r}"
    _require(isinstance(name, str) and _FIELD_RE.match(name), f"{where}: bad name")
    _require(isinstance(field, dict), f"{where}: must be an object")
    kind = field.get("type")
    _require(kind in FIELD_TYPES, f"{where}: unknown type {kind!r}")
    if kind in RELATIONAL_TYPES:
        relation = field.get("relation")
        _require(
            isinstance(relation, str) and _MODEL_RE.match(relation), f"{where}: needs a 'relation' model"
        )
    if kind == "many2one_reference":
        _require(isinstance(field.get("model_field"), str), f"{where}: needs its 'model_field'")
    if "key_relation" in field:
        _require(
            kind == "json" and _MODEL_RE.match(str(field["key_relation"])), f"{where}: bad 'key_relation'"
        )


def _signature(manifest, secret):
    unsigned = {key: value for key, value in manifest.items() if key != "signature"}
    return hmac.new(secret.encode(), canonical_json(unsigned), hashlib.sha256).hexdigest()


def sign_manifest(manifest, secret):
    """Return ``manifest`` with an HMAC over all its other keys, made with ``secret``.

    The manifest holds every member's SHA-256, so the signature covers the
    whole file.

    >>> signed = sign_manifest({"format": FORMAT}, "s3cret")
    >>> verify_signature(signed, "s3cret"), verify_signature(signed, "other")
    (True, False)
    """
    signed = dict(manifest)
    signed["signature"] = {"algorithm": SIGNATURE_ALGORITHM, "value": _signature(manifest, secret)}
    return signed


def verify_signature(manifest, secret):
    """Whether the manifest carries a valid signature made with ``secret``."""
    signature = manifest.get("signature")
    if not isinstance(signature, dict) or signature.get("algorithm") != SIGNATURE_ALGORITHM:
        return False
    return hmac.compare_digest(str(signature.get("value")), _signature(manifest, secret))
