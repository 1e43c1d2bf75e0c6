"""Transaction: one ballot issuance or vote call on a voting contract."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from election_monitor.db.base import Base, TimestampMixin, UUIDMixin
from election_monitor.db.types import UTCDateTime, json_type

if TYPE_CHECKING:
    from election_monitor.models.constituency import Constituency


class Transaction(Base, UUIDMixin, TimestampMixin):
    """Transaction model representing a blockchain transaction."""

    __tablename__ = "transactions"
    __table_args__ = (
        Index("ix_transactions_constituency_id_timestamp", "constituency_id", "timestamp"),
        Index("ix_transactions_constituency_id_voter_key", "constituency_id", "voter_key"),
    )

    constituency_id: Mapped[str] = mapped_column(
        String, ForeignKey("constituencies.id"), nullable=False, index=True
    )
    block_height: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), nullable=False, index=True
    )
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    type: Mapped[str] = mapped_column(String, nullable=False, index=True)
    raw_data: Mapped[dict[str, Any]] = mapped_column(json_type(), nullable=True)
    operation_data: Mapped[dict[str, Any] | None] = mapped_column(json_type(), nullable=True)

    # Additions (ingest): the counting rules' inputs as columns, so metrics aggregate in SQL.
    voter_key: Mapped[str | None] = mapped_column(String)  # vote: senderPublicKey
    accepted: Mapped[bool | None] = mapped_column(Boolean)  # did the contract accept it
    bulletins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rolled_back: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    constituency: Mapped[Constituency] = relationship("Constituency", back_populates="transactions")
