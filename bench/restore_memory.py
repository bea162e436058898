# Run through `odoo-bin shell -d DB` (provides env): restores the file DZ_BENCH_FILE into the
# company DZ_BENCH_TARGET as the command does, with Python's allocations traced (tracemalloc),
# and prints after each phase what the restore holds and the phase's peak, with the lines of
# code that hold most (DZ_BENCH_TOP of them). Also once before the books' verdict, when the
# record check holds its most. Where a restore's memory goes (bench/README.md); tracing makes
# the restore two to three times slower, so its seconds mean nothing here.
import contextlib
import os
import tracemalloc

from odoo.addons.danger_zone.models.danger_zone_restore import CONFIRMATION
from odoo.addons.danger_zone.services.restore import file_check, pipeline, record_check
from odoo.addons.danger_zone.services.restore.source import BackupSource

MB = 1024 * 1024
TOP = int(os.environ.get("DZ_BENCH_TOP", "8"))


def print_memory(title):
    held, peak = tracemalloc.get_traced_memory()
    print(f"MEMORY {title}: held {held / MB:.1f} MB, peak since the last {peak / MB:.1f} MB", flush=True)
    snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    for stat in snapshot.statistics("lineno")[:TOP]:
        frame = stat.traceback[0]
        where = frame.filename.split("/addons/")[-1]
        print(f"    {stat.size / MB:7.1f} MB {stat.count:9d} blocks  {where}:{frame.lineno}", flush=True)
    tracemalloc.reset_peak()


untraced_timed = pipeline.timed


@contextlib.contextmanager
def traced_timed(phase):
    with untraced_timed(phase):
        yield
    print_memory(phase)


untraced_check_books = record_check.RecordCheck._check_books


def traced_check_books(self, line_ids):
    print_memory("every record read, before the books' verdict")
    return untraced_check_books(self, line_ids)


pipeline.timed = file_check.timed = traced_timed
record_check.RecordCheck._check_books = traced_check_books

company = env["res.company"].browse(int(os.environ["DZ_BENCH_TARGET"]))  # noqa: F821 (odoo shell)
company = company.with_user(company.danger_zone_owner_id)  # as the command acts: as the owner
path = os.environ["DZ_BENCH_FILE"]
source = BackupSource(path=path, name=os.path.basename(path))
Restore = company.env["danger.zone.restore"]
tracemalloc.start()
print_memory("registry loaded")
job = Restore._request(company, source, source.name, "replace", False, trigger="cli", confirm=CONFIRMATION)
job._run()
print(f"RESTORED {job.state} {job.restored_count} {job.error or ''}")
