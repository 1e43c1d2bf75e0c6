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

from election_monitor.detection.horizon import data_horizon
from election_monitor.detection.settings import DetectionSettings
from election_monitor.enums import ConstituencyStatus
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
    def finished(self) -> bool:
        """The contract's finishVoting is loaded: it owes no more voting data."""
        return self.status == ConstituencyStatus.COMPLETED.value

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
    closed: int  # hours [0, closed) are settled (the data horizon) and evaluated
    open_fraction: NDArray  # share of each cell inside the constituency's voting window
    min_open_fraction: float
    covered: NDArray  # per constituency: hours [0, covered) of its data are complete
    awaiting: NDArray  # per constituency: no data yet
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
        """Cells that count as voting: enough of the hour inside the constituency's own
        window (its chain dates, else the election's)."""
        out: NDArray = self.open_fraction >= self.min_open_fraction
        return out

    @property
    def horizon(self) -> datetime:
        """The end of the last settled hour."""
        return self.hour(self.closed)


def open_fractions(
    facts: list[ConstituencyFacts], h0: datetime, n_hours: int, start: datetime, end: datetime
) -> NDArray:
    """Share of each UTC hour inside each constituency's own voting window."""
    out = np.zeros((len(facts), n_hours))
    starts = np.arange(n_hours, dtype=np.float64)
    for c, f in enumerate(facts):
        lo = (ensure_utc(f.voting_start or start) - h0) / HOUR
        hi = (ensure_utc(f.voting_end or end) - h0) / HOUR
        out[c] = np.clip(np.minimum(starts + 1, hi) - np.maximum(starts, lo), 0.0, 1.0)
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
    hold_awaiting: bool = False,
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
    start = ensure_utc(election.start_date)
    end = ensure_utc(election.end_date)
    # The frame never reaches past the election's window and its margins, whatever a
    # stray timestamp says.
    lo = hour_floor(start - timedelta(hours=settings.frame_margin_before_hours))
    hi = hour_floor(end + timedelta(hours=settings.frame_margin_after_hours))
    newest = newest_data_time(conn, election_id)
    if newest is not None:
        newest = min(max(newest, lo), hi)
    h0 = start
    for f in facts:
        if f.voting_start is not None:
            f.voting_start = min(max(ensure_utc(f.voting_start), lo), hi)
            h0 = min(h0, f.voting_start)
        if f.voting_end is not None:
            f.voting_end = min(max(ensure_utc(f.voting_end), lo), hi)
        if f.last_data_time is not None:
            f.last_data_time = min(max(ensure_utc(f.last_data_time), lo), hi)
    values = np.asarray([tuple(s[1:]) for s in stats], dtype=np.float64).reshape(-1, 6)
    known = np.isfinite(values[:, 0])
    seconds = np.where(known, values[:, 0], 0).astype(np.int64) // 3600 * 3600
    inside = known & (seconds >= int(lo.timestamp())) & (seconds <= int(hi.timestamp()))
    ci = np.fromiter((index[s[0]] for s in stats), dtype=np.int64, count=len(stats))[inside]
    values, seconds = values[inside], seconds[inside]
    h0 = hour_floor(h0)
    last = hour_floor(newest) if newest else h0
    h0 = min(h0, last)
    if seconds.size:
        h0 = min(h0, datetime.fromtimestamp(int(seconds.min()), UTC))
        last = max(last, datetime.fromtimestamp(int(seconds.max()), UTC))
    n_hours = int((last - h0) / HOUR) + 1
    shape = (len(facts), n_hours)
    mats = {name: np.zeros(shape, dtype=np.float64) for name in ("v", "b", "vc", "r", "tx")}
    if seconds.size:
        ti = (seconds - int(h0.timestamp())) // 3600
        for col, name in enumerate(("v", "b", "vc", "r", "tx"), start=1):
            mats[name][ci, ti] = values[:, col]
    fractions = open_fractions(facts, h0, n_hours, start, end)
    horizon = data_horizon(
        h0=h0,
        n_hours=n_hours,
        last_data=[f.last_data_time for f in facts],
        finished=[f.finished for f in facts],
        needs=fractions >= settings.min_open_fraction,
        grace_minutes=settings.close_grace_minutes,
        grace_hours=settings.horizon_grace_hours,
        quorum=settings.horizon_quorum,
        hold_awaiting=hold_awaiting,
    )
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
        closed=horizon.closed,
        open_fraction=fractions,
        min_open_fraction=settings.min_open_fraction,
        covered=horizon.covered,
        awaiting=horizon.awaiting,
        index=index,
    )


def settled_horizon(
    conn: Connection, election_id: str, settings: DetectionSettings, *, hold_awaiting: bool = False
) -> tuple[datetime, datetime]:
    """The end of the election's last settled hour, and of the last hour every constituency's
    own data covers, from constituency facts alone (cheap: the ingest hook asks after every
    file whether an hour settled)."""
    election = conn.execute(
        select(Election.timezone, Election.start_date, Election.end_date).where(
            Election.id == election_id
        )
    ).one()
    rows = conn.execute(select(Constituency).where(Constituency.election_id == election_id)).all()
    facts = [_facts(r, election.timezone or "UTC") for r in rows]
    start, end = ensure_utc(election.start_date), ensure_utc(election.end_date)
    lo = hour_floor(start - timedelta(hours=settings.frame_margin_before_hours))
    hi = hour_floor(end + timedelta(hours=settings.frame_margin_after_hours))
    h0 = start
    for f in facts:
        for name in ("voting_start", "voting_end", "last_data_time"):
            value = getattr(f, name)
            if value is not None:
                setattr(f, name, min(max(ensure_utc(value), lo), hi))
        if f.voting_start is not None:
            h0 = min(h0, f.voting_start)
    newest = max((f.last_data_time for f in facts if f.last_data_time), default=None)
    h0 = hour_floor(min(h0, newest) if newest else h0)
    n_hours = int((hour_floor(newest) - h0) / HOUR) + 1 if newest else 0
    fractions = open_fractions(facts, h0, n_hours, start, end)
    horizon = data_horizon(
        h0=h0,
        n_hours=n_hours,
        last_data=[f.last_data_time for f in facts],
        finished=[f.finished for f in facts],
        needs=fractions >= settings.min_open_fraction,
        grace_minutes=settings.close_grace_minutes,
        grace_hours=settings.horizon_grace_hours,
        quorum=settings.horizon_quorum,
        hold_awaiting=hold_awaiting,
    )
    return h0 + horizon.closed * HOUR, h0 + horizon.complete * HOUR
