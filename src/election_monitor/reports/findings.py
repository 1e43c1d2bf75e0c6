"""The alerts a report states as findings: grouped, with their evidence in words, a chart of
the constituency's hours with the evidence highlighted, notes and who handled them.

An alert withdrawn by detection (later data no longer supported it) is "dismissed as false"
and left out; every other alert is stated, whatever its status.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from election_monitor.alerts.lifecycle import severity_rank
from election_monitor.alerts.service import SYSTEM_ACTOR, fingerprint_of
from election_monitor.dashboard.schemas import HourlySeries
from election_monitor.dashboard.series import constituency_series
from election_monitor.enums import AlertStatus
from election_monitor.models import Alert, AlertEvent, Constituency
from election_monitor.reports.content import AlertGroup, Handling, ReportAlert, ReportFilters
from election_monitor.reports.svg import BLUE, ORANGE, Series, line_chart
from election_monitor.timeutil import ensure_utc, parse_datetime

#: Keys of ``details`` that are bookkeeping, not evidence a reader needs.
HIDDEN_KEYS = {"fingerprint", "lifecycle", "window_key", "statistical", "family", "expected_how"}
#: At most this many items of a list in the evidence (the evidence pack has them all).
LIST_ITEMS = 4
WITHDRAWN = "withdrawn"


def _text(value: Any, limit: int = 160) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return value if len(value) <= limit else value[: limit - 1] + "…"
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def evidence_lines(details: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The alert's evidence as (key, text) pairs, keys sorted, long lists shortened."""
    lines: list[tuple[str, str]] = []
    for key in sorted(details or {}):
        if key in HIDDEN_KEYS:
            continue
        value = (details or {})[key]
        if isinstance(value, list) and len(value) > LIST_ITEMS:
            shown = ", ".join(_text(v, 80) for v in value[:LIST_ITEMS])
            lines.append((key, f"{len(value)} items: {shown}, …"))
        elif isinstance(value, list):
            lines.append((key, ", ".join(_text(v, 120) for v in value)))
        else:
            lines.append((key, _text(value)))
    return lines


def evidence_hours(details: dict[str, Any] | None) -> list[datetime]:
    """The UTC hours the evidence points at (its ``hours`` list or its ``window``)."""
    d = details or {}
    hours: list[datetime] = []
    for item in d.get("hours") or []:
        if isinstance(item, dict) and item.get("hour"):
            hours.append(parse_datetime(str(item["hour"])))
    window = d.get("window")
    if isinstance(window, dict) and window.get("start") and window.get("end"):
        hour = parse_datetime(str(window["start"])).replace(minute=0, second=0, microsecond=0)
        end = parse_datetime(str(window["end"]))
        while hour < end and len(hours) < 24 * 31:
            hours.append(hour)
            hour += timedelta(hours=1)
    return hours


def last_seen(alert: Alert) -> datetime:
    """When the evidence was last seen in data time (else when it was detected)."""
    value = (alert.details or {}).get("last_seen")
    try:
        return parse_datetime(str(value)) if value else ensure_utc(alert.detected_at)
    except ValueError:
        return ensure_utc(alert.detected_at)


def _events(db: Session, alert_ids: list[str]) -> dict[str, list[AlertEvent]]:
    events: dict[str, list[AlertEvent]] = defaultdict(list)
    for start in range(0, len(alert_ids), 500):
        chunk = alert_ids[start : start + 500]
        for event in db.scalars(
            select(AlertEvent)
            .where(AlertEvent.alert_id.in_(chunk))
            .order_by(AlertEvent.at, AlertEvent.id)
        ):
            events[event.alert_id].append(event)
    return events


def is_dismissed(alert: Alert, events: Iterable[AlertEvent]) -> bool:
    """Withdrawn by detection and not reopened since."""
    if alert.status != AlertStatus.RESOLVED.value:
        return False
    resolving = [e for e in events if e.to_value == AlertStatus.RESOLVED.value]
    return bool(resolving) and resolving[-1].action == WITHDRAWN


def alert_chart(
    series: HourlySeries, details: dict[str, Any] | None, *, votes: str, bulletins: str, title: str
) -> str:
    """The constituency's hourly bulletins and votes, the evidence's hours shaded."""
    return line_chart(
        series.hours,
        [
            Series(bulletins, series.bulletins_issued, ORANGE),
            Series(votes, series.votes_cast, BLUE),
        ],
        title=title,
        highlight=evidence_hours(details),
        height=170,
    )


def collect(
    db: Session,
    *,
    constituencies: list[Constituency],
    filters: ReportFilters,
    chart_labels: dict[str, str],
    charts: bool = True,
) -> tuple[list[AlertGroup], int, int]:
    """The stated alerts grouped by severity then type; also how many in all and dismissed."""
    names = {c.id: c.name for c in constituencies}
    alerts: list[Alert] = []
    ids = list(names)
    for start in range(0, len(ids), 500):
        alerts.extend(
            db.scalars(select(Alert).where(Alert.constituency_id.in_(ids[start : start + 500])))
        )
    events = _events(db, sorted(a.id for a in alerts))
    floor = severity_rank(filters.min_severity) if filters.min_severity else 0
    stated: list[ReportAlert] = []
    dismissed = 0
    series: dict[str, HourlySeries] = {}

    def chart(alert: Alert) -> str:
        if not charts:
            return ""
        cid = alert.constituency_id
        if cid not in series:
            series[cid] = constituency_series(db, constituency_id=cid)
        return alert_chart(series[cid], alert.details, **chart_labels)

    for alert in alerts:
        if is_dismissed(alert, events.get(alert.id, [])):
            dismissed += 1
            continue
        if severity_rank(alert.severity) < floor:
            continue
        seen = last_seen(alert)
        if (filters.since and seen < filters.since) or (filters.until and seen >= filters.until):
            continue
        details = alert.details or {}
        magnitude = details.get("magnitude")
        stated.append(
            ReportAlert(
                id=alert.id,
                fingerprint=fingerprint_of(alert),
                constituency_id=alert.constituency_id,
                constituency_name=names[alert.constituency_id],
                type=alert.type,
                severity=alert.severity,
                status=alert.status or AlertStatus.ACTIVE.value,
                title=alert.title,
                description=alert.description,
                evidence=evidence_lines(details),
                last_seen=seen.isoformat(),
                magnitude=float(magnitude) if isinstance(magnitude, int | float) else None,
                notes=list(alert.notes or []),
                assigned_to=alert.assigned_to,
                handled_by=[
                    Handling(
                        at=e.at, actor=e.actor, action=e.action, to_value=e.to_value, note=e.note
                    )
                    for e in events.get(alert.id, [])
                    if e.actor != SYSTEM_ACTOR
                ],
                chart_svg=chart(alert),
            )
        )
    stated.sort(
        key=lambda a: (-severity_rank(a.severity), a.type, a.constituency_name, a.fingerprint, a.id)
    )
    groups: list[AlertGroup] = []
    for item in stated:
        if not groups or (groups[-1].severity, groups[-1].type) != (item.severity, item.type):
            groups.append(AlertGroup(severity=item.severity, type=item.type, alerts=[]))
        groups[-1].alerts.append(item)
    return groups, len(alerts), dismissed
