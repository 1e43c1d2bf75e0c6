"""Which constituencies, files and rows a report covers (the report's first section)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from election_monitor.enums import AlertSeverity, values
from election_monitor.exceptions import InvalidInputError
from election_monitor.models import Constituency, FileProcessingJob, RejectedRow
from election_monitor.reports.content import InputFile, ReportFilters


def check_filters(filters: ReportFilters) -> None:
    """Refuse filters that cannot mean anything (the message says which and why)."""
    if filters.min_severity is not None and filters.min_severity not in values(AlertSeverity):
        raise InvalidInputError(
            f"min severity must be one of {values(AlertSeverity)}, got {filters.min_severity!r}"
        )
    if filters.since and filters.until and filters.until <= filters.since:
        raise InvalidInputError("--until must be after --since")


def constituencies_in_scope(
    db: Session, *, election_id: str, filters: ReportFilters
) -> list[Constituency]:
    """The election's constituencies matching the region / constituency filters, by id."""
    stmt = select(Constituency).where(Constituency.election_id == election_id)
    if filters.region is not None:
        stmt = stmt.where(Constituency.region == filters.region)
    if filters.constituency is not None:
        stmt = stmt.where(Constituency.id == filters.constituency)
    rows = list(db.scalars(stmt.order_by(Constituency.id)))
    if not rows and (filters.region is not None or filters.constituency is not None):
        wanted = ", ".join(
            f"{k}={v!r}"
            for k, v in (("region", filters.region), ("constituency", filters.constituency))
            if v is not None
        )
        raise InvalidInputError(f"no constituency of election {election_id} matches {wanted}")
    return rows


def input_files(db: Session, *, election_id: str) -> list[InputFile]:
    """The files loaded for the election, by name then hash (one entry per distinct file)."""
    jobs = db.scalars(
        select(FileProcessingJob)
        .where(FileProcessingJob.election_id == election_id)
        .order_by(FileProcessingJob.filename, FileProcessingJob.sha256, FileProcessingJob.id)
    )
    seen: dict[tuple[str, str | None], InputFile] = {}
    for job in jobs:
        key = (job.filename, job.sha256)
        if key in seen and job.status != "completed":
            continue  # a retried file: the completed job tells how its rows ended
        seen[key] = InputFile(
            name=job.filename,
            sha256=job.sha256,
            size_bytes=job.size_bytes,
            format=job.format,
            status=job.status,
            rows_inserted=job.rows_inserted or 0,
            rows_duplicate=job.rows_duplicate or 0,
            rows_rejected=job.rows_rejected or 0,
        )
    return list(seen.values())


def rejected_by_reason(db: Session, *, election_id: str) -> dict[str, int]:
    """Rejected rows of the election's files, counted by kind (malformed, conflict, ...)."""
    rows = db.execute(
        select(RejectedRow.kind, func.count())
        .join(FileProcessingJob, FileProcessingJob.id == RejectedRow.job_id)
        .where(FileProcessingJob.election_id == election_id)
        .group_by(RejectedRow.kind)
        .order_by(RejectedRow.kind)
    )
    return {kind: int(count) for kind, count in rows}
