"""What every phase of a restore shares: the context, how far the file is trusted, the report."""

import contextlib
import dataclasses
import enum
import itertools
import logging
import resource
import time

from odoo.exceptions import UserError

from ...engine import BackupFormatError, member_name
from ...engine.rows import Remap
from ..scope_rules import COMPANY_MODEL

_logger = logging.getLogger(__name__)

SHOWN = 10  # differences or faults named in a refusal
ID_CHUNK = 10000  # ids turned into text at a time


def shown(lines):
    """The first ``SHOWN`` lines of a refusal's list, one a line."""
    return "\n".join(lines[:SHOWN])


def id_array(ids):
    """``ids`` as one PostgreSQL array literal, for ``= ANY(%s::int[])``. psycopg2 sends a list
    as ``ARRAY[1, 2, ...]``, which PostgreSQL parses as one constant per id: 0.6 s for the
    300,000 journal items of the benchmark company, each time a query names them. Written
    ``ID_CHUNK`` ids at a time: a join of a million ids would hold a string object for each.

    >>> id_array(range(1, 4)), id_array([]), len(id_array(range(25000)).split(","))
    ('{1,2,3}', '{}', 25000)
    """
    ids, chunks = iter(ids), []
    while chunk := list(itertools.islice(ids, ID_CHUNK)):
        chunks.append(",".join(map(str, chunk)))
    return "{" + ",".join(chunks) + "}"


class Trust(enum.Enum):
    """How far the file's records are trusted, from the least to the most."""

    NONE = 0  # from elsewhere: every record is checked
    SIGNED = 1  # this database made it (its signature matches): its records, once its hashes match
    PROVEN = 2  # a full check of this very content passed: the request's, or this restore's own

    def checks_records(self, skip_invalid):
        """Whether every record is checked now (skipping needs each fault named).

        >>> [trust.checks_records(False) for trust in Trust]
        [True, False, False]
        >>> [trust.checks_records(True) for trust in Trust]
        [True, True, False]
        """
        return self is Trust.NONE or (self is Trust.SIGNED and skip_invalid)


@dataclasses.dataclass
class RestoreReport:
    """What the check found and the restore did; ``as_dict()`` is what the job keeps."""

    mode: str
    counts: dict = dataclasses.field(default_factory=dict)
    errors: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)
    missing: dict = dataclasses.field(default_factory=dict)
    skipped: list = dataclasses.field(default_factory=list)
    unresolved_keys: list = None
    currency: dict = None
    conflicts: list = None
    lock_dates: dict = None
    deleted: dict = None
    restored: dict = None
    books: dict = None  # the books as restored, verified against the file's (book_figures.py)
    stock: dict = None  # the stock as restored, verified against the file's (stock_figures.py)

    @property
    def ok(self):
        return not self.errors

    def as_dict(self):
        values = {name: value for name, value in dataclasses.asdict(self).items() if value is not None}
        return {**values, "ok": self.ok}


class RestoreContext:
    """One restore of a backup ``reader`` into ``company``: what its phases read and add to."""

    def __init__(self, env, company, reader, mode, skip_invalid, progress, invalid=None):
        self.env = env
        self.cr = env.cr
        self.company = company
        self.reader = reader
        self.manifest = reader.manifest
        self.members = {member["name"]: member for member in self.manifest["members"]}
        self.mode = mode
        self.skip_invalid = skip_invalid
        self.progress = progress or (lambda done, total: None)
        self.scope = env["danger.zone.scope"]._danger_zone_scope(company, ("attachments",))
        self.trust = Trust.NONE
        self.signed = False  # this database made the file: its signature matches
        self.remap = Remap()  # (model, backup id) -> id here: the only way references travel
        self.report = RestoreReport(mode)
        # (model, backup id) -> reason, found by the record check (or by the models' rules on
        # an earlier try of a restore that skips invalid records)
        self.invalid = dict(invalid or {})
        self.skipped = []  # (model, backup id, reason), while writing
        self.cleared = []  # warnings: references left empty, defaults gone
        self.counts = {}  # model -> records restored (written, or matched to an existing one)
        self.foreign_keys = None  # the per-table foreign key check, while writing
        self._ids_cache = {}

    def member(self, model, kind="data"):
        """The manifest's entry of a member, None when the file has none."""
        return self.members.get(member_name(kind, model))

    def records(self, model, kind="data"):
        """The records of a member (none when the file has no such member)."""
        member = self.member(model, kind)
        return self.reader.records(member["name"]) if member else ()

    def data_members(self):
        """model -> data member, the company's own record left out (its settings are apart)."""
        return {
            m["model"]: m
            for m in self.members.values()
            if m["kind"] == "data" and m["model"] != COMPANY_MODEL
        }

    def backup_ids(self, model):
        """The ids of the file's records of ``model`` (integers only: this may be read before the
        records are checked, which refuses any other id)."""
        if model not in self._ids_cache:
            ids = (record.get("id") for record in self.records(model))
            self._ids_cache[model] = {record_id for record_id in ids if type(record_id) is int}
        return self._ids_cache[model]

    def format_errors(self):
        return format_errors(self.env)

    def skip_or_raise(self, model, record_id, reason):
        """A record that cannot be restored: skipped and reported, or the restore refused."""
        if not self.skip_invalid:
            raise UserError(
                self.env._(
                    "%(model)s %(id)s of the backup could not be restored: %(reason)s",
                    model=model,
                    id=record_id,
                    reason=reason,
                )
            )
        self.skipped.append((model, record_id, reason))


@contextlib.contextmanager
def format_errors(env):
    """The one place where a file's format error becomes the owner's UserError."""
    try:
        yield
    except BackupFormatError as error:
        raise UserError(env._("The backup file is not valid: %s", error)) from None


@contextlib.contextmanager
def timed(phase):
    """Log how long a phase of the restore took, the CPU time of this process in it (for
    integrators tuning large restores: the rest is mostly PostgreSQL's work), and the process's
    peak memory so far (the phase where it grows holds the most)."""
    started, cpu = time.monotonic(), time.process_time()
    yield
    _logger.info(
        "restore: %s in %.2f s (Python %.2f s, peak %d MB)",
        phase,
        time.monotonic() - started,
        time.process_time() - cpu,
        peak_memory_mb(),
    )


def peak_memory_mb():
    """This process's peak resident memory, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
