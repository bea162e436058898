"""A second connection reading the backup's snapshot, so that two cores render the large members.

A backup reads one REPEATABLE READ snapshot, and PostgreSQL runs a query on
one core. ``SnapshotReader`` opens a second connection that imports the same
snapshot (``pg_export_snapshot``) and works in a thread of its own: first it
scans the company's largest model while the main connection resolves the
rest of the scope (``CompanyScope.resolve``); then, given a copy of the scope
table, it renders the upper part of each large member, one after the other
and ahead of the main connection, each into a spool file. The main
connection renders the lower part straight into the archive, then copies the
spool after it. Both connections see exactly the same rows.

The snapshot's own uncommitted writes (the tests' data) are invisible to
another connection: a snapshot reader is only used on a snapshot that has
written nothing but its temporary tables.
"""

import tempfile
from concurrent.futures import ThreadPoolExecutor

from .backup_export import CHUNK_BYTES, copy_rows
from .sql import disable_jit


class _SpoolSink:
    """Receives JSON Lines into a temporary file."""

    def __init__(self, spool):
        self.spool = spool

    def add_lines(self, chunk, count_lines=True):  # COPY counts the rows: see _Part.records
        self.spool.write(chunk)


class SnapshotReader:
    """The snapshot of the cursor ``cr`` on a connection of its own; use as a context manager.

    Give it the scope once resolved (``share_scope``) before submitting parts.
    """

    def __init__(self, cr, registry):
        self.cr = registry.cursor()  # first: a full pool leaves the snapshot's transaction untouched
        self._futures = []  # of everything queued
        self._parts = []  # of the members' parts, each with its spool file
        self._scope_shared = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="danger_zone_snapshot_reader")
        try:
            cr.execute("SELECT pg_export_snapshot()")
            snapshot = cr.fetchone()[0]
            self.cr.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])  # first statement: REPEATABLE READ
            disable_jit(self.cr)
        except Exception:
            self.__exit__()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        """Stop: parts not started are dropped, a running one is cancelled (the main thread failed)."""
        self._worker.shutdown(wait=False, cancel_futures=True)
        if any(future.running() for future in self._futures):
            self.cr.connection.cancel()
        self._worker.shutdown(wait=True)
        for part in self._parts:
            part.spool.close()
        self.cr.close()  # rolls back, then gives the connection back to the pool

    def run(self, function, *args):
        """Queue ``function(cursor, *args)`` on this connection; return its future result."""
        future = self._worker.submit(function, self.cr, *args)
        self._futures.append(future)
        return future

    def share_scope(self, scope):
        """Copy the scope table of the resolved ``scope`` to this connection, once."""
        if not self._scope_shared:
            scope.copy_to(self.cr)
            self._scope_shared = True

    def submit(self, copy_sql, model):
        """Queue ``copy_sql`` (a COPY ... TO STDOUT statement); return the part it will render."""
        if not self._scope_shared:
            raise RuntimeError("share the scope before rendering parts of its members")
        part = _Part()
        part.future = self.run(copy_rows, copy_sql, _SpoolSink(part.spool), model)
        self._parts.append(part)
        return part


class _Part:
    def __init__(self):
        self.spool = tempfile.TemporaryFile()
        self.future = None
        self.records = None  # the rows COPY sent, once the part is done

    def chunks(self):
        """Wait for the part; yield what it wrote, a megabyte at a time."""
        with self.spool:
            self.records = self.future.result()  # or its error
            self.spool.seek(0)
            while chunk := self.spool.read(CHUNK_BYTES):
                yield chunk
