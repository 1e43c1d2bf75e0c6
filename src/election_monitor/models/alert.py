"""Alert: a detected anomaly with its evidence, under investigation by the team."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.ext.mutable import MutableList
from sqlalchemy.orm import Mapped, mapped_column, relationship

from election_monitor.db.base import Base, TimestampMixin, UUIDMixin
from election_monitor.db.types import UTCDateTime, json_type
from election_monitor.enums import AlertStatus

if TYPE_CHECKING:
    from election_monitor.models.constituency import Constituency


class Alert(Base, UUIDMixin, TimestampMixin):
    """Alert model representing a detected anomaly."""

    __tablename__ = "alerts"

    constituency_id: Mapped[str] = mapped_column(
        String, ForeignKey("constituencies.id"), nullable=False, index=True
    )
    type: Mapped[str] = mapped_column(String, nullable=False, index=True)
    severity: Mapped[str] = mapped_column(String, nullable=False, index=True)
    status: Mapped[str] = mapped_column(
        String, default=AlertStatus.ACTIVE.value, index=True, nullable=True
    )

    title: Mapped[str] = mapped_column(String, nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(json_type(), nullable=True)
    # MutableList: an in-place append is tracked and saved.
    notes: Mapped[list[str]] = mapped_column(
        MutableList.as_mutable(json_type()), default=list, nullable=True
    )

    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    assigned_to: Mapped[str | None] = mapped_column(String, nullable=True)

    constituency: Mapped[Constituency] = relationship("Constituency", back_populates="alerts")
