"""Ingest files end to end: read, load in batches, checkpoint, summarise.

Input: files and folders (walked lazily). Output: stored rows, one job per file, an
:class:`IngestSummary`. Guarantees: every row read ends as exactly one of inserted, duplicate
or rejected (kept with file, line and reason); files are grouped into commits, each file under
its own savepoint (a file that fails rolls back alone), and every commit carries the job rows
and checkpoints of its files, so a run killed at any point and started again reaches the
state of an uninterrupted run.
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

from sqlalchemy import Connection, Engine, RootTransaction

from election_monitor.errorlog import log_unexpected
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.ingest import jobs
from election_monitor.ingest.batch import (
    BatchLoader,
    BatchResult,
    PendingTotals,
    PreparedBatch,
    RowEncoder,
)
from election_monitor.ingest.elections import resolve_election_id
from election_monitor.ingest.opener import sha256_and_size
from election_monitor.ingest.readers import detect_format, iter_input_files, read
from election_monitor.ingest.records import Row
from election_monitor.ingest.rowgate import election_window
from election_monitor.ingest.writers import writer_for

DEFAULT_BATCH_SIZE = 20_000
DEFAULT_COMMIT_ROWS = 100_000

#: Called after each commit, per file of it, with how many rows the file has settled so far.
ProgressCallback = Callable[[Path, int], None]
#: Called inside each commit's transaction, after the constituency totals are refreshed, with
#: what the commit's batches changed, merged (detection plugs in here). A hook may also have
#: ``file_done(conn)``, called in a commit that closed one or more files' jobs (their data now
#: reaches as far as it ever will), and ``finish(conn)``, called once at the end of a run.
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


#: Files smaller than this are read inline; larger ones in a reader thread that parses the
#: next batch while the database writes the current one.
INLINE_READ_BYTES = 4 * 1024 * 1024
#: A commit closes after this many files even when they hold few rows (a crash redoes at
#: most one commit; the hooks see the data at least this often).
COMMIT_FILES = 1000


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
    """Ingest files and folders (recursively); one job per file, files grouped into commits."""
    summary = IngestSummary()
    with IngestRun(
        engine,
        election_id=election_id,
        fmt=fmt,
        batch_size=batch_size,
        commit_rows=commit_rows,
        reprocess=reprocess,
        progress=progress,
        hooks=hooks,
        summary=summary,
    ) as run:
        for path in iter_input_files(paths):
            summary.files.append(run.add(path))
        run.commit()
        run.finish()
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
    """Ingest one file under its job, committed before returning; errors of the file (not of
    a row) fail only this job."""
    with IngestRun(
        engine,
        election_id=election_id,
        fmt=fmt,
        batch_size=batch_size,
        commit_rows=commit_rows,
        reprocess=reprocess,
        progress=progress,
        hooks=hooks,
        summary=summary,
    ) as run:
        result = run.add(path)
        run.commit()
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


@dataclass
class _Owed:
    """What the batches since the last commit owe: totals, the hooks' view, job counters."""

    result: BatchResult = field(default_factory=BatchResult)
    totals: PendingTotals = field(default_factory=PendingTotals)
    #: job id -> counters not yet written to its row (written once per file and commit)
    counters: dict[str, BatchResult] = field(default_factory=dict)

    def add(self, job_id: str, loaded: BatchResult, totals: PendingTotals) -> None:
        self.result.merge(loaded)
        self.totals.merge(totals)
        self.counters.setdefault(job_id, BatchResult()).merge(_counts(loaded))

    def merge(self, other: _Owed) -> None:
        self.result.merge(other.result)
        self.totals.merge(other.totals)
        for job_id, counters in other.counters.items():
            self.counters.setdefault(job_id, BatchResult()).merge(counters)


def _counts(loaded: BatchResult) -> BatchResult:
    """Only the counters of a batch (its rejections and touched sets are not needed twice)."""
    return BatchResult(
        read=loaded.read,
        transactions_inserted=loaded.transactions_inserted,
        events_inserted=loaded.events_inserted,
        rollbacks_inserted=loaded.rollbacks_inserted,
        duplicates=loaded.duplicates,
        rejected=loaded.rejected,
    )


