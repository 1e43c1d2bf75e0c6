"""Constituency: one voting smart contract; its address is the id."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from election_monitor.db.base import Base, TimestampMixin
from election_monitor.db.types import UTCDateTime
from election_monitor.enums import ConstituencyStatus
from election_monitor.timeutil import utcnow

if TYPE_CHECKING:
    from election_monitor.models.alert import Alert
    from election_monitor.models.election import Election
    from election_monitor.models.hourly_stats import HourlyStats
    from election_monitor.models.transaction import Transaction


class Constituency(Base, TimestampMixin):
    """Constituency model representing a voting district."""

    __tablename__ = "constituencies"

    id: Mapped[str] = mapped_column(String, primary_key=True)  # smart contract address
    election_id: Mapped[str] = mapped_column(
        String, ForeignKey("elections.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String, nullable=False)
    region: Mapped[str] = mapped_column(String, nullable=False, index=True)
    type: Mapped[str] = mapped_column(String, nullable=False, index=True)
    registered_voters: Mapped[int] = mapped_column(Integer, default=0, nullable=True)
    status: Mapped[str] = mapped_column(
        String, default=ConstituencyStatus.ACTIVE.value, index=True, nullable=True
    )
    last_update_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=True)

    # Calculated by metrics from the transactions.
    bulletins_issued: Mapped[int] = mapped_column(Integer, default=0, nullable=True)
    votes_cast: Mapped[int] = mapped_column(Integer, default=0, nullable=True)
    participation_rate: Mapped[float] = mapped_column(Float, default=0.0, nullable=True)
    anomaly_score: Mapped[float] = mapped_column(Float, default=0.0, nullable=True)

    # Additions (ingest): what the chain says about this voting, and where metadata came from.
    timezone: Mapped[str | None] = mapped_column(String)  # None: the election's zone
    inferred: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    voters_listed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rejected_votes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    revotes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    voting_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voting_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revote_blocked: Mapped[bool | None] = mapped_column(Boolean)
    last_data_time: Mapped[datetime | None] = mapped_column(UTCDateTime())

    election: Mapped[Election] = relationship("Election", back_populates="constituencies")
    transactions: Mapped[list[Transaction]] = relationship(
        "Transaction", back_populates="constituency", lazy="raise_on_sql"
    )
    alerts: Mapped[list[Alert]] = relationship("Alert", back_populates="constituency")
    hourly_stats: Mapped[list[HourlyStats]] = relationship(
        "HourlyStats", back_populates="constituency"
    )
