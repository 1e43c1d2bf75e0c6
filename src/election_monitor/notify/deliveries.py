"""The delivery log: per alert, dead letters, and retrying them (from the API or the CLI)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from election_monitor.accounts import audit
from election_monitor.accounts.audit import Actor
from election_monitor.enums import DeliveryStatus
from election_monitor.exceptions import ConflictError, NotFoundError
from election_monitor.models import (
    Alert,
    NotificationChannel,
    NotificationDelivery,
    NotificationDeliveryAlert,
)
from election_monitor.schemas.notification import DeliveryRecord
from election_monitor.timeutil import utcnow

D = NotificationDelivery


def for_alert(db: Session, *, alert_id: str) -> list[tuple[NotificationDelivery, str]]:
    """Every delivery that listed the alert, oldest first, with the change it was about."""
    if db.get(Alert, alert_id) is None:
        raise NotFoundError("Alert", alert_id)
    link = NotificationDeliveryAlert
    rows = db.execute(
        select(D, link.change)
        .join(link, link.delivery_id == D.id)
        .where(link.alert_id == alert_id)
        .order_by(D.created_at, D.id)
    )
    return [(row[0], row[1]) for row in rows]


def as_record(
    delivery: NotificationDelivery, *, channel_name: str | None, alert_change: str | None = None
) -> DeliveryRecord:
    """A delivery as a plain model (no secrets: the payload's summary and count only)."""
    payload = delivery.payload or {}
    return DeliveryRecord(
        id=delivery.id,
        channel_id=delivery.channel_id,
        channel_name=channel_name,
        change=delivery.change,
        alert_change=alert_change,
        recipient=delivery.recipient,
        status=delivery.status,
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        summary=payload.get("summary"),
        count=payload.get("count"),
        created_at=delivery.created_at,
        last_attempt_at=delivery.last_attempt_at,
        next_attempt_at=delivery.next_attempt_at,
        delivered_at=delivery.delivered_at,
    )


def _channel_names(db: Session) -> dict[str, str]:
    rows = db.execute(select(NotificationChannel.id, NotificationChannel.name)).all()
    return {str(row[0]): str(row[1]) for row in rows}


def delivery_log(db: Session, *, alert_id: str) -> list[DeliveryRecord]:
    """The alert's delivery log, oldest first (the API and the alert page both show it)."""
    names = _channel_names(db)
    return [
        as_record(d, channel_name=names.get(d.channel_id), alert_change=change)
        for d, change in for_alert(db, alert_id=alert_id)
    ]


def dead_letter_records(
    db: Session, *, offset: int = 0, limit: int = 100
) -> tuple[list[DeliveryRecord], int]:
    """Dead letters newest first as plain models, with the total."""
    items, total = dead_letters(db, offset=offset, limit=limit)
    names = _channel_names(db)
    return [as_record(d, channel_name=names.get(d.channel_id)) for d in items], total


def list_deliveries(
    db: Session,
    *,
    status: str | None = None,
    channel_id: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[NotificationDelivery], int]:
    """Deliveries newest first, filtered; with the total."""
    stmt = select(D)
    count = select(func.count()).select_from(D)
    if status is not None:
        stmt, count = stmt.where(D.status == status), count.where(D.status == status)
    if channel_id is not None:
        stmt, count = (
            stmt.where(D.channel_id == channel_id),
            count.where(D.channel_id == channel_id),
        )
    total = int(db.scalar(count) or 0)
    items = list(db.scalars(stmt.order_by(D.created_at.desc(), D.id).offset(offset).limit(limit)))
    return items, total


def dead_letters(db: Session, *, offset: int = 0, limit: int = 100) -> tuple[list[D], int]:
    return list_deliveries(db, status=DeliveryStatus.DEAD.value, offset=offset, limit=limit)


def retry(
    db: Session, *, delivery_id: str, actor: Actor, now: datetime | None = None
) -> NotificationDelivery:
    """Send a dead letter again (attempts start over; same idempotency key)."""
    now = now or utcnow()
    delivery = db.get(D, delivery_id)
    if delivery is None:
        raise NotFoundError("NotificationDelivery", delivery_id)
    if delivery.status != DeliveryStatus.DEAD:
        raise ConflictError(f"delivery {delivery_id} is {delivery.status}, not a dead letter")
    delivery.status = DeliveryStatus.PENDING.value
    delivery.attempts = 0
    delivery.next_attempt_at = now
    db.flush()
    audit.record(
        db, actor, action="delivery.retry", entity_type="notification_delivery",
        entity_id=delivery.id, details={"last_error": delivery.last_error},
    )  # fmt: skip
    return delivery


def retry_all(db: Session, *, actor: Actor, channel_id: str | None = None) -> int:
    """Every dead letter (of one channel) back to pending."""
    stmt = update(D).where(D.status == DeliveryStatus.DEAD.value)
    if channel_id is not None:
        stmt = stmt.where(D.channel_id == channel_id)
    result = db.execute(
        stmt.values(status=DeliveryStatus.PENDING.value, attempts=0, next_attempt_at=utcnow())
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    audit.record(
        db, actor, action="delivery.retry_all", entity_type="notification_delivery",
        details={"channel_id": channel_id, "count": count},
    )  # fmt: skip
    return count
