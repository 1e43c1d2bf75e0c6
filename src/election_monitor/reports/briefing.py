"""The shift briefing: where the voting stands and what needs attention first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from election_monitor.crud.alert import SEVERITY_RANK
from election_monitor.enums import AlertStatus
from election_monitor.models import Alert, Constituency, Election

OPEN_STATUSES = (AlertStatus.ACTIVE.value, AlertStatus.INVESTIGATING.value)


@dataclass
class UrgentAlert:
    id: str
    severity: str
    type: str
    status: str
    constituency_id: str
    constituency_name: str
    title: str
    detected_at: datetime


@dataclass
class Briefing:
    """Numbers for one election (or all elections when none is named)."""

    elections: list[str]
    constituencies: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    registered: int = 0
    bulletins: int = 0
    votes: int = 0
    participation: float = 0.0  # votes / registered, in %
    awaiting_data: int = 0  # constituencies with nothing loaded yet
    last_data_time: datetime | None = None
    open_alerts_by_severity: dict[str, int] = field(default_factory=dict)
    alerts_by_status: dict[str, int] = field(default_factory=dict)
    urgent: list[UrgentAlert] = field(default_factory=list)


def build_briefing(db: Session, *, election_id: str | None = None, top: int = 5) -> Briefing:
    """Totals, constituencies by status, alerts by severity, and the ``top`` most urgent alerts."""
    scope = [Constituency.election_id == election_id] if election_id else []
    elections = db.scalars(
        select(Election.name).where(*([Election.id == election_id] if election_id else []))
    ).all()
    brief = Briefing(elections=list(elections))
    for status, count in db.execute(
        select(Constituency.status, func.count()).where(*scope).group_by(Constituency.status)
    ):
        brief.by_status[status] = count
    brief.constituencies = sum(brief.by_status.values())
    row = db.execute(
        select(
            func.coalesce(func.sum(Constituency.registered_voters), 0),
            func.coalesce(func.sum(Constituency.bulletins_issued), 0),
            func.coalesce(func.sum(Constituency.votes_cast), 0),
            func.max(Constituency.last_data_time),
            func.count().filter(Constituency.last_data_time.is_(None)),
        ).where(*scope)
    ).one()
    brief.registered, brief.bulletins, brief.votes = int(row[0]), int(row[1]), int(row[2])
    brief.last_data_time = row[3]
    brief.awaiting_data = int(row[4] or 0)
    if brief.registered:
        brief.participation = round(100.0 * brief.votes / brief.registered, 2)
    alert_scope = [*scope, Alert.constituency_id == Constituency.id]
    for severity, count in db.execute(
        select(Alert.severity, func.count())
        .where(*alert_scope, Alert.status.in_(OPEN_STATUSES))
        .group_by(Alert.severity)
    ):
        brief.open_alerts_by_severity[severity] = count
    for status, count in db.execute(
        select(Alert.status, func.count()).where(*alert_scope).group_by(Alert.status)
    ):
        brief.alerts_by_status[status] = count
    urgent = db.execute(
        select(Alert, Constituency.name)
        .where(*alert_scope, Alert.status.in_(OPEN_STATUSES))
        .order_by(SEVERITY_RANK, Alert.detected_at.desc(), Alert.id)
        .limit(top)
    ).all()
    brief.urgent = [
        UrgentAlert(
            id=alert.id,
            severity=alert.severity,
            type=alert.type,
            status=alert.status,
            constituency_id=alert.constituency_id,
            constituency_name=name,
            title=alert.title,
            detected_at=alert.detected_at,
        )
        for alert, name in urgent
    ]
    return brief
