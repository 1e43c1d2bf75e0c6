"""Silences: mute notifications of matching alerts between two times; audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from election_monitor.accounts import audit
from election_monitor.accounts.audit import Actor
from election_monitor.exceptions import ConflictError, InvalidInputError, NotFoundError
from election_monitor.models import NotificationSilence
from election_monitor.notify.matching import MATCH_FIELDS, silence_active
from election_monitor.timeutil import ensure_utc, utcnow


def create_silence(
    db: Session,
    *,
    matchers: dict[str, str],
    ends_at: datetime,
    comment: str,
    actor: Actor,
    starts_at: datetime | None = None,
    now: datetime | None = None,
) -> NotificationSilence:
    """A silence; matchers name alert fields (``MATCH_FIELDS``), all of which must match."""
    now = now or utcnow()
    starts_at = ensure_utc(starts_at) if starts_at else now
    ends_at = ensure_utc(ends_at)
    if not matchers:
        raise InvalidInputError(f"a silence needs at least one matcher ({', '.join(MATCH_FIELDS)})")
    unknown = sorted(set(matchers) - set(MATCH_FIELDS))
    if unknown:
        raise InvalidInputError(f"unknown matcher(s) {unknown}; use {list(MATCH_FIELDS)}")
    if ends_at <= starts_at:
        raise InvalidInputError("a silence must end after it starts")
    if ends_at <= now:
        raise InvalidInputError("a silence must end in the future")
    if not comment.strip():
        raise InvalidInputError("a silence needs a comment saying why")
    silence = NotificationSilence(
        matchers={k: str(v) for k, v in matchers.items()},
        starts_at=starts_at,
        ends_at=ends_at,
        author=actor.username,
        comment=comment.strip(),
    )
    db.add(silence)
    db.flush()
    audit.record(
        db, actor, action="silence.create", entity_type="notification_silence",
        entity_id=silence.id,
        details={"matchers": silence.matchers, "starts_at": starts_at, "ends_at": ends_at,
                 "comment": silence.comment},
    )  # fmt: skip
    return silence


def list_silences(
    db: Session, *, active_only: bool = False, now: datetime | None = None
) -> list[NotificationSilence]:
    now = now or utcnow()
    rows = list(db.scalars(select(NotificationSilence).order_by(NotificationSilence.ends_at)))
    return [s for s in rows if silence_active(s, now)] if active_only else rows


def expire_silence(
    db: Session, *, silence_id: str, actor: Actor, now: datetime | None = None
) -> NotificationSilence:
    """End a silence now (notifications of its alerts resume)."""
    now = now or utcnow()
    silence = db.get(NotificationSilence, silence_id)
    if silence is None:
        raise NotFoundError("NotificationSilence", silence_id)
    if silence.expired_at is not None or ensure_utc(silence.ends_at) <= now:
        raise ConflictError(f"silence {silence_id} has already ended")
    silence.expired_at = now
    db.flush()
    audit.record(
        db, actor, action="silence.expire", entity_type="notification_silence",
        entity_id=silence.id, details={"matchers": silence.matchers},
    )  # fmt: skip
    return silence
