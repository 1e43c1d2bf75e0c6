"""Load what the detectors read, from stored tables only: constituencies, their hourly
statistics (as constituency x UTC-hour matrices) and the election's time base.

Never reads ``transactions`` in bulk: rules that need a transaction-level fact ask for it
with a narrow, indexed query of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from sqlalchemy import BigInteger, Connection, Integer, cast, func, select

from election_monitor.detection.settings import DetectionSettings
from election_monitor.models import Constituency, Election, HourlyStats
from election_monitor.timeutil import ensure_utc

HOUR = timedelta(hours=1)
NDArray = np.ndarray[Any, Any]


def hour_floor(value: datetime) -> datetime:
    return ensure_utc(value).replace(minute=0, second=0, microsecond=0)


@lru_cache(maxsize=256)
def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass
class ConstituencyFacts:
    """One constituency's totals and chain facts (Constituency columns)."""

    id: str
    name: str
    region: str
    type: str
    timezone: str
    registered: int
    voters_listed: int
    bulletins: int
    votes: int
    revotes: int
    rejected: int
    voting_start: datetime | None
    voting_end: datetime | None
    revote_blocked: bool | None
    status: str | None
    last_data_time: datetime | None

    @property
    def denominator(self) -> int:
        """Registered voters, else the voter list the chain announced."""
        return self.registered or self.voters_listed


@dataclass
class Frame:
    """An election's constituencies and hourly matrices (rows: constituencies, cols: hours)."""

    election_id: str
    election_name: str
    election_tz: str
    election_start: datetime
    election_end: datetime
    facts: list[ConstituencyFacts]
    h0: datetime  # first UTC hour of the matrices
    votes: NDArray  # unique voters with an accepted vote in the hour
    bulletins: NDArray
    vote_calls: NDArray
    rejected: NDArray
    tx: NDArray
    newest: datetime | None  # newest data time across the whole election
    closed: int  # hours [0, closed) are complete and evaluated
    index: dict[str, int] = field(default_factory=dict)

    @property
    def n_hours(self) -> int:
        return int(self.votes.shape[1])

    def hour(self, t: int) -> datetime:
        return self.h0 + t * HOUR

    def hour_index(self, when: datetime) -> int:
        return int((hour_floor(when) - self.h0) / HOUR)

    def local(self, c: int, t: int) -> datetime:
        return self.hour(t).astimezone(zone(self.facts[c].timezone))

    def local_hours(self) -> NDArray:
        """Local hour of day (0-23) of each cell."""
        out = np.zeros(self.votes.shape, dtype=np.int16)
        for name, rows in self._by_zone().items():
            tz = zone(name)
            hours = [self.hour(t).astimezone(tz).hour for t in range(self.n_hours)]
            out[rows, :] = np.asarray(hours, dtype=np.int16)
        return out

    def local_dates(self) -> NDArray:
        """Local calendar date of each cell, as a proleptic ordinal."""
        out = np.zeros(self.votes.shape, dtype=np.int64)
        for name, rows in self._by_zone().items():
            tz = zone(name)
            days = [self.hour(t).astimezone(tz).date().toordinal() for t in range(self.n_hours)]
            out[rows, :] = np.asarray(days, dtype=np.int64)
        return out

    def _by_zone(self) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {}
        for c, f in enumerate(self.facts):
            groups.setdefault(f.timezone, []).append(c)
        return groups

    def active(self) -> NDArray:
        """Cells inside each constituency's voting window (chain dates, else the election's)."""
        out = np.zeros(self.votes.shape, dtype=bool)
        starts = np.arange(self.n_hours)
        for c, f in enumerate(self.facts):
            start = f.voting_start or self.election_start
            end = f.voting_end or self.election_end
            lo = (hour_floor(start) - self.h0) / HOUR
            hi = (ensure_utc(end) - self.h0) / HOUR
            out[c] = (starts + 1 > lo) & (starts < hi)
        return out


def _facts(row: Any, election_tz: str) -> ConstituencyFacts:
    return ConstituencyFacts(
        id=row.id,
        name=row.name,
        region=row.region or "",
        type=row.type or "",
        timezone=row.timezone or election_tz,
        registered=int(row.registered_voters or 0),
        voters_listed=int(row.voters_listed or 0),
        bulletins=int(row.bulletins_issued or 0),
        votes=int(row.votes_cast or 0),
        revotes=int(row.revotes or 0),
        rejected=int(row.rejected_votes or 0),
        voting_start=row.voting_start,
        voting_end=row.voting_end,
        revote_blocked=row.revote_blocked,
        status=row.status,
        last_data_time=row.last_data_time,
    )


