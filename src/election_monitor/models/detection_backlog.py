"""DetectionBacklog: constituency-hours loaded by workers and not yet seen by detection.

Each worker batch writes what it touched here, in the batch's own transaction, instead of
running detection itself; when a queue batch closes, exactly one worker (the holder of a
PostgreSQL advisory lock) drains the backlog and runs detection once for all of it. A row
committed is a row detection will see; a worker killed mid-batch leaves nothing behind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base
from election_monitor.db.types import UTCDateTime
from election_monitor.timeutil import utcnow


class DetectionBacklog(Base):
    """One touched constituency (and hour, when rows of that hour changed)."""

    __tablename__ = "detection_backlog"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    constituency_id: Mapped[str] = mapped_column(String, nullable=False)
    hour: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the id of a row rejected as a conflict (data_integrity evidence), else None
    conflict_tx_id: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
