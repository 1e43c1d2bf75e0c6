"""``elmon worker``: load queued files, any number of processes against one database.

Input: ``file_queue`` rows (``elmon queue add``). Output: the same tables ``elmon ingest``
writes, through the same :func:`~election_monitor.ingest.service.ingest_paths`, plus one
detection pass per closed queue batch.

Guarantees:
- a file is held by one worker at a time: claims use ``SELECT … FOR UPDATE SKIP LOCKED`` and a
  lease that a heartbeat thread renews; a worker that dies (even by ``kill -9``) stops
  renewing, and once the lease expires another worker claims the file and its job resumes
  after the last committed batch, so nothing is lost or counted twice;
- the files of one contract are loaded one at a time, in queue order (the loader's unique
  voter counts and rollbacks assume one writer per contract);
- detection does not run per worker: each batch records the constituency-hours it touched in
  ``detection_backlog`` (in the batch's own transaction), and the worker that closes a queue
  batch drains the backlog under a PostgreSQL advisory lock, so exactly one pass runs.
On SQLite the workers take turns through the writer lock (one writer at a time).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    exists,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import aliased

from election_monitor.db.writerlock import LOCK_NAMESPACE, writer_lock
from election_monitor.enums import QueueState
from election_monitor.errorlog import log_unexpected
from election_monitor.events import EventsHook
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.ingest.backlog import BacklogHook, drain_detection
from election_monitor.ingest.batch import BatchResult
from election_monitor.ingest.queue import ACTIVE
from election_monitor.ingest.service import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_COMMIT_ROWS,
    BatchHook,
    ingest_paths,
)
from election_monitor.models import FileProcessingJob, FileQueueEntry
from election_monitor.timeutil import utcnow

#: Transaction-level advisory locks on a contract key, taken while claiming (own namespace).
CONTRACT_NAMESPACE = LOCK_NAMESPACE + 1
#: Candidates looked at per claim (rows other workers hold locked are skipped, not waited for).
CLAIM_WINDOW = 32


class LeaseLostError(ElectionMonitorError):
    """This worker's lease on a file expired and another worker may hold the file now."""


@dataclass
class WorkerOptions:
    """How one worker runs (``elmon worker`` options)."""

    worker_id: str
    lease_seconds: float = 60.0
    poll_seconds: float = 2.0
    once: bool = False
    max_attempts: int = 3
    batch_size: int = DEFAULT_BATCH_SIZE
    commit_rows: int = DEFAULT_COMMIT_ROWS
    detection_settings: Path | None = None


@dataclass
class Claim:
    """A queue entry this worker now holds under a lease."""

    id: int
    batch_id: str
    path: str
    election_id: str | None
    format: str
    contract_key: str


@dataclass
class WorkerReport:
    """What one worker did, as ``elmon worker --json`` prints it."""

    worker_id: str
    files: list[dict[str, Any]] = field(default_factory=list)
    detection_runs: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rows_read"] = sum(int(f.get("rows_read", 0)) for f in self.files)
        data["inserted"] = sum(int(f.get("inserted", 0)) for f in self.files)
        data["failed_files"] = sum(1 for f in self.files if f["state"] != QueueState.DONE)
        return data


# -- claiming --
def _blocked(now: datetime) -> Any:
    """An earlier file of the same contract still to load, or one held under a live lease."""
    other = aliased(FileQueueEntry)
    return exists().where(
        other.contract_key == FileQueueEntry.contract_key,
        other.id != FileQueueEntry.id,
        or_(
            and_(other.id < FileQueueEntry.id, other.state.in_(ACTIVE)),
            and_(other.state == QueueState.LEASED.value, other.lease_expires_at >= now),
        ),
    )


