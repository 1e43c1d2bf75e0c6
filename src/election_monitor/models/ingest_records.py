"""Ingest's evidence tables: rollback events and rejected rows.

A rollback line repeats a transaction's id, so it cannot live in ``transactions``; keeping it
as its own event lets it apply whichever file arrives first. Rejected rows are kept with their
text so an observer can see exactly what was refused and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base, TimestampMixin
from election_monitor.db.types import UTCDateTime, json_type


class TransactionRollback(Base, TimestampMixin):
    """The chain rolled back the transaction with this id (a ``rollback = -1`` line)."""

    __tablename__ = "transaction_rollbacks"

    tx_id: Mapped[str] = mapped_column(String, primary_key=True)
    constituency_id: Mapped[str] = mapped_column(String, nullable=False, index=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    source: Mapped[str] = mapped_column(String, nullable=False)
    line: Mapped[int] = mapped_column(Integer, nullable=False)
    raw_data: Mapped[dict[str, Any]] = mapped_column(json_type(), nullable=False)


class RejectedRow(Base, TimestampMixin):
    """A row that was read but not loaded: where it was, why, and its text."""

    __tablename__ = "rejected_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(
        String, ForeignKey("file_processing_jobs.id"), nullable=False, index=True
    )
    source: Mapped[str] = mapped_column(String, nullable=False)
    line: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String, nullable=False, index=True)  # malformed, conflict
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    tx_id: Mapped[str | None] = mapped_column(String, index=True)
