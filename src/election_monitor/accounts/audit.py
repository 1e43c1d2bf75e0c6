"""The audit log: who changed what, when and from where. Append-only: there is no function
to edit or delete an entry, and the database refuses UPDATE and DELETE on the table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from election_monitor.models import AuditLog
from election_monitor.timeutil import utcnow


@dataclass(frozen=True)
class Actor:
    """Who is acting, how they authenticated, and from where."""

    username: str
    role: str | None
    via: str  # session, token, cli, system
    user_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def cli(cls, name: str = "cli") -> Actor:
        """An operator at the command line (the shell has no login; the name says who)."""
        return cls(username=name, role=None, via="cli")


def _plain(value: Any) -> Any:
    """Details as they will read back from the JSON column (datetimes become ISO text)."""
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str))


def record(
    db: Session,
    actor: Actor,
    *,
    action: str,
    entity_type: str,
    entity_id: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Add one entry to the caller's transaction (flushed, not committed)."""
    entry = AuditLog(
        at=at or utcnow(),
        actor=actor.username,
        actor_id=actor.user_id,
        role=actor.role,
        via=actor.via,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        ip=actor.ip,
        user_agent=(actor.user_agent or None) and actor.user_agent[:300],
        details=_plain(details) if details else None,
    )
    db.add(entry)
    db.flush()
    return entry


def _filtered(stmt: Select[Any], filters: dict[str, Any]) -> Select[Any]:
    for name in ("actor", "action", "entity_type", "entity_id"):
        if filters[name] is not None:
            stmt = stmt.where(getattr(AuditLog, name) == filters[name])
    if filters["since"] is not None:
        stmt = stmt.where(AuditLog.at >= filters["since"])
    if filters["until"] is not None:
        stmt = stmt.where(AuditLog.at < filters["until"])
    return stmt


def list_entries(
    db: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    skip: int = 0,
    limit: int = 100,
    newest_first: bool = True,
) -> tuple[list[AuditLog], int]:
    """Entries matching every filter given, newest first, and how many match in all."""
    filters: dict[str, Any] = {
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "since": since,
        "until": until,
    }
    total = db.scalar(_filtered(select(func.count()).select_from(AuditLog), filters)) or 0
    order = AuditLog.id.desc() if newest_first else AuditLog.id
    stmt = _filtered(select(AuditLog), filters).order_by(order).offset(skip).limit(limit)
    return list(db.scalars(stmt)), int(total)
