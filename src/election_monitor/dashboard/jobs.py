"""Totals over the file jobs: how many files per status and the rows they settled.

Input: ``file_processing_jobs``. Output: ``JobTotals``. Read by the Files page and its JSON
twin ``GET /api/v1/jobs/totals``; one SQL aggregate, no rows loaded into Python.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from election_monitor.dashboard.schemas import JobTotals
from election_monitor.models import FileProcessingJob


def job_totals(db: Session, *, election_id: str | None = None) -> JobTotals:
    """Files per status and the rows inserted, duplicate and rejected (optionally one election)."""
    j = FileProcessingJob
    stmt = select(
        j.status,
        func.count(),
        func.coalesce(func.sum(j.rows_inserted), 0),
        func.coalesce(func.sum(j.rows_duplicate), 0),
        func.coalesce(func.sum(j.rows_rejected), 0),
    ).group_by(j.status)
    if election_id:
        stmt = stmt.where(j.election_id == election_id)
    by_status: dict[str, int] = {}
    inserted = duplicate = rejected = 0
    for status, count, ins, dup, rej in db.execute(stmt):
        by_status[str(status)] = int(count)
        inserted, duplicate, rejected = inserted + ins, duplicate + dup, rejected + rej
    return JobTotals(
        files=sum(by_status.values()),
        by_status=by_status,
        rows_inserted=int(inserted),
        rows_duplicate=int(duplicate),
        rows_rejected=int(rejected),
    )
