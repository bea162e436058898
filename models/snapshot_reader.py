"""A second connection reading the backup's snapshot, so that two cores render a large member.

A backup reads one REPEATABLE READ snapshot. PostgreSQL renders a member on
one core; for a large member, ``SnapshotReader`` renders the upper half of its
ids on a second connection that imported the same snapshot
(``pg_export_snapshot``), in a thread, into a spool file that the main
connection's half is then followed by. Both halves see exactly the same rows.
The snapshot's own uncommitted writes (the tests' data) are not visible to
another connection: a snapshot reader is only used on a snapshot that wrote nothing.
"""

import tempfile
import threading

from .backup_export import CHUNK_BYTES, copy_rows


class _SpoolSink:
    """Receives JSON Lines into a temporary file."""

    def __init__(self, spool):
        self.add_lines = spool.write


class SnapshotReader:
    """The snapshot of ``scope``'s cursor on a connection of its own; use as a context manager."""

    def __init__(self, scope, registry):
        scope.cr.execute("SELECT pg_export_snapshot()")
        snapshot = scope.cr.fetchone()[0]
        self.cr = registry.cursor()
        self._parts = []
        try:
            self.cr.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])  # first statement: REPEATABLE READ
            self.cr.execute("SET LOCAL jit = off")
            scope.copy_to(self.cr)
        except Exception:
            self.cr.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        for part in self._parts:
            part.stop(self.cr)
        self.cr.rollback()
        self.cr.close()

    def start(self, copy_sql, model):
        """Start rendering ``copy_sql`` (a COPY ... TO STDOUT statement); return the running part."""
        self._parts = [part for part in self._parts if part.running()]
        if self._parts:
            raise RuntimeError("the second reader renders one part at a time")
        self._parts.append(_RenderedPart(self.cr, copy_sql, model))
        return self._parts[-1]


class _RenderedPart:
    def __init__(self, cr, copy_sql, model):
        self.spool = tempfile.TemporaryFile()
        self.error = None
        self._thread = threading.Thread(target=self._render, args=(cr, copy_sql, model), daemon=True)
        self._thread.start()

    def _render(self, cr, copy_sql, model):
        try:
            copy_rows(cr, copy_sql, _SpoolSink(self.spool), model)
        except Exception as error:  # noqa: BLE001 - handed to the main thread
            self.error = error

    def running(self):
        return self._thread.is_alive()

    def stop(self, cr):
        """Cancel the rendering if it still runs (the main thread failed), and wait for it."""
        if self.running():
            cr.connection.cancel()
        self._thread.join()
        self.spool.close()

    def chunks(self):
        """Wait for the rendering; yield what it wrote, a megabyte at a time."""
        self._thread.join()
        with self.spool:
            if self.error:
                raise self.error
            self.spool.seek(0)
            while chunk := self.spool.read(CHUNK_BYTES):
                yield chunk
