"""JSON Schema of a member's records, built from its manifest entry.

The value rules per field type are published in docs/backup-record.schema.json;
this module only assembles them for one member, for validators and converters.
"""

RECORD_SCHEMA_ID = "backup-record.schema.json"


def _value_schema(name, field):
    definition = "id" if name == "id" else field["type"]
    if field.get("company_dependent") and field["type"] in ("char", "text", "html"):
        definition = "selection"  # a company's own value is a plain string
    return {"$ref": f"{RECORD_SCHEMA_ID}#/$defs/{definition}"}


def member_record_schema(member):
    """A JSON Schema that every record line of ``member`` (a manifest entry) satisfies.

    Format version 2 (the entry lists ``columns``): an array of one value per column.

    >>> schema = member_record_schema(
    ...     {"columns": ["id", "name"], "fields": {"id": {"type": "integer"}, "name": {"type": "char"}}}
    ... )
    >>> schema["prefixItems"][1]
    {'$ref': 'backup-record.schema.json#/$defs/char'}
    >>> schema["minItems"], schema["items"]
    (2, False)

    Format version 1: an object by field name.

    >>> schema = member_record_schema({"fields": {"id": {"type": "integer"}, "name": {"type": "char"}}})
    >>> schema["properties"]["name"]
    {'$ref': 'backup-record.schema.json#/$defs/char'}
    >>> schema["required"], schema["additionalProperties"]
    (['id'], False)
    """
    fields = member["fields"]
    if "columns" in member:
        columns = member["columns"]
        return {
            "type": "array",
            "prefixItems": [_value_schema(name, fields[name]) for name in columns],
            "minItems": len(columns),
            "items": False,
        }
    return {
        "type": "object",
        "properties": {name: _value_schema(name, field) for name, field in fields.items()},
        "required": ["id"],
        "additionalProperties": False,
    }
