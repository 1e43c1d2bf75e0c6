"""User: a person who logs in, with one role (viewer, observer, lead, admin)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, true
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base, TimestampMixin, UUIDMixin
from election_monitor.db.types import UTCDateTime


class User(Base, UUIDMixin, TimestampMixin):
    """An account; disabled accounts keep their history but can no longer sign in."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    display_name: Mapped[str | None] = mapped_column(String)
    password_hash: Mapped[str] = mapped_column(String, nullable=False)  # argon2id
    role: Mapped[str] = mapped_column(String, nullable=False, index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Notification preferences (issue 16): where e-mail goes, in which language, and when not.
    email: Mapped[str | None] = mapped_column(String)
    language: Mapped[str] = mapped_column(String, default="en", server_default="en")
    quiet_hours_start: Mapped[str | None] = mapped_column(String)  # "22:00", local time
    quiet_hours_end: Mapped[str | None] = mapped_column(String)  # "07:00"
    timezone: Mapped[str | None] = mapped_column(String)  # IANA, for quiet hours; UTC if unset
