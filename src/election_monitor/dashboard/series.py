"""Hourly series for charts: one column per measure, one entry per UTC hour, gaps as zeros."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from election_monitor.dashboard.schemas import AlertWindowSeries, HourlySeries
from election_monitor.exceptions import InvalidInputError, NotFoundError
from election_monitor.models import Alert, Constituency, Election, HourlyStats
from election_monitor.timeutil import ensure_utc, parse_datetime

HOUR = timedelta(hours=1)
#: The longest series returned (a voting period is about three days; a month is plenty).
MAX_HOURS = 24 * 31

MEASURES = (
    "bulletins_issued",
    "votes_cast",
    "vote_calls",
    "rejected_votes",
    "transaction_count",
)


def _hour(value: datetime) -> datetime:
    return ensure_utc(value).replace(minute=0, second=0, microsecond=0)


def _window(stmt: Select[Any], start: datetime | None, end: datetime | None) -> Select[Any]:
    if start is not None and end is not None and end < start:
        raise InvalidInputError("end must not be before start")
    if start is not None:
        stmt = stmt.where(HourlyStats.hour >= _hour(start))
    if end is not None:
        stmt = stmt.where(HourlyStats.hour <= end)
    return stmt


def _build(rows: list[Any], **ids: str | None) -> HourlySeries:
    by_hour = {_hour(r[0]): r[1:] for r in rows}
    hours: list[datetime] = []
    if by_hour:
        first, last = min(by_hour), max(by_hour)
        if last - first > MAX_HOURS * HOUR:
            first = last - MAX_HOURS * HOUR  # the newest hours matter most on a dashboard
        hour = first
        while hour <= last:
            hours.append(hour)
            hour += HOUR
    zero = (0,) * len(MEASURES)
    columns = {
        name: [int(by_hour.get(h, zero)[i] or 0) for h in hours] for i, name in enumerate(MEASURES)
    }
    return HourlySeries(
        hours=hours,
        **columns,
        bulletin_velocity=[round(b / 60.0, 4) for b in columns["bulletins_issued"]],
        vote_velocity=[round(v / 60.0, 4) for v in columns["votes_cast"]],
        cumulative_bulletins=list(accumulate(columns["bulletins_issued"])),
        cumulative_votes=list(accumulate(columns["votes_cast"])),
        **ids,
    )


def constituency_series(
    db: Session,
    *,
    constituency_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> HourlySeries:
    """One constituency's hours; ``NotFoundError`` for an unknown id."""
    if db.get(Constituency, constituency_id) is None:
        raise NotFoundError("Constituency", constituency_id)
    h = HourlyStats
    stmt = select(h.hour, *(getattr(h, m) for m in MEASURES)).where(
        h.constituency_id == constituency_id
    )
    rows = list(db.execute(_window(stmt, start, end)))
    return _build(rows, constituency_id=constituency_id)


def election_series(
    db: Session,
    *,
    election_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> HourlySeries:
    """The election's hours, summed over its constituencies."""
    if db.get(Election, election_id) is None:
        raise NotFoundError("Election", election_id)
    h = HourlyStats
    stmt = (
        select(h.hour, *(func.sum(getattr(h, m)) for m in MEASURES))
        .join(Constituency, Constituency.id == h.constituency_id)
        .where(Constituency.election_id == election_id)
        .group_by(h.hour)
    )
    rows = list(db.execute(_window(stmt, start, end)))
    return _build(rows, election_id=election_id)


#: Hours shown either side of an alert's window on its chart.
WINDOW_MARGIN = 6 * HOUR


def alert_window(alert: Alert) -> tuple[datetime, datetime]:
    """The hours an alert is about: its evidence's window or hour, else the constituency's
    newest data (a cumulative check is about everything so far), else its detection time."""
    details = alert.details or {}
    window = details.get("window")
    try:
        if isinstance(window, dict) and window.get("start") and window.get("end"):
            return parse_datetime(str(window["start"])), parse_datetime(str(window["end"]))
        if details.get("hour"):
            start = parse_datetime(str(details["hour"]))
            return start, start + HOUR
        if details.get("first"):
            start = _hour(parse_datetime(str(details["first"])))
            return start, start + HOUR
    except ValueError:
        pass  # evidence without a readable time: fall back to the data's own times
    newest = alert.constituency.last_data_time if alert.constituency else None
    start = _hour(newest or alert.detected_at)
    return start, start + HOUR


def alert_series(db: Session, *, alert_id: str) -> AlertWindowSeries:
    """The alert's constituency hour by hour, from six hours before its window to six after."""
    alert = db.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError("Alert", alert_id)
    start, end = alert_window(alert)
    series = constituency_series(
        db,
        constituency_id=alert.constituency_id,
        start=start - WINDOW_MARGIN,
        end=end + WINDOW_MARGIN,
    )
    return AlertWindowSeries(alert_id=alert_id, window_start=start, window_end=end, series=series)
