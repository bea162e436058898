"""Danger Zone engine: the backup file format, free of Odoo.

Nothing here imports Odoo, so it can be read, reused and tested on its own
(``scripts/run_engine_tests.py``; ``tests/test_doctests.py`` also
runs the doctests under Odoo's test runner). The services in ``services/``
feed it rows and read records back from it.

- ``errors``: every exception of the engine.
- ``file_format``: the format's name and versions, the members' names, the
  canonical JSON that is hashed and signed.
- ``writer``: write backup files (ZIP of JSON Lines, or one JSON document),
  streaming.
- ``zip_stream``: the ZIP writer itself, deflating with ISA-L.
- ``read_back``: each ZIP member read back from the disk while the next ones
  are written.
- ``reader``: read backup files, streaming, with limits against hostile input.
- ``parsing``: one record line parsed strictly; the reader's ``Limits``.
- ``copy_json``: PostgreSQL's COPY output of JSON tokens turned into JSON Lines.
- ``manifest``: the manifest, its checks and its HMAC signature.
- ``schema``: the JSON Schema of a member's records.
- ``validation``: each record's values against its member's field types.
- ``ordering``: the order in which a restore inserts models, and which
  references it writes afterwards.
- ``rows``: records of a file turned into rows of this database (``Remap`` and its
  ``IdMap`` per model, ``RowBuilder``).
- ``record_table``: values and ids kept per record of a file, packed in arrays
  (``RecordTable``, ``IdSet``, ``IdPairs``), for the checks and writes of large files.
"""

from .errors import BackupFormatError, CycleError, RecordError
from .file_format import FORMAT, FORMAT_VERSION, member_name
from .manifest import sign_manifest, validate_manifest, verify_signature
from .ordering import insertion_order
from .parsing import Limits
from .reader import open_backup
from .writer import write_backup
