"""The PostgreSQL side of a backup build alone, for ``backup_benchmark.sh``'s company: every
member's ``COPY`` of JSON tokens, as the build runs it, on one connection, its output thrown
away. Run in ``odoo-bin shell`` (stdin) with DZ_BENCH_COMPANY; prints
``BACKUP_COPY_SECONDS <s>``. A build shares two cores between its process and its two
connections: it cannot take less than half of this and its own CPU time together.
"""

import io
import os
import time

from odoo.addons.danger_zone.services.backup_export import BackupExport


class _Discard(io.RawIOBase):
    def writable(self):
        return True

    def write(self, chunk):  # pylint: disable=method-required-super
        return len(chunk)


company = env["res.company"].browse(int(os.environ["DZ_BENCH_COMPANY"]))  # noqa: F821 (odoo shell)
env.cr.rollback()  # noqa: F821
env.cr.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # noqa: F821
scope = env["danger.zone.scope"]._danger_zone_resolve(company, ())  # noqa: F821
export = BackupExport(scope, writer=None)
members = [(model, "data") for model in scope.data_models()]
members += [(model, "keys") for model in scope.key_models() if scope.count(model, "keys")]
started = time.perf_counter()
for model, kind in members:
    with io.BufferedWriter(_Discard(), 1 << 20) as discard:
        env.cr.copy_expert(export._copy_sql(model, kind), discard)  # noqa: F821
copy_seconds = time.perf_counter() - started
env.cr.rollback()  # noqa: F821
print("BACKUP_COPY_SECONDS", f"{copy_seconds:.2f}")
