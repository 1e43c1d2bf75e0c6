"""NotificationDeliveryAlert: which alerts one delivery was about (the per-alert log).

Also what the planner reads to decide that a resolved message follows an alert that was
notified, and when an unresolved critical alert is due for a repeat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base
from election_monitor.db.types import UTCDateTime


class NotificationDeliveryAlert(Base):
    """One alert in one delivery, with the change it was notified for."""

    __tablename__ = "notification_links"

    delivery_id: Mapped[str] = mapped_column(
        String,
        ForeignKey("notification_deliveries.id", ondelete="CASCADE"),
        primary_key=True,
    )
    alert_id: Mapped[str] = mapped_column(
        String, ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    channel_id: Mapped[str] = mapped_column(String, nullable=False)
    user_id: Mapped[str | None] = mapped_column(String)
    change: Mapped[str] = mapped_column(String, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
