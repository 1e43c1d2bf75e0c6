"""File jobs: one ``FileProcessingJob`` per file, with a checkpoint that makes re-runs exact.

Decisions when a file arrives:
- the same bytes (SHA-256) already completed → skipped (nothing to add);
- the same bytes left ``processing`` or ``failed`` (a killed or broken run) → resumed after
  the rows it had settled, with its counters, so the end state equals an uninterrupted run;
- the same path completed earlier with other bytes → a new job that records the rewrite
  (the publisher changed a file it had already published);
- otherwise → a new job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, insert, select, update

from election_monitor.db.base import new_uuid
from election_monitor.enums import JobStatus
from election_monitor.ingest.batch import BatchResult
from election_monitor.models import FileProcessingJob, RejectedRow
from election_monitor.timeutil import utcnow

FIRST_REASONS = 10

# Built once: a run of 36,000 files executes each of these per file, and building the
# expression costs more than SQLite takes to run it.
_SAME_BYTES = (
    select(
        FileProcessingJob.id,
        FileProcessingJob.status,
        FileProcessingJob.path,
        FileProcessingJob.transactions_processed,
    )
    .where(FileProcessingJob.sha256 == bindparam("sha256"))
    .order_by(FileProcessingJob.started_at.desc())
)
_REOPEN = (
    update(FileProcessingJob)
    .where(FileProcessingJob.id == bindparam("job_id"))
    .values(status=JobStatus.PROCESSING.value, completed_at=None)
)
_PREVIOUS = (
    select(FileProcessingJob.id, FileProcessingJob.sha256)
    .where(
        # filename is indexed (path is not) and follows from the path: an index lookup,
        # not a scan of every job, for each of 36,000 files
        FileProcessingJob.filename == bindparam("filename"),
        FileProcessingJob.path == bindparam("path"),
        FileProcessingJob.status == JobStatus.COMPLETED,
        FileProcessingJob.sha256 != bindparam("sha256"),
    )
    .order_by(FileProcessingJob.started_at.desc())
    .limit(1)
)
_CREATE = insert(FileProcessingJob)
_ADVANCE = (
    update(FileProcessingJob)
    .where(FileProcessingJob.id == bindparam("job_id"))
    .values(
        transactions_processed=FileProcessingJob.transactions_processed + bindparam("read"),
        rows_inserted=FileProcessingJob.rows_inserted + bindparam("inserted"),
        rows_duplicate=FileProcessingJob.rows_duplicate + bindparam("duplicates"),
        rows_rejected=FileProcessingJob.rows_rejected + bindparam("rejected"),
    )
)
_JOB = select(*FileProcessingJob.__table__.columns).where(
    FileProcessingJob.id == bindparam("job_id")
)
_CLOSE = (
    update(FileProcessingJob)
    .where(FileProcessingJob.id == bindparam("job_id"))
    .values(
        status=bindparam("status"),
        completed_at=bindparam("completed_at"),
        details=bindparam("details"),
    )
)
_FIRST_REASONS = (
    select(RejectedRow.source, RejectedRow.line, RejectedRow.kind, RejectedRow.reason)
    .where(RejectedRow.job_id == bindparam("job_id"))
    .order_by(RejectedRow.id)
    .limit(FIRST_REASONS)
)


@dataclass
class JobPlan:
    """What to do with one file."""

    job_id: str
    action: str  # new, resume, skip
    resume_after: int = 0  # rows already settled
    rewritten_from: dict[str, Any] | None = None


def plan_job(
    conn: Connection,
    *,
    path: Path,
    fmt: str,
    sha256: str,
    size: int,
    election_id: str | None,
    reprocess: bool,
) -> JobPlan:
    """Find or create the job for this file (see the module docstring)."""
    same_bytes = conn.execute(_SAME_BYTES, {"sha256": sha256}).all()
    for job in same_bytes:
        if job.status == JobStatus.COMPLETED and not reprocess:
            return JobPlan(job_id=job.id, action="skip")
        if job.status != JobStatus.COMPLETED and job.path == str(path):
            conn.execute(_REOPEN, {"job_id": job.id})
            return JobPlan(job_id=job.id, action="resume", resume_after=job.transactions_processed)
    previous = conn.execute(
        _PREVIOUS, {"filename": path.name, "path": str(path), "sha256": sha256}
    ).first()
    rewritten = (
        {"previous_job": previous.id, "previous_sha256": previous.sha256} if previous else None
    )
    job_id = new_uuid()
    conn.execute(
        _CREATE,
        {
            "id": job_id,
            "filename": path.name,
            "path": str(path),
            "format": fmt,
            "sha256": sha256,
            "size_bytes": size,
            "election_id": election_id,
            "status": JobStatus.PROCESSING.value,
            "started_at": utcnow(),
            "transactions_processed": 0,
            "details": _dumps({"rewritten_from": rewritten} if rewritten else {}),
        },
    )
    return JobPlan(job_id=job_id, action="new", rewritten_from=rewritten)


def record_batch(conn: Connection, job_id: str, batch: BatchResult) -> None:
    """Advance the job's checkpoint and counters in the batch's own transaction."""
    conn.execute(
        _ADVANCE,
        {
            "job_id": job_id,
            "read": batch.read,
            "inserted": batch.inserted,
            "duplicates": batch.duplicates,
            "rejected": batch.rejected,
        },
    )


def finish_job(conn: Connection, job_id: str, *, error: str | None = None) -> dict[str, Any]:
    """Mark the job completed (or failed) and write its summary into ``details``."""
    job = conn.execute(_JOB, {"job_id": job_id}).one()
    summary = job_summary(conn, job)
    if error:
        summary["error"] = error
    conn.execute(
        _CLOSE,
        {
            "job_id": job_id,
            "status": (JobStatus.FAILED if error else JobStatus.COMPLETED).value,
            "completed_at": utcnow(),
            "details": _dumps(summary),
        },
    )
    return summary


def job_summary(conn: Connection, job: Any) -> dict[str, Any]:
    """Rows read, inserted, duplicates, rejected (with the first reasons), hash and size."""
    previous = orjson.loads(job.details) if job.details else {}
    reasons = conn.execute(_FIRST_REASONS, {"job_id": job.id}).all()
    summary: dict[str, Any] = {
        "path": job.path,
        "format": job.format,
        "sha256": job.sha256,
        "size_bytes": job.size_bytes,
        "rows_read": job.transactions_processed,
        "inserted": job.rows_inserted,
        "duplicates": job.rows_duplicate,
        "rejected": job.rows_rejected,
        "first_rejections": [
            {"source": r.source, "line": r.line, "kind": r.kind, "reason": r.reason}
            for r in reasons
        ],
    }
    if previous.get("rewritten_from"):
        summary["rewritten_from"] = previous["rewritten_from"]
    return summary


def _dumps(value: dict[str, Any]) -> str:
    return orjson.dumps(value).decode()
