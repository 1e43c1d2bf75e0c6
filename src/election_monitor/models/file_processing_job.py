"""FileProcessingJob: one input file's trip through ingest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base, UUIDMixin
from election_monitor.db.types import UTCDateTime
from election_monitor.enums import JobStatus
from election_monitor.timeutil import utcnow


class FileProcessingJob(Base, UUIDMixin):
    """FileProcessingJob model tracking CSV file processing."""

    __tablename__ = "file_processing_jobs"

    filename: Mapped[str] = mapped_column(String, nullable=False, index=True)
    status: Mapped[str] = mapped_column(
        String, default=JobStatus.PROCESSING.value, index=True, nullable=True
    )
    details: Mapped[str | None] = mapped_column(Text, nullable=True)
    transactions_processed: Mapped[int] = mapped_column(Integer, default=0, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    # Additions (ingest): what the file was and how its rows ended. `transactions_processed`
    # counts rows settled so far, in reader order: the checkpoint a killed run resumes from.
    path: Mapped[str | None] = mapped_column(String)
    format: Mapped[str | None] = mapped_column(String)
    sha256: Mapped[str | None] = mapped_column(String, index=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    election_id: Mapped[str | None] = mapped_column(String, ForeignKey("elections.id"), index=True)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