def _epoch_seconds(conn: Connection, column: Any) -> Any:
    """SQL for a UTC timestamp column as integer seconds since the epoch."""
    if conn.dialect.name == "sqlite":  # stored as naive UTC text
        return cast(func.strftime("%s", column), Integer)
    return cast(func.extract("epoch", column), BigInteger)


def election_ids(conn: Connection, constituency_ids: Iterable[str] | None = None) -> list[str]:
    """Elections that own the given constituencies (all elections when None)."""
    if constituency_ids is None:
        return list(conn.scalars(select(Election.id).order_by(Election.created_at, Election.id)))
    ids = sorted(set(constituency_ids))
    if not ids:
        return []
    return sorted(
        set(conn.scalars(select(Constituency.election_id).where(Constituency.id.in_(ids))))
    )


def newest_data_time(conn: Connection, election_id: str) -> datetime | None:
    """The newest data time across the election (not the wall clock: replays work)."""
    value = conn.scalar(
        select(func.max(Constituency.last_data_time)).where(Constituency.election_id == election_id)
    )
    if isinstance(value, str):  # SQLite aggregate: the stored text, not the column type
        value = datetime.fromisoformat(value)
    return ensure_utc(value) if value is not None else None


def load_frame(
    conn: Connection,
    election_id: str,
    settings: DetectionSettings,
    *,
    only: Iterable[str] | None = None,
) -> Frame:
    """Read an election's constituencies and hourly stats (or only the given constituencies)."""
    election = conn.execute(
        select(Election.name, Election.timezone, Election.start_date, Election.end_date).where(
            Election.id == election_id
        )
    ).one()
    tz = election.timezone or "UTC"
    query = select(Constituency).where(Constituency.election_id == election_id)
    if only is not None:
        query = query.where(Constituency.id.in_(sorted(set(only))))
    rows = conn.execute(query.order_by(Constituency.id)).all()
    facts = [_facts(r, tz) for r in rows]
    index = {f.id: i for i, f in enumerate(facts)}
    # The hour as whole seconds since the epoch, computed by the database: converting tens of
    # thousands of datetimes in Python was half of an incremental detection run.
    epoch = _epoch_seconds(conn, HourlyStats.hour)
    stats_query = select(
        HourlyStats.constituency_id,
        epoch,
        func.coalesce(HourlyStats.votes_cast, 0),
        func.coalesce(HourlyStats.bulletins_issued, 0),
        func.coalesce(HourlyStats.vote_calls, 0),
        func.coalesce(HourlyStats.rejected_votes, 0),
        func.coalesce(HourlyStats.transaction_count, 0),
    ).join(Constituency, Constituency.id == HourlyStats.constituency_id)
    stats_query = stats_query.where(Constituency.election_id == election_id)
    if only is not None:
        stats_query = stats_query.where(HourlyStats.constituency_id.in_(list(index)))
    stats = conn.execute(stats_query).all()
    newest = newest_data_time(conn, election_id)
    start = ensure_utc(election.start_date)
    end = ensure_utc(election.end_date)
    for f in facts:
        if f.voting_start is not None:
            start = min(start, ensure_utc(f.voting_start))
        if f.voting_end is not None:
            end = max(end, ensure_utc(f.voting_end))
    ci = np.fromiter((index[s[0]] for s in stats), dtype=np.int64, count=len(stats))
    values = np.asarray([tuple(s[1:]) for s in stats], dtype=np.float64).reshape(-1, 6)
    seconds = values[:, 0].astype(np.int64) // 3600 * 3600
    h0 = hour_floor(start)
    last = hour_floor(newest) if newest else h0
    if stats:
        h0 = min(h0, datetime.fromtimestamp(int(seconds.min()), UTC))
        last = max(last, datetime.fromtimestamp(int(seconds.max()), UTC))
    n_hours = int((last - h0) / HOUR) + 1
    shape = (len(facts), n_hours)
    mats = {name: np.zeros(shape, dtype=np.float64) for name in ("v", "b", "vc", "r", "tx")}
    if stats:
        ti = (seconds - int(h0.timestamp())) // 3600
        for col, name in enumerate(("v", "b", "vc", "r", "tx"), start=1):
            mats[name][ci, ti] = values[:, col]
    closed = 0
    if newest is not None:
        grace = timedelta(minutes=settings.close_grace_minutes)
        closed = max(0, int((newest - grace - h0) / HOUR))
        closed = min(closed, n_hours)
    return Frame(
        election_id=election_id,
        election_name=election.name,
        election_tz=tz,
        election_start=ensure_utc(election.start_date),
        election_end=ensure_utc(election.end_date),
        facts=facts,
        h0=h0,
        votes=mats["v"],
        bulletins=mats["b"],
        vote_calls=mats["vc"],
        rejected=mats["r"],
        tx=mats["tx"],
        newest=newest,
        closed=closed,
        index=index,
    )
