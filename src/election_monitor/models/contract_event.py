"""ContractEvent: every contract call that is not a bulletin or a vote.

Detection needs them: the voting window (startVoting/finishVoting), voter lists (the moving
denominator), the revote policy (VOTING_BASE) and the published results.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base, TimestampMixin
from election_monitor.db.types import UTCDateTime, json_type


class ContractEvent(Base, TimestampMixin):
    """A lifecycle, voter-list or tallying call on a voting contract."""

    __tablename__ = "contract_events"

    id: Mapped[str] = mapped_column(String, primary_key=True)  # the chain's tx id
    constituency_id: Mapped[str] = mapped_column(
        String, ForeignKey("constituencies.id"), nullable=False, index=True
    )
    operation: Mapped[str] = mapped_column(String, nullable=False, index=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    block_height: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), default=0
    )
    sender: Mapped[str | None] = mapped_column(String)
    details: Mapped[dict[str, Any] | None] = mapped_column(json_type())  # the parsed facts
    raw_data: Mapped[dict[str, Any]] = mapped_column(json_type(), nullable=False)
    rolled_back: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
