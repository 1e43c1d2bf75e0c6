"""The per-election summary: constituencies by status, participation, alerts by severity and
status, and how fresh the data is. Aggregates stored totals only (never transactions)."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from election_monitor.alerts.lifecycle import OPEN_STATUSES
from election_monitor.crud.constituency import participation
from election_monitor.dashboard.schemas import (
    AlertCounts,
    ConstituencyCounts,
    ElectionSummary,
    Participation,
)
from election_monitor.enums import AlertSeverity, AlertStatus, ConstituencyStatus, values
from election_monitor.exceptions import NotFoundError
from election_monitor.models import Alert, Constituency, Election
from election_monitor.schemas import ElectionResponse
from election_monitor.timeutil import ensure_utc, utcnow


def _zeros(keys: list[str]) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


def election_summary(db: Session, *, election_id: str) -> ElectionSummary:
    """The summary of one election; ``NotFoundError`` when there is none."""
    election = db.get(Election, election_id)
    if election is None:
        raise NotFoundError("Election", election_id)
    c = Constituency
    by_status = _zeros(values(ConstituencyStatus))
    total = inferred = awaiting = registered = listed = bulletins = votes = rejected = 0
    last_data = last_update = None
    for row in db.execute(
        select(
            c.status,
            func.count(),
            func.sum(case((c.inferred.is_(True), 1), else_=0)),
            func.coalesce(func.sum(c.registered_voters), 0),
            func.coalesce(func.sum(c.voters_listed), 0),
            func.coalesce(func.sum(c.bulletins_issued), 0),
            func.coalesce(func.sum(c.votes_cast), 0),
            func.coalesce(func.sum(c.rejected_votes), 0),
            func.max(c.last_data_time),
            func.max(c.last_update_time),
            func.sum(case((c.last_data_time.is_(None), 1), else_=0)),
        )
        .where(c.election_id == election_id)
        .group_by(c.status)
    ):
        status = row[0] or ConstituencyStatus.ACTIVE.value
        by_status[status] = by_status.get(status, 0) + int(row[1])
        total += int(row[1])
        inferred += int(row[2] or 0)
        awaiting += int(row[10] or 0)
        registered += int(row[3])
        listed += int(row[4])
        bulletins += int(row[5])
        votes += int(row[6])
        rejected += int(row[7])
        if row[8] is not None:
            last_data = max(last_data, row[8]) if last_data else row[8]
        if row[9] is not None:
            last_update = max(last_update, row[9]) if last_update else row[9]

    alert_status = _zeros(values(AlertStatus))
    alert_severity = _zeros(values(AlertSeverity))
    open_severity = _zeros(values(AlertSeverity))
    for status, severity, count in db.execute(
        select(Alert.status, Alert.severity, func.count())
        .join(Constituency, Constituency.id == Alert.constituency_id)
        .where(Constituency.election_id == election_id)
        .group_by(Alert.status, Alert.severity)
    ):
        status = status or AlertStatus.ACTIVE.value
        alert_status[status] = alert_status.get(status, 0) + count
        alert_severity[severity] = alert_severity.get(severity, 0) + count
        if status in OPEN_STATUSES:
            open_severity[severity] = open_severity.get(severity, 0) + count

    denominator = registered or listed
    return ElectionSummary(
        election=ElectionResponse.model_validate(election),
        constituencies=ConstituencyCounts(
            total=total, by_status=by_status, inferred=inferred, awaiting_data=awaiting
        ),
        participation=Participation(
            registered_voters=registered,
            voters_listed=listed,
            bulletins_issued=bulletins,
            votes_cast=votes,
            rejected_votes=rejected,
            participation_rate=participation(votes, denominator),
            bulletin_rate=participation(bulletins, denominator),
        ),
        alerts=AlertCounts(
            total=sum(alert_status.values()),
            open=sum(alert_status[s] for s in alert_status if s in OPEN_STATUSES),
            by_status=alert_status,
            by_severity=alert_severity,
            open_by_severity=open_severity,
        ),
        last_data_time=ensure_utc(last_data) if last_data else None,
        last_update_time=ensure_utc(last_update) if last_update else None,
        generated_at=utcnow(),
    )
