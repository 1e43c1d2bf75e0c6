"""Ingest files end to end: read, load in batches, checkpoint, summarise.

Every row read ends as exactly one of inserted, duplicate or rejected (kept with file, line
and reason); each batch commits together with its job checkpoint, so a run killed at any
point and started again reaches the state of an uninterrupted run.
"""

from __future__ import annotations

import gc
import itertools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from election_monitor.errorlog import log_unexpected
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.ingest import jobs
from election_monitor.ingest.batch import BatchLoader, BatchResult, PreparedBatch, RowEncoder
from election_monitor.ingest.elections import resolve_election_id
from election_monitor.ingest.opener import sha256_and_size
from election_monitor.ingest.readers import detect_format, iter_input_files, read
from election_monitor.ingest.records import Row
from election_monitor.ingest.rowgate import election_window
from election_monitor.ingest.writers import writer_for

DEFAULT_BATCH_SIZE = 20_000
DEFAULT_COMMIT_ROWS = 100_000

#: Called after each committed batch with the file and how many rows it has settled so far.
ProgressCallback = Callable[[Path, int], None]
#: Called inside each batch's transaction (detection plugs in here). A hook may also have
#: ``file_done(conn)``, called in the transaction that closes each file's job (the file's data
#: now reaches as far as it ever will), and ``finish(conn)``, called once at the end of a run.
BatchHook = Callable[[Connection, BatchResult], None]


def _call_optional(hooks: Sequence[BatchHook], name: str, conn: Connection) -> None:
    for hook in hooks:
        method = getattr(hook, name, None)
        if method is not None:
            method(conn)


@dataclass
class FileResult:
    """One file's outcome, as ``elmon ingest --json`` prints it."""

    path: str
    job_id: str
    status: str  # completed, failed, skipped
    format: str | None = None
    rows_read: int = 0
    inserted: int = 0
    transactions_inserted: int = 0
    events_inserted: int = 0
    rollbacks_inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    resumed_after: int = 0
    rewritten_from: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class IngestSummary:
    """Totals over all files, and what changed (for detection and the briefing)."""

    files: list[FileResult] = field(default_factory=list)
    constituencies: set[str] = field(default_factory=set)
    buckets: set[tuple[str, Any]] = field(default_factory=set)

    def total(self, name: str) -> int:
        return sum(int(getattr(f, name)) for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": len(self.files),
            "rows_read": self.total("rows_read"),
            "inserted": self.total("inserted"),
            "transactions_inserted": self.total("transactions_inserted"),
            "events_inserted": self.total("events_inserted"),
            "rollbacks_inserted": self.total("rollbacks_inserted"),
            "duplicates": self.total("duplicates"),
            "rejected_rows": self.total("rejected"),
            "failed_files": len(self.failed),
            "skipped_files": sum(1 for f in self.files if f.status == "skipped"),
            "constituencies_touched": len(self.constituencies),
            "jobs": [asdict(f) for f in self.files],
        }


def ingest_paths(
    engine: Engine,
    paths: Sequence[Path],
    *,
    election_id: str | None = None,
    fmt: str = "auto",
    batch_size: int = DEFAULT_BATCH_SIZE,
    commit_rows: int = DEFAULT_COMMIT_ROWS,
    reprocess: bool = False,
    progress: ProgressCallback | None = None,
    hooks: Sequence[BatchHook] = (),
) -> IngestSummary:
    """Ingest files and folders (recursively); one job per file."""
    summary = IngestSummary()
    if election_id is not None:
        with engine.connect() as conn:
            resolve_election_id(conn, election_id)  # fail fast on a wrong id
    for path in iter_input_files(paths):
        result = ingest_file(
            engine,
            path,
            election_id=election_id,
            fmt=fmt,
            batch_size=batch_size,
            commit_rows=commit_rows,
            reprocess=reprocess,
            progress=progress,
            hooks=hooks,
            summary=summary,
        )
        summary.files.append(result)
    if any(hasattr(hook, "finish") for hook in hooks):
        with engine.begin() as conn:
            _call_optional(hooks, "finish", conn)
    return summary


