"""Danger Zone engine: the backup file format, free of Odoo.

Nothing here imports Odoo, so it can be read, reused and tested on its own
(``scripts/run_engine_tests.py``). The ORM glue in ``models/`` feeds it rows
and reads records back from it.

- ``archive``: write and read backup files (ZIP of JSON Lines, or one JSON
  document), streaming, with limits against hostile input.
- ``copy_json``: PostgreSQL's COPY output of JSON tokens turned into JSON Lines.
- ``manifest``: the manifest, its checks and its HMAC signature.
- ``schema``: the JSON Schema of a member's records.
- ``validation``: each record's values against its member's field types.
- ``ordering``: the order in which a restore inserts models, and which
  references it writes afterwards.
"""

from .archive import (
    FORMAT,
    FORMAT_VERSION,
    BackupFormatError,
    Limits,
    open_backup,
    write_backup,
)
from .manifest import sign_manifest, validate_manifest, verify_signature
from .ordering import CycleError, insertion_order