def claim_next(
    engine: Engine, *, worker_id: str, lease_seconds: float, max_attempts: int = 3
) -> Claim | None:
    """Lease the first file no other worker holds and whose contract is free, or None."""
    now = utcnow()
    claimable = or_(
        FileQueueEntry.state == QueueState.QUEUED.value,
        and_(
            FileQueueEntry.state == QueueState.LEASED.value,
            FileQueueEntry.lease_expires_at < now,
        ),
    )
    with engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        candidates = conn.execute(
            select(FileQueueEntry)
            .where(claimable, ~_blocked(now))
            .order_by(FileQueueEntry.id)
            .limit(CLAIM_WINDOW)
            .with_for_update(skip_locked=True, of=FileQueueEntry)
        ).all()
        for row in candidates:
            if row.state == QueueState.LEASED.value and row.attempts >= max_attempts:
                conn.execute(
                    update(FileQueueEntry)
                    .where(FileQueueEntry.id == row.id)
                    .values(
                        state=QueueState.FAILED.value,
                        finished_at=now,
                        last_error=(
                            f"gave up after {row.attempts} attempts: the lease expired each "
                            "time (a worker was killed or stuck on this file)"
                        ),
                    )
                )
                continue
            if postgres:
                # Two claimers may pick files of one contract in the same instant: only the
                # holder of the contract's lock goes on, and it re-checks after taking it.
                got = conn.execute(
                    text("SELECT pg_try_advisory_xact_lock(:ns, hashtext(:key))"),
                    {"ns": CONTRACT_NAMESPACE, "key": row.contract_key},
                ).scalar_one()
                if not got:
                    continue
                still_free = conn.execute(
                    select(FileQueueEntry.id).where(
                        FileQueueEntry.id == row.id, claimable, ~_blocked(now)
                    )
                ).first()
                if still_free is None:
                    continue
            conn.execute(
                update(FileQueueEntry)
                .where(FileQueueEntry.id == row.id)
                .values(
                    state=QueueState.LEASED.value,
                    lease_owner=worker_id,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    heartbeat_at=now,
                    attempts=FileQueueEntry.attempts + 1,
                    started_at=now,
                )
            )
            return Claim(
                id=row.id,
                batch_id=row.batch_id,
                path=row.path,
                election_id=row.election_id,
                format=row.format,
                contract_key=row.contract_key,
            )
    return None


# -- holding a lease --
class Lease:
    """Renews a claim's lease from a thread while the file loads; notices when it was lost."""

    def __init__(self, engine: Engine, claim: Claim, *, worker_id: str, seconds: float) -> None:
        self.engine = engine
        self.claim = claim
        self.worker_id = worker_id
        self.seconds = seconds
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        # A third of the lease: two renewals may fail (a slow database) before it expires.
        while not self._stop.wait(self.seconds / 3):
            try:
                self.renew()
            except Exception as exc:  # the next beat tries again; the lease has slack
                log_unexpected(exc, context=f"lease heartbeat for {self.claim.path}")
            if self.lost.is_set():
                return

    def renew(self) -> None:
        """Push the lease's expiry forward, if this worker still holds it."""
        now = utcnow()
        with self.engine.begin() as conn:
            renewed = conn.execute(
                update(FileQueueEntry)
                .where(
                    FileQueueEntry.id == self.claim.id,
                    FileQueueEntry.lease_owner == self.worker_id,
                    FileQueueEntry.state == QueueState.LEASED.value,
                )
                .values(lease_expires_at=now + timedelta(seconds=self.seconds), heartbeat_at=now)
            ).rowcount
        if not renewed:
            self.lost.set()


