"""Hourly series for charts: one column per measure, one entry per UTC hour, gaps as zeros."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from election_monitor.dashboard.schemas import HourlySeries
from election_monitor.exceptions import InvalidInputError, NotFoundError
from election_monitor.models import Constituency, Election, HourlyStats
from election_monitor.timeutil import ensure_utc

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
