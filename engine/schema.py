"""JSON Schema of a member's records, built from its manifest entry.

The value rules per field type are published in docs/backup-record.schema.json;
this module only assembles them for one member, for validators and converters.
"""

RECORD_SCHEMA_ID = "backup-record.schema.json"


def member_record_schema(member):
    """A JSON Schema that every record of ``member`` (a manifest entry) satisfies.

    >>> schema = member_record_schema({"fields": {"id": {"type": "integer"}, "name": {"type": "char"}}})
    >>> schema["properties"]["name"]
    {'$ref': 'backup-record.schema.json#/$defs/char'}
    >>> schema["required"], schema["additionalProperties"]
    (['id'], False)
    """
    properties = {}
    for name, field in member["fields"].items():
        definition = "id" if name == "id" else field["type"]
        if field.get("company_dependent") and field["type"] in ("char", "text", "html"):
            definition = "selection"  # a company's own value is a plain string
        properties[name] = {"$ref": f"{RECORD_SCHEMA_ID}#/$defs/{definition}"}
    return {
        "type": "object",
        "properties": properties,
        "required": ["id"],
        "additionalProperties": False,
    }
