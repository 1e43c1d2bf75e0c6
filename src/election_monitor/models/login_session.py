"""Web logins: the server side of a session cookie, and the attempts that rate-limit logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base
from election_monitor.db.types import UTCDateTime


class LoginSession(Base):
    """A signed-in browser; the cookie holds a random secret, the table its SHA-256."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String, primary_key=True)  # SHA-256 of the cookie value
    user_id: Mapped[str] = mapped_column(String, ForeignKey("users.id"), nullable=False, index=True)
    csrf_token: Mapped[str] = mapped_column(String, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ip: Mapped[str | None] = mapped_column(String)
    user_agent: Mapped[str | None] = mapped_column(String)


class LoginAttempt(Base):
    """One password check, kept so several API processes share the login rate limit."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String, nullable=False, index=True)
    ip: Mapped[str | None] = mapped_column(String, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False)
