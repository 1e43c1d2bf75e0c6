"""NotificationSilence: mute notifications of matching alerts for a while.

``matchers`` maps alert fields (election_id, region, type, severity, constituency_id) to the
value they must equal; all must match. A silence mutes notifications only: the alerts
themselves are raised, updated and shown as usual. Ending one early stamps ``expired_at``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base, TimestampMixin, UUIDMixin
from election_monitor.db.types import UTCDateTime, json_type


class NotificationSilence(Base, UUIDMixin, TimestampMixin):
    """Matchers + start/end + author + comment (changes also go to the audit log)."""

    __tablename__ = "notification_silences"

    matchers: Mapped[dict[str, str]] = mapped_column(json_type(), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    author: Mapped[str] = mapped_column(String, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
