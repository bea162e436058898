"""Restore a backup file into one company: check it, then write it with set-based SQL.

``RestorePipeline.check()`` reads the whole file and writes nothing: structure, hashes,
scope, fields, value types, references, natural keys, currency, merge conflicts and lock
dates. ``run()`` then gives every record a new id through the remapping table
(``engine.rows.Remap``) and inserts each model's rows with ``COPY``, in the order that
required references dictate; forward references and many2many links follow once every
record exists.

- ``pipeline``: the phases, in order, each timed the same way;
- ``context``: what the phases share (``RestoreContext``), how far the file is trusted
  (``Trust``) and the report (``RestoreReport``); the one place where a format error
  becomes a ``UserError``;
- ``file_check`` and ``record_check``: the file, and every record of a file from elsewhere;
- ``keys``: the key resolver (natural keys, shared records this database has);
- ``database_check``: currency, merge conflicts, lock dates;
- ``columns``: the column mapping (fields to columns, values converted, plan columns);
- ``table_writer``: rows written with ``COPY``; ``references``: what is written once every
  record exists; ``foreign_keys``: the per-table foreign key check;
- ``company``: the company's settings and defaults.
"""

from .context import format_errors
from .pipeline import RestorePipeline
