"""Named queries and progress updates on file processing jobs."""

from __future__ import annotations

from sqlalchemy import update

from election_monitor.crud.base import BaseCRUD, OrderBy
from election_monitor.enums import JobStatus
from election_monitor.exceptions import InvalidInputError
from election_monitor.models import FileProcessingJob
from election_monitor.schemas import FileProcessingJobCreate, FileProcessingJobUpdate
from election_monitor.schemas.base import check_member
from election_monitor.timeutil import utcnow


class FileProcessingJobCRUD(
    BaseCRUD[FileProcessingJob, FileProcessingJobCreate, FileProcessingJobUpdate]
):
    """CRUD operations for FileProcessingJob model."""

    model = FileProcessingJob

    def _order(self) -> list[OrderBy]:
        return [FileProcessingJob.started_at, FileProcessingJob.id]

    def get_by_status(self, *, status: str) -> list[FileProcessingJob]:
        """Get file processing jobs by status."""
        return self._all(self._select().where(FileProcessingJob.status == status))

    def get_by_filename(self, *, filename: str) -> FileProcessingJob | None:
        """Get the newest job for a filename (a file may be processed more than once)."""
        stmt = (
            self._select()
            .where(FileProcessingJob.filename == filename)
            .order_by(None)
            .order_by(FileProcessingJob.started_at.desc(), FileProcessingJob.id.desc())
        )
        return self._first(stmt)

    def update_status(
        self, *, id: str, status: str, details: str | None = None
    ) -> FileProcessingJob:
        """Update the status (and, when given, the details) of a job."""
        try:
            check_member(status, JobStatus, "Status")
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from exc
        job = self.get_or_raise(id)
        job.status = status
        if details is not None:
            job.details = details
        if status != JobStatus.PROCESSING and job.completed_at is None:
            job.completed_at = utcnow()
        self.db.commit()
        self.db.refresh(job)
        return job

    def increment_processed_count(self, *, id: str, count: int = 1) -> FileProcessingJob:
        """Add to the processed count atomically (safe with several workers)."""
        job = self.get_or_raise(id)
        self.db.execute(
            update(FileProcessingJob)
            .where(FileProcessingJob.id == id)
            .values(transactions_processed=FileProcessingJob.transactions_processed + count)
        )
        self.db.commit()
        self.db.refresh(job)
        return job

    def mark_completed(self, *, id: str) -> FileProcessingJob:
        """Mark a job as completed and stamp ``completed_at``."""
        job = self.get_or_raise(id)
        job.status = JobStatus.COMPLETED.value
        job.completed_at = utcnow()
        self.db.commit()
        self.db.refresh(job)
        return job
