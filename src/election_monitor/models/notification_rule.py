"""NotificationRule: which alert changes go to which channel, or to which person.

A rule with ``user_id`` is that person's own e-mail subscription (sent to their address
through the channel named by ``ELMON_NOTIFY_USER_CHANNEL`` unless ``channel_id`` says
otherwise); a rule without is a team route to ``channel_id``. Empty filters match everything;
``severities`` and ``changes`` are lists (empty: all severities; the default changes).
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base, TimestampMixin, UUIDMixin
from election_monitor.db.types import json_type


class NotificationRule(Base, UUIDMixin, TimestampMixin):
    """Matchers (election, region, type, severities, changes) -> a channel or a user."""

    __tablename__ = "notification_rules"

    name: Mapped[str] = mapped_column(String, nullable=False)
    channel_id: Mapped[str | None] = mapped_column(
        String, ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(
        String, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    election_id: Mapped[str | None] = mapped_column(String)
    region: Mapped[str | None] = mapped_column(String)
    alert_type: Mapped[str | None] = mapped_column(String)
    severities: Mapped[list[str]] = mapped_column(json_type(), default=list, nullable=False)
    changes: Mapped[list[str]] = mapped_column(json_type(), default=list, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_by: Mapped[str | None] = mapped_column(String)
