"""Election: one voting event (several run concurrently during a voting period)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from election_monitor.db.base import Base, TimestampMixin, UUIDMixin
from election_monitor.db.types import UTCDateTime
from election_monitor.enums import ElectionStatus

if TYPE_CHECKING:
    from election_monitor.models.constituency import Constituency


class Election(Base, UUIDMixin, TimestampMixin):
    """Election model representing an election event."""

    __tablename__ = "elections"

    name: Mapped[str] = mapped_column(String, nullable=False, index=True)
    start_date: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    end_date: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(
        String, default=ElectionStatus.ACTIVE.value, index=True, nullable=True
    )
    total_constituencies: Mapped[int] = mapped_column(Integer, default=0, nullable=True)
    # Addition: IANA zone for local-time rules (night hours, voting days).
    timezone: Mapped[str] = mapped_column(String, default="UTC", server_default="UTC")

    constituencies: Mapped[list[Constituency]] = relationship(
        "Constituency", back_populates="election"
    )
