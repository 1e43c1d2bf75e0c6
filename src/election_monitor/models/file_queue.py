"""FileQueueEntry: a file waiting for, held by, or finished by an ``elmon worker``.

Workers claim entries with ``SELECT … FOR UPDATE SKIP LOCKED`` and hold them under a lease
that a heartbeat extends; a worker that dies stops renewing, so its entry becomes claimable
again once ``lease_expires_at`` passes. ``contract_key`` serialises the files of one contract
(the loader's counting and rollbacks assume one writer per contract at a time) and keeps them
in queue order. The file's own job (``file_processing_jobs``) stays the record of its rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base
from election_monitor.db.types import UTCDateTime
from election_monitor.enums import QueueState
from election_monitor.timeutil import utcnow


class FileQueueEntry(Base):
    """One file to ingest, as queued by ``elmon queue add`` (one batch per call)."""

    __tablename__ = "file_queue"
    __table_args__ = (Index("ix_file_queue_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(String, nullable=False, index=True)
    path: Mapped[str] = mapped_column(String, nullable=False, index=True)
    contract_key: Mapped[str] = mapped_column(String, nullable=False, index=True)
    election_id: Mapped[str | None] = mapped_column(String, ForeignKey("elections.id"))
    format: Mapped[str] = mapped_column(String, nullable=False, default="auto")
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String)
    state: Mapped[str] = mapped_column(String, nullable=False, default=QueueState.QUEUED.value)
    lease_owner: Mapped[str | None] = mapped_column(String)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String, ForeignKey("file_processing_jobs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
