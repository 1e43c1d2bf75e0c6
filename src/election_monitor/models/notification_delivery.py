"""NotificationDelivery: one message to one channel (or one person through it).

Its id is the idempotency key sent with every attempt, so a receiver can drop a resend.
The status moves pending -> sending -> delivered, or back to pending with
``next_attempt_at`` after a failure, or to dead (a dead letter, retried on request).
``sending`` is a lease: if the sender dies mid-attempt, the row is due again when
``next_attempt_at`` (the lease's end) passes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base, TimestampMixin, UUIDMixin
from election_monitor.db.types import UTCDateTime, json_type
from election_monitor.enums import DeliveryStatus


class NotificationDelivery(Base, UUIDMixin, TimestampMixin):
    """A rendered message, its target, and every attempt's outcome."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    channel_id: Mapped[str] = mapped_column(
        String, ForeignKey("notification_channels.id", ondelete="CASCADE"), nullable=False
    )
    rule_id: Mapped[str | None] = mapped_column(String)
    user_id: Mapped[str | None] = mapped_column(String)
    recipient: Mapped[str | None] = mapped_column(String)  # an e-mail address for a person
    language: Mapped[str] = mapped_column(String, default="en", nullable=False)
    change: Mapped[str] = mapped_column(String, nullable=False)
    group_key: Mapped[str] = mapped_column(String, nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(json_type(), nullable=False)
    status: Mapped[str] = mapped_column(
        String, default=DeliveryStatus.PENDING.value, nullable=False
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
