"""NotificationChannel: one place notifications go (a webhook URL, or an SMTP server).

``config`` holds the kind's settings, secrets included (webhook secret, SMTP password); the
API and CLI never print them back. ``status`` and ``last_error`` are the dispatcher's view
of the channel, so an unreachable webhook or a bad configuration shows where people look.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base, TimestampMixin, UUIDMixin
from election_monitor.db.types import UTCDateTime, json_type
from election_monitor.enums import ChannelStatus


class NotificationChannel(Base, UUIDMixin, TimestampMixin):
    """A webhook or an e-mail server, with its health."""

    __tablename__ = "notification_channels"

    name: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String, nullable=False)  # webhook, email
    config: Mapped[dict[str, Any]] = mapped_column(json_type(), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    status: Mapped[str] = mapped_column(
        String, default=ChannelStatus.UNKNOWN.value, server_default=ChannelStatus.UNKNOWN.value
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