class LeaseGuard:
    """An ingest hook that stops loading (the batch rolls back) once the lease is lost."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease

    def __call__(self, conn: Connection, batch: BatchResult) -> None:
        if self.lease.lost.is_set():
            raise LeaseLostError(
                f"lease on {self.lease.claim.path} expired; another worker takes the file over"
            )


# -- loading one file --
def process(engine: Engine, claim: Claim, options: WorkerOptions) -> dict[str, Any]:
    """Load the claimed file through the ordinary ingest, then settle its queue entry."""
    outcome: dict[str, Any] = {"id": claim.id, "path": claim.path}
    error: str | None = None
    job_id: str | None = None
    with Lease(engine, claim, worker_id=options.worker_id, seconds=options.lease_seconds) as lease:
        hooks: list[BatchHook] = [LeaseGuard(lease), BacklogHook(), EventsHook()]
        try:
            summary = ingest_paths(
                engine,
                [Path(claim.path)],
                election_id=claim.election_id,
                fmt=claim.format,
                batch_size=options.batch_size,
                commit_rows=options.commit_rows,
                hooks=hooks,
            )
        except ElectionMonitorError as exc:
            error = str(exc)
        except Exception as exc:  # a bug: the entry says so with an id that is in the log
            error = f"internal error {log_unexpected(exc, context=claim.path)} (see the error log)"
        else:
            result = summary.files[0]
            job_id = result.job_id
            error = result.error
            outcome.update(
                job_id=job_id,
                status=result.status,
                rows_read=result.rows_read,
                inserted=result.inserted,
                duplicates=result.duplicates,
                rejected=result.rejected,
            )
    state = QueueState.FAILED if error else QueueState.DONE
    with engine.begin() as conn:
        sha256 = (
            conn.scalar(select(FileProcessingJob.sha256).where(FileProcessingJob.id == job_id))
            if job_id
            else None
        )
        settled = conn.execute(
            update(FileQueueEntry)
            .where(
                FileQueueEntry.id == claim.id,
                FileQueueEntry.lease_owner == options.worker_id,
                FileQueueEntry.state == QueueState.LEASED.value,
            )
            .values(
                state=state.value,
                job_id=job_id,
                sha256=sha256,
                last_error=error,
                finished_at=utcnow(),
                lease_expires_at=None,
            )
        ).rowcount
    outcome["state"] = state.value if settled else "lost"
    if error:
        outcome["error"] = error
    return outcome


# -- when a batch closes --
def batch_closed(engine: Engine, batch_id: str) -> bool:
    """No file of the queue batch is waiting or being loaded any more."""
    with engine.connect() as conn:
        return not conn.execute(
            select(FileQueueEntry.id)
            .where(FileQueueEntry.batch_id == batch_id, FileQueueEntry.state.in_(ACTIVE))
            .limit(1)
        ).first()


def nothing_in_flight(engine: Engine) -> bool:
    """No file anywhere in the queue is waiting or being loaded."""
    with engine.connect() as conn:
        return not conn.execute(
            select(FileQueueEntry.id).where(FileQueueEntry.state.in_(ACTIVE)).limit(1)
        ).first()


# -- the loop --
def run_worker(
    engine: Engine,
    options: WorkerOptions,
    *,
    stop: threading.Event | None = None,
    on_wait: Callable[[str], None] | None = None,
    on_file: Callable[[dict[str, Any]], None] | None = None,
) -> WorkerReport:
    """Claim and load files until stopped (or, ``once``, until nothing is claimable)."""
    stop = stop or threading.Event()
    report = WorkerReport(worker_id=options.worker_id)
    told: list[str] = []

    def tell_once(message: str) -> None:
        if not told and on_wait is not None:
            on_wait(message)
        told.append(message)

    while not stop.is_set():
        with writer_lock(engine, shared=True, on_wait=tell_once):
            claim = claim_next(
                engine,
                worker_id=options.worker_id,
                lease_seconds=options.lease_seconds,
                max_attempts=options.max_attempts,
            )
            if claim is not None:
                outcome = process(engine, claim, options)
                report.files.append(outcome)
                if on_file is not None:
                    on_file(outcome)
                if batch_closed(engine, claim.batch_id):
                    report.detection_runs += drain_detection(
                        engine, settings_path=options.detection_settings
                    )
                continue
            if nothing_in_flight(engine):
                # A closing worker may have died before its pass: whoever is idle runs it.
                report.detection_runs += drain_detection(
                    engine, settings_path=options.detection_settings
                )
        if options.once:
            break
        stop.wait(options.poll_seconds)
    return report


def default_worker_id() -> str:
    """Host and process id: unique among live workers, readable in ``elmon queue status``."""
    return f"{socket.gethostname()}:{os.getpid()}"
