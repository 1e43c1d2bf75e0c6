"""NotificationOutbox: alert changes waiting for the dispatcher (the transactional outbox).

Every alert change that may be notified (raised, escalated, reopened, resolved, assigned)
writes one row here in the same flush, so in the same database transaction, as the change
itself: the listener below turns each new ``alert_events`` row into an outbox row, whichever
service, detector or process made it (like ``stream_events``). If the transaction rolls
back, so does its outbox row; if it commits, the dispatcher will see it. All the rows of a
flush go in one multi-row INSERT, and routing, grouping and silences are left to the
dispatcher, so detection pays one small INSERT per flush and nothing else.

``processed_at`` is stamped when the dispatcher has turned the row into deliveries (or
decided that nobody is to be told).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, event, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from election_monitor.db.base import Base
from election_monitor.db.types import UTCDateTime
from election_monitor.enums import AlertStatus, NotifyChange
from election_monitor.models.alert_event import AlertEvent
from election_monitor.timeutil import ensure_utc


class NotificationOutbox(Base):
    """One notifiable change of one alert."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(
        String, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    change: Mapped[str] = mapped_column(String, nullable=False)
    value: Mapped[str | None] = mapped_column(String)  # the new severity, or the assignee
    actor: Mapped[str] = mapped_column(String, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


def notify_change(action: str, from_value: str | None, to_value: str | None) -> str | None:
    """The notification change an audit-trail entry stands for (None: not notified).

    Notes, evidence updates, investigating and snoozes are not notified.
    """
    resolved = AlertStatus.RESOLVED.value
    if action == "created":
        return NotifyChange.RAISED.value
    if action == "escalated":
        return NotifyChange.ESCALATED.value
    if to_value == resolved and from_value != resolved:
        return NotifyChange.RESOLVED.value
    if from_value == resolved and to_value == AlertStatus.ACTIVE.value:
        return NotifyChange.REOPENED.value
    if action == "assigned" and to_value:
        return NotifyChange.ASSIGNED.value
    return None


@event.listens_for(Session, "after_flush")
def _enqueue_alert_changes(session: Session, _context: Any) -> None:
    rows = []
    for change in session.new:
        if not isinstance(change, AlertEvent):
            continue
        kind = notify_change(change.action, change.from_value, change.to_value)
        if kind is None:
            continue
        rows.append(
            {
                "alert_id": change.alert_id,
                "change": kind,
                "value": change.to_value,
                "actor": change.actor,
                "at": ensure_utc(change.at),
            }
        )
    if rows:
        session.connection().execute(insert(NotificationOutbox), rows)