class IngestRun:
    """One ingest run: one connection, writer, encoder and time window for every file.

    Files share a transaction until it holds ``commit_rows`` rows or :data:`COMMIT_FILES`
    files (a large file commits mid-way, at batch boundaries). Each file loads under a
    SAVEPOINT, so a file that fails rolls back alone and the others of the commit stay. Job
    planning, checkpoints and job finishing happen in the same transaction as the rows, so
    a run killed at any point and started again reaches the state of an uninterrupted run.
    Constituency totals are refreshed once per commit, then the hooks run on what the
    commit changed (they read those totals), then ``file_done`` when files closed.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        election_id: str | None,
        fmt: str,
        batch_size: int,
        commit_rows: int,
        reprocess: bool,
        progress: ProgressCallback | None,
        hooks: Sequence[BatchHook],
        summary: IngestSummary,
    ) -> None:
        self.fmt, self.reprocess = fmt, reprocess
        self.batch_size, self.commit_rows = batch_size, commit_rows
        self.progress, self.hooks, self.summary = progress, hooks, summary
        self.election_id = election_id
        self.election = _LazyElection(election_id)
        self.conn = engine.connect()
        try:
            if election_id is not None:
                resolve_election_id(self.conn, election_id)  # fail fast on a wrong id
            window = election_window(self.conn, election_id)  # the plausible-time gate
            self.conn.rollback()  # the commits open their own transactions
        except BaseException:
            self.conn.close()
            raise
        self.loader = BatchLoader(
            self.conn, writer_for(self.conn), job_id="", election=self.election
        )
        self.encoder = RowEncoder(self.conn.dialect.name, window=window)
        self._transaction: RootTransaction | None = None
        self._owed = _Owed()
        self._file_owed = _Owed()  # the current file's share, merged once it stands
        self._rows = 0  # rows settled in the open transaction
        self._files: dict[Path, int] = {}  # files of the open transaction -> rows settled
        self._closed_files = 0  # files whose job closed in the open transaction
        self._gc_was_enabled = gc.isenabled()

    def __enter__(self) -> IngestRun:
        gc.disable()  # the batches are many small acyclic objects: collection only costs time
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if self._transaction is not None:
                self._transaction.rollback()  # an error outside any file: nothing half-done
        finally:
            self.conn.close()
            if self._gc_was_enabled:
                gc.enable()

    # -- transactions ----------------------------------------------------------------------
    def _begin(self) -> None:
        if self._transaction is not None:
            return
        self._transaction = self.conn.begin()
        if self.conn.dialect.name == "sqlite":
            # pysqlite would begin only at the first write, and a SAVEPOINT outside a
            # transaction commits on release; IMMEDIATE also takes the write lock up front,
            # so a second writer waits (busy_timeout) instead of failing mid-commit.
            self.conn.exec_driver_sql("BEGIN IMMEDIATE")

    def commit(self) -> None:
        """Settle what the open transaction owes (totals, checkpoints, hooks) and commit."""
        if self._transaction is None:
            return
        owed, self._owed = self._owed, _Owed()
        self._write_counters(owed)
        owed.totals.refresh(self.conn)
        if owed.result.read or owed.result.constituencies or owed.result.buckets:
            for hook in self.hooks:
                hook(self.conn, owed.result)
        if self._closed_files:
            _call_optional(self.hooks, "file_done", self.conn)
        self._transaction.commit()
        self._transaction = None
        files, self._files = self._files, {}
        self._rows, self._closed_files = 0, 0
        gc.collect()
        if self.progress is not None:
            for path, settled in files.items():
                self.progress(path, settled)

    def finish(self) -> None:
        """The run is over: hooks with ``finish`` settle what is still pending."""
        if any(hasattr(hook, "finish") for hook in self.hooks):
            self._begin()
            _call_optional(self.hooks, "finish", self.conn)
            assert self._transaction is not None
            self._transaction.commit()
            self._transaction = None

    def _write_counters(self, owed: _Owed, job_id: str | None = None) -> None:
        """Advance job checkpoints by the counters owed (one job's, or all)."""
        for jid in [job_id] if job_id is not None else list(owed.counters):
            counters = owed.counters.pop(jid, None)
            if counters is not None and counters.read:
                jobs.record_batch(self.conn, jid, counters)

    # -- files -----------------------------------------------------------------------------
    def add(self, path: Path) -> FileResult:
        """Ingest one file under its job inside the open commit (opened when needed)."""
        sha256, size = sha256_and_size(path)
        try:
            file_format = detect_format(path) if self.fmt == "auto" else self.fmt
        except ElectionMonitorError as exc:
            file_format = self.fmt
            error: str | None = str(exc)
        else:
            error = None
        self._begin()
        plan = jobs.plan_job(
            self.conn,
            path=path,
            fmt=file_format,
            sha256=sha256,
            size=size,
            election_id=self.election_id,
            reprocess=self.reprocess,
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
        if error is None:
            error = self._load_file(path, file_format, plan, size, result)
        totals = jobs.finish_job(self.conn, plan.job_id, error=error)
        self._closed_files += 1
        result.status = "failed" if error else "completed"
        result.error = error
        result.rows_read = int(totals["rows_read"] or 0)
        result.inserted = int(totals["inserted"] or 0)
        result.duplicates = int(totals["duplicates"] or 0)
        result.rejected = int(totals["rejected"] or 0)
        if self._rows >= self.commit_rows or self._closed_files >= COMMIT_FILES:
            self.commit()
        return result

    def _load_file(
        self, path: Path, file_format: str, plan: jobs.JobPlan, size: int, result: FileResult
    ) -> str | None:
        """Load the file's rows under a savepoint; the error that failed it, or None."""
        self._file_owed = _Owed()
        self.conn.begin_nested()
        try:
            self._load_rows(path, file_format, plan, size, result)
        except Exception as exc:
            savepoint = self.conn.get_nested_transaction()
            if savepoint is None:  # failed while committing, not in the file: not its error
                raise
            savepoint.rollback()  # only this file's rows since the last commit
            self.loader.forget()
            self._files.pop(path, None)
            if isinstance(exc, ElectionMonitorError):
                return str(exc)
            if isinstance(exc, OSError | UnicodeError | ValueError):  # unreadable container
                return f"{type(exc).__name__}: {exc}"
            # A bug: the job says so with an id that is in the log.
            return f"internal error {log_unexpected(exc, context=str(path))} (see the error log)"
        savepoint = self.conn.get_nested_transaction()
        assert savepoint is not None
        savepoint.commit()  # RELEASE SAVEPOINT
        self._owed.merge(self._file_owed)
        self._write_counters(self._owed, plan.job_id)  # finish_job reads the counters
        return None

    def _load_rows(
        self,
        path: Path,
        file_format: str,
        plan: jobs.JobPlan,
        size: int,
        result: FileResult,
    ) -> None:
        # Resume exactly after the rows the interrupted run had committed.
        rows = itertools.islice(read(path, file_format), plan.resume_after, None)
        settled = plan.resume_after
        self.loader.job_id = plan.job_id
        prepared: Iterator[PreparedBatch] = (
            self.encoder.prepare(batch) for batch in _batches(rows, self.batch_size)
        )
        if size > INLINE_READ_BYTES:
            prepared = prefetch(prepared)
        try:
            for batch in prepared:
                totals = PendingTotals()
                loaded = self.loader.load(batch, totals=totals)
                self._file_owed.add(plan.job_id, loaded, totals)
                settled += loaded.read
                self._rows += loaded.read
                self._files[path] = settled
                result.transactions_inserted += loaded.transactions_inserted
                result.events_inserted += loaded.events_inserted
                result.rollbacks_inserted += loaded.rollbacks_inserted
                self.summary.constituencies |= loaded.constituencies
                self.summary.buckets |= loaded.buckets
                if self._rows >= self.commit_rows:
                    # A large file commits mid-way: its rows so far stand, with its checkpoint.
                    self._commit_mid_file()
                gc.collect(0)
        finally:
            close = getattr(prepared, "close", None)
            if close is not None:
                close()

    def _commit_mid_file(self) -> None:
        """Commit between two batches of one file, then reopen its savepoint."""
        savepoint = self.conn.get_nested_transaction()
        assert savepoint is not None
        savepoint.commit()  # RELEASE SAVEPOINT
        self._owed.merge(self._file_owed)
        self._file_owed = _Owed()
        self.commit()
        self._begin()
        self.conn.begin_nested()


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
