"""The region grid: per region of an election, how many constituencies, open alerts, and the
worst open alert's severity (the colour, icon and word of its tile)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from election_monitor.alerts.lifecycle import OPEN_STATUSES
from election_monitor.dashboard.schemas import RegionTile
from election_monitor.enums import AlertSeverity
from election_monitor.models import Alert, Constituency

#: Most urgent first.
SEVERITY_ORDER = [s.value for s in AlertSeverity]


def region_grid(db: Session, *, election_id: str) -> list[RegionTile]:
    """One tile per region, sorted by region name."""
    c = Constituency
    counts = dict(
        db.execute(
            select(c.region, func.count()).where(c.election_id == election_id).group_by(c.region)
        ).all()
    )
    open_alerts: dict[str, dict[str, int]] = {}
    for region, severity, count in db.execute(
        select(c.region, Alert.severity, func.count())
        .join(c, c.id == Alert.constituency_id)
        .where(c.election_id == election_id, Alert.status.in_(OPEN_STATUSES))
        .group_by(c.region, Alert.severity)
    ):
        open_alerts.setdefault(region, {})[severity] = int(count)
    tiles = []
    for region in sorted(counts):
        by_severity = open_alerts.get(region, {})
        worst = next((s for s in SEVERITY_ORDER if by_severity.get(s)), None)
        tiles.append(
            RegionTile(
                region=region,
                constituencies=int(counts[region]),
                open_alerts=sum(by_severity.values()),
                worst_severity=worst,
            )
        )
    return tiles
