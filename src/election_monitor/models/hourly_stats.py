"""HourlyStats: per constituency and UTC hour, what happened on the chain."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from election_monitor.db.base import Base, TimestampMixin, UUIDMixin
from election_monitor.db.types import UTCDateTime
from election_monitor.timeutil import utcnow

if TYPE_CHECKING:
    from election_monitor.models.constituency import Constituency


class HourlyStats(Base, UUIDMixin, TimestampMixin):
    """HourlyStats model representing hourly aggregated statistics."""

    __tablename__ = "hourly_stats"
    __table_args__ = (UniqueConstraint("constituency_id", "hour"),)

    constituency_id: Mapped[str] = mapped_column(
        String, ForeignKey("constituencies.id"), nullable=False, index=True
    )
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)

    bulletins_issued: Mapped[int] = mapped_column(Integer, default=0, nullable=True)
    votes_cast: Mapped[int] = mapped_column(Integer, default=0, nullable=True)
    transaction_count: Mapped[int] = mapped_column(Integer, default=0, nullable=True)
    bulletin_velocity: Mapped[float] = mapped_column(Float, default=0.0, nullable=True)
    vote_velocity: Mapped[float] = mapped_column(Float, default=0.0, nullable=True)

    # Additions (metrics): the rest of the hour's story.
    vote_calls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rejected_votes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)

    constituency: Mapped[Constituency] = relationship("Constituency", back_populates="hourly_stats")
