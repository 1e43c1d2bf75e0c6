"""StreamEvent: what the live stream announces (alert changes, job progress, new totals).

A table rather than an in-process queue, because the writer is often another process (an
ingest worker, the CLI). The id orders the stream and is the SSE ``Last-Event-ID``.

Every alert change announces itself: the listener below turns each new ``alert_events`` row
into a ``stream_events`` row in the same flush (so in the same transaction), whichever process,
service or detector made the change. Pruning always keeps the newest row, so SQLite (which
numbers from the largest id present) never hands out an id a client has already seen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, event, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from election_monitor.db.base import Base
from election_monitor.db.types import UTCDateTime, json_type
from election_monitor.models.alert import Alert
from election_monitor.models.alert_event import AlertEvent
from election_monitor.models.constituency import Constituency
from election_monitor.timeutil import ensure_utc


class StreamEvent(Base):
    """One announcement; ``kind`` is e.g. ``alert.created``, ``job.progress``."""

    __tablename__ = "stream_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String, nullable=False, index=True)
    election_id: Mapped[str | None] = mapped_column(String, index=True)
    entity_id: Mapped[str | None] = mapped_column(String)
    data: Mapped[dict[str, Any]] = mapped_column(json_type(), nullable=False)


def alert_event_kind(action: str) -> str:
    """``alert.created`` for a new alert, ``alert.updated`` for every other change."""
    return "alert.created" if action == "created" else "alert.updated"


@event.listens_for(Session, "after_flush")
def _announce_alert_changes(session: Session, _context: Any) -> None:
    changes = [obj for obj in session.new if isinstance(obj, AlertEvent)]
    if not changes:
        return
    conn = session.connection()
    ids = {c.alert_id for c in changes}
    alerts = {
        row.id: row
        for row in conn.execute(
            select(
                Alert.id,
                Alert.constituency_id,
                Alert.type,
                Alert.severity,
                Alert.status,
                Alert.title,
                Alert.assigned_to,
                Constituency.election_id,
            )
            .join(Constituency, Constituency.id == Alert.constituency_id)
            .where(Alert.id.in_(ids))
        )
    }
    rows = []
    for change in sorted(changes, key=lambda c: c.id or 0):
        alert = alerts.get(change.alert_id)
        if alert is None:
            continue
        at = ensure_utc(change.at)
        rows.append(
            {
                "at": at,
                "kind": alert_event_kind(change.action),
                "election_id": alert.election_id,
                "entity_id": alert.id,
                "data": {
                    "alert_id": alert.id,
                    "constituency_id": alert.constituency_id,
                    "type": alert.type,
                    "severity": alert.severity,
                    "status": alert.status,
                    "title": alert.title,
                    "assigned_to": alert.assigned_to,
                    "action": change.action,
                    "from": change.from_value,
                    "to": change.to_value,
                    "actor": change.actor,
                    "at": at.isoformat(),
                },
            }
        )
    if rows:
        conn.execute(insert(StreamEvent), rows)