def ingest_file(
    engine: Engine,
    path: Path,
    *,
    election_id: str | None,
    fmt: str,
    batch_size: int,
    commit_rows: int,
    reprocess: bool,
    progress: ProgressCallback | None,
    hooks: Sequence[BatchHook],
    summary: IngestSummary,
) -> FileResult:
    """Ingest one file under its job; errors of the file (not of a row) fail only this job."""
    sha256, size = sha256_and_size(path)
    try:
        file_format = detect_format(path) if fmt == "auto" else fmt
    except ElectionMonitorError as exc:
        file_format = fmt
        format_error: str | None = str(exc)
    else:
        format_error = None
    with engine.begin() as conn:
        plan = jobs.plan_job(
            conn,
            path=path,
            fmt=file_format,
            sha256=sha256,
            size=size,
            election_id=election_id,
            reprocess=reprocess,
        )
    result = FileResult(
        path=str(path),
        job_id=plan.job_id,
        status="skipped" if plan.action == "skip" else "completed",
        format=file_format,
        resumed_after=plan.resume_after,
        rewritten_from=plan.rewritten_from,
    )
    if plan.action == "skip":
        return result
    election = _LazyElection(election_id)
    error = format_error
    if error is None:
        try:
            _load(
                engine,
                path,
                file_format,
                plan,
                batch_size,
                commit_rows,
                election,
                result,
                progress,
                hooks,
                summary,
            )
        except ElectionMonitorError as exc:
            error = str(exc)
        except (OSError, UnicodeError, ValueError) as exc:  # unreadable container or bytes
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a bug: the job says so with an id that is in the log
            error = f"internal error {log_unexpected(exc, context=str(path))} (see the error log)"
    with engine.begin() as conn:
        totals = jobs.finish_job(conn, plan.job_id, error=error)
        _call_optional(hooks, "file_done", conn)
    result.status = "failed" if error else "completed"
    result.error = error
    result.rows_read = int(totals["rows_read"] or 0)
    result.inserted = int(totals["inserted"] or 0)
    result.duplicates = int(totals["duplicates"] or 0)
    result.rejected = int(totals["rejected"] or 0)
    return result


class _LazyElection:
    """Resolves the election only when a batch must create a constituency."""

    def __init__(self, election_id: str | None) -> None:
        self.election_id = election_id
        self.resolved = False

    def __call__(self, conn: Connection) -> str:
        if not self.resolved:
            self.election_id = resolve_election_id(conn, self.election_id)
            self.resolved = True
        assert self.election_id is not None
        return self.election_id


def _load(
    engine: Engine,
    path: Path,
    file_format: str,
    plan: jobs.JobPlan,
    batch_size: int,
    commit_rows: int,
    election: _LazyElection,
    result: FileResult,
    progress: ProgressCallback | None,
    hooks: Sequence[BatchHook],
    summary: IngestSummary,
) -> None:
    rows = read(path, file_format)
    settled = plan.resume_after
    # Resume exactly after the rows the interrupted run had committed.
    rows = itertools.islice(rows, plan.resume_after, None)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the batch is millions of small acyclic objects: collection only costs time
    try:
        with engine.connect() as conn:
            window = election_window(conn, election.election_id)  # the plausible-time gate
            conn.rollback()  # the batches open their own transactions
            loader = BatchLoader(conn, writer_for(conn), job_id=plan.job_id, election=election)
            encoder = RowEncoder(conn.dialect.name, window=window)
            prepared = (encoder.prepare(batch) for batch in _batches(rows, batch_size))
            # Batches bound memory; commits are grouped (each one rewrites the touched index
            # pages). A batch's rows and its job checkpoint always share a transaction, so a
            # crash resumes exactly after the last commit.
            transaction = None
            pending = 0
            for batch in prefetch(prepared):
                if transaction is None:
                    transaction = conn.begin()
                loaded = loader.load(batch)
                jobs.record_batch(conn, plan.job_id, loaded)
                for hook in hooks:
                    hook(conn, loaded)
                settled += loaded.read
                pending += loaded.read
                result.transactions_inserted += loaded.transactions_inserted
                result.events_inserted += loaded.events_inserted
                result.rollbacks_inserted += loaded.rollbacks_inserted
                summary.constituencies |= loaded.constituencies
                summary.buckets |= loaded.buckets
                if pending >= commit_rows:
                    transaction.commit()
                    transaction, pending = None, 0
                    if progress is not None:
                        progress(path, settled)
                gc.collect(0)
            if transaction is not None:
                transaction.commit()
                if progress is not None:
                    progress(path, settled)
    finally:
        if gc_was_enabled:
            gc.enable()


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


_DONE = object()


def prefetch(batches: Iterator[PreparedBatch]) -> Iterator[PreparedBatch]:
    """Read and prepare the next batch in a thread while the database writes the current one.

    SQLite and psycopg release the GIL while the database works, so parsing (pure Python)
    and writing overlap on two cores. At most one batch waits, so memory stays bounded.
    """
    slot: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        slot.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slot.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            slot.put(exc)

    worker = threading.Thread(target=produce, name="ingest-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = slot.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)
