"""AlertEvent: the audit trail of an alert, one row per change (who, when, what, from, to)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base
from election_monitor.db.types import UTCDateTime


class AlertEvent(Base):
    """One recorded change of an alert: raised, updated, escalated, status, assignment, note."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(
        String, ForeignKey("alerts.id"), nullable=False, index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    actor: Mapped[str] = mapped_column(String, nullable=False)
    action: Mapped[str] = mapped_column(String, nullable=False, index=True)
    from_value: Mapped[str | None] = mapped_column(String)
    to_value: Mapped[str | None] = mapped_column(String)
    note: Mapped[str | None] = mapped_column(Text)
