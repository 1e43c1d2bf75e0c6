"""AuditLog: every change made by a person (who, what, when, from where); append-only.

The migration adds triggers that refuse UPDATE and DELETE, so not even a bug can edit it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base
from election_monitor.db.types import UTCDateTime, json_type


class AuditLog(Base):
    """One change: the actor, the action on an entity, the client address and the details."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String, nullable=False, index=True)  # username
    actor_id: Mapped[str | None] = mapped_column(String)  # users.id (None: system, CLI)
    role: Mapped[str | None] = mapped_column(String)
    via: Mapped[str] = mapped_column(String, nullable=False)  # session, token, cli, system
    action: Mapped[str] = mapped_column(String, nullable=False, index=True)  # "alert.status"
    entity_type: Mapped[str] = mapped_column(String, nullable=False)
    entity_id: Mapped[str | None] = mapped_column(String, index=True)
    ip: Mapped[str | None] = mapped_column(String)
    user_agent: Mapped[str | None] = mapped_column(String)
    details: Mapped[dict[str, Any] | None] = mapped_column(json_type())
