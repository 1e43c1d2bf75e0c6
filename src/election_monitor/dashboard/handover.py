"""The shift hand-over: what happened to an election's alerts between two moments, and what
the next shift inherits. One service function, read by the shift report (HTML, PDF), its
JSON twin ``GET /api/v1/elections/{id}/handover`` and the dashboard.

Times are wall-clock (when people and detectors acted), from the alerts' audit trail
(``alert_events``) and the audit log of people's changes.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from election_monitor.alerts.lifecycle import lifecycle_state, severity_rank
from election_monitor.alerts.service import SYSTEM_ACTOR
from election_monitor.enums import AlertStatus, AlertType, ConstituencyStatus
from election_monitor.exceptions import InvalidInputError, NotFoundError
from election_monitor.models import Alert, AlertEvent, AuditLog, Constituency, Election
from election_monitor.schemas.base import BaseSchema, UTCDatetime
from election_monitor.timeutil import ensure_utc, parse_datetime


class HandoverAlert(BaseSchema):
    """An alert and the change that puts it on the hand-over."""

    alert_id: str
    constituency_id: str
    constituency_name: str
    type: str
    severity: str
    status: str
    title: str
    at: UTCDatetime = Field(description="when the change happened (or the snooze ends)")
    actor: str | None = None
    change: str | None = Field(default=None, description="e.g. warning -> critical")


class OfflineConstituency(BaseSchema):
    constituency_id: str
    name: str
    region: str
    status: str
    last_data_time: UTCDatetime | None
    alert_id: str | None = Field(description="the constituency_offline alert, if any")


class HandoverAction(BaseSchema):
    """One thing a person did."""

    at: UTCDatetime
    actor: str
    action: str
    entity: str = Field(description="alert id, or entity_type:id from the audit log")
    from_value: str | None = None
    to_value: str | None = None
    note: str | None = None
    source: str = Field(description="alert_events or audit_log")


class Handover(BaseSchema):
    """What a shift hands over to the next one."""

    election_id: str
    election_name: str
    since: UTCDatetime
    until: UTCDatetime
    new_alerts: list[HandoverAlert]
    escalated: list[HandoverAlert]
    resolved: list[HandoverAlert]
    snoozes_expiring: list[HandoverAlert] = Field(
        description="snoozed alerts waking up before the end of the next shift of equal length"
    )
    gone_offline: list[OfflineConstituency]
    awaiting_data: list[OfflineConstituency] = Field(
        default_factory=list, description="constituencies with nothing loaded yet"
    )
    actions: list[HandoverAction]


def _item(alert: Alert, name: str, at: datetime, **extra: str | None) -> HandoverAlert:
    return HandoverAlert(
        alert_id=alert.id,
        constituency_id=alert.constituency_id,
        constituency_name=name,
        type=alert.type,
        severity=alert.severity,
        status=alert.status or AlertStatus.ACTIVE.value,
        title=alert.title,
        at=at,
        **extra,
    )


def _order(items: list[HandoverAlert]) -> list[HandoverAlert]:
    return sorted(items, key=lambda a: (-severity_rank(a.severity), a.at, a.alert_id))


def build_handover(db: Session, *, election_id: str, since: datetime, until: datetime) -> Handover:
    """The hand-over of [since, until); ``NotFoundError`` / ``InvalidInputError`` on bad input."""
    since, until = ensure_utc(since), ensure_utc(until)
    if until <= since:
        raise InvalidInputError("until must be after since")
    election = db.get(Election, election_id)
    if election is None:
        raise NotFoundError("Election", election_id)
    rows = db.execute(
        select(AlertEvent, Alert, Constituency.name)
        .join(Alert, Alert.id == AlertEvent.alert_id)
        .join(Constituency, Constituency.id == Alert.constituency_id)
        .where(
            Constituency.election_id == election_id,
            AlertEvent.at >= since,
            AlertEvent.at < until,
        )
        .order_by(AlertEvent.at, AlertEvent.id)
    ).all()
    new, escalated, resolved, actions = [], [], [], []
    for event, alert, name in rows:
        at = ensure_utc(event.at)
        if event.action == "created":
            new.append(_item(alert, name, at, actor=event.actor))
        elif event.action == "escalated":
            change = f"{event.from_value} -> {event.to_value}"
            escalated.append(_item(alert, name, at, actor=event.actor, change=change))
        if event.to_value == AlertStatus.RESOLVED.value:
            resolved.append(_item(alert, name, at, actor=event.actor, change=event.action))
        if event.actor != SYSTEM_ACTOR:
            actions.append(
                HandoverAction(
                    at=at,
                    actor=event.actor,
                    action=event.action,
                    entity=alert.id,
                    from_value=event.from_value,
                    to_value=event.to_value,
                    note=event.note,
                    source="alert_events",
                )
            )
    alert_ids = {alert.id for _, alert, _ in rows}
    for entry in db.scalars(
        select(AuditLog)
        .where(AuditLog.at >= since, AuditLog.at < until)
        .where(or_(AuditLog.entity_type != "alert", AuditLog.entity_id.in_(alert_ids)))
        .order_by(AuditLog.at, AuditLog.id)
    ):
        actions.append(
            HandoverAction(
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                entity=f"{entry.entity_type}:{entry.entity_id or ''}",
                source="audit_log",
            )
        )
    return Handover(
        election_id=election.id,
        election_name=election.name,
        since=since,
        until=until,
        new_alerts=_order(new),
        escalated=_order(escalated),
        resolved=_order(resolved),
        snoozes_expiring=_snoozes(db, election_id, since, until + (until - since)),
        gone_offline=_offline(db, election_id, since, until),
        awaiting_data=_awaiting(db, election_id),
        actions=sorted(actions, key=lambda a: (a.at, a.source, a.actor, a.action, a.entity)),
    )


def _snoozes(
    db: Session, election_id: str, since: datetime, horizon: datetime
) -> list[HandoverAlert]:
    items = []
    for alert, name in db.execute(
        select(Alert, Constituency.name)
        .join(Constituency, Constituency.id == Alert.constituency_id)
        .where(Constituency.election_id == election_id, Alert.status == AlertStatus.SNOOZED.value)
    ):
        until = lifecycle_state(alert).get("snoozed_until")
        if not until:
            continue
        wakes = parse_datetime(str(until))
        if since <= wakes < horizon:
            items.append(_item(alert, name, wakes))
    return sorted(items, key=lambda a: (a.at, a.alert_id))


def _offline(
    db: Session, election_id: str, since: datetime, until: datetime
) -> list[OfflineConstituency]:
    raised: dict[str, str] = {}
    for cid, aid in db.execute(
        select(Alert.constituency_id, Alert.id)
        .join(AlertEvent, AlertEvent.alert_id == Alert.id)
        .join(Constituency, Constituency.id == Alert.constituency_id)
        .where(
            Constituency.election_id == election_id,
            Alert.type == AlertType.CONSTITUENCY_OFFLINE.value,
            AlertEvent.action.in_(("created", "reopened")),
            AlertEvent.at >= since,
            AlertEvent.at < until,
        )
        .order_by(AlertEvent.at, AlertEvent.id)
    ):
        raised.setdefault(cid, aid)  # the first raise of the shift
    rows = db.scalars(
        select(Constituency)
        .where(Constituency.election_id == election_id)
        .where(
            or_(
                Constituency.status == ConstituencyStatus.OFFLINE.value,
                Constituency.id.in_(list(raised)),
            )
        )
        .order_by(Constituency.id)
    )
    return [
        OfflineConstituency(
            constituency_id=c.id,
            name=c.name,
            region=c.region,
            status=c.status or ConstituencyStatus.ACTIVE.value,
            last_data_time=c.last_data_time,
            alert_id=raised.get(c.id),
        )
        for c in rows
    ]


def _awaiting(db: Session, election_id: str) -> list[OfflineConstituency]:
    rows = db.scalars(
        select(Constituency)
        .where(Constituency.election_id == election_id, Constituency.last_data_time.is_(None))
        .order_by(Constituency.id)
    )
    return [
        OfflineConstituency(
            constituency_id=c.id,
            name=c.name,
            region=c.region,
            status=c.status or ConstituencyStatus.ACTIVE.value,
            last_data_time=None,
            alert_id=None,
        )
        for c in rows
    ]
