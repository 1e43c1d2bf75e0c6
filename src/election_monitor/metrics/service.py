"""Recompute hourly buckets and constituency totals by SQL aggregation.

Counting rules (DESIGN.md): bulletins = voters of accepted, not rolled-back issuances;
votes = unique voter keys with an accepted, not rolled-back vote (``voter_key`` is set only for
such votes); the hourly ``votes_cast`` counts unique voters in that hour, so a voter who votes
in two hours appears in both, while the constituency total counts each voter once.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from election_monitor.enums import ConstituencyStatus
from election_monitor.models import Constituency, ContractEvent, HourlyStats, Transaction
from election_monitor.timeutil import ensure_utc, parse_datetime, utcnow

Bucket = tuple[str, datetime]  # (constituency_id, UTC hour)
HOUR = timedelta(hours=1)


def hour_of(ts: datetime) -> datetime:
    """The UTC hour a timestamp falls in."""
    return ensure_utc(ts).replace(minute=0, second=0, microsecond=0)


def _hour_sql(dialect: str) -> str:
    if dialect == "sqlite":
        return "substr(timestamp, 1, 13)"  # 'YYYY-MM-DD HH' of the stored UTC text
    return "date_trunc('hour', timestamp, 'UTC')"


def _parse_hour(value: Any) -> datetime:
    if isinstance(value, datetime):
        return hour_of(value)
    return ensure_utc(datetime.strptime(value, "%Y-%m-%d %H"))


def _bind_ts(conn: Connection, value: datetime) -> Any:
    """A timestamp as the raw SQL in this module compares it."""
    if conn.dialect.name == "sqlite":
        return ensure_utc(value).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def refresh_hours(conn: Connection, buckets: Iterable[Bucket]) -> int:
    """Recompute the given buckets from the transactions and upsert them; returns the count."""
    by_constituency: dict[str, set[datetime]] = defaultdict(set)
    for constituency_id, hour in buckets:
        by_constituency[constituency_id].add(hour_of(hour))
    hour_sql = _hour_sql(conn.dialect.name)
    query = text(
        f"""
        SELECT {hour_sql} AS hour,
               SUM(CASE WHEN type = 'blindSigIssue' AND accepted AND NOT rolled_back
                        THEN bulletins ELSE 0 END),
               COUNT(DISTINCT voter_key),
               SUM(CASE WHEN voter_key IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN type = 'vote' AND NOT accepted AND NOT rolled_back
                        THEN 1 ELSE 0 END),
               SUM(CASE WHEN rolled_back THEN 0 ELSE 1 END)
        FROM transactions
        WHERE constituency_id = :cid AND timestamp >= :lo AND timestamp < :hi
        GROUP BY 1
        """
    )
    now = utcnow()
    rows: list[dict[str, Any]] = []
    if by_constituency and conn.dialect.name == "postgresql":
        # A busy hour holds tens of thousands of rows: sort them in memory, not on disk.
        conn.execute(text("SET LOCAL work_mem = '64MB'"))
    for constituency_id, hours in by_constituency.items():
        lo, hi = min(hours), max(hours) + HOUR
        found: dict[datetime, tuple[Any, ...]] = {}
        for hour, *values in conn.execute(
            query, {"cid": constituency_id, "lo": _bind_ts(conn, lo), "hi": _bind_ts(conn, hi)}
        ):
            found[_parse_hour(hour)] = tuple(values)
        for hour in hours:
            bulletins, voters, vote_calls, rejected, tx_count = found.get(hour, (0, 0, 0, 0, 0))
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "constituency_id": constituency_id,
                    "hour": hour,
                    "bulletins_issued": int(bulletins or 0),
                    "votes_cast": int(voters or 0),
                    "vote_calls": int(vote_calls or 0),
                    "rejected_votes": int(rejected or 0),
                    "transaction_count": int(tx_count or 0),
                    "bulletin_velocity": int(bulletins or 0) / 60.0,
                    "vote_velocity": int(voters or 0) / 60.0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if rows:
        _upsert_hourly(conn, rows)
    return len(rows)


def _upsert_hourly(conn: Connection, rows: list[dict[str, Any]]) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(HourlyStats)
    updated = {
        name: stmt.excluded[name]
        for name in (
            "bulletins_issued",
            "votes_cast",
            "vote_calls",
            "rejected_votes",
            "transaction_count",
            "bulletin_velocity",
            "vote_velocity",
            "updated_at",
        )
    }
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["constituency_id", "hour"], set_=updated), rows
    )


def existing_voter_keys(
    conn: Connection, constituency_id: str, keys: Collection[str]
) -> dict[str, set[int]]:
    """For each of these voter keys with a counted vote stored, the epoch hours of those votes.

    Index lookups on (constituency_id, voter_key); keys seen before are rare (revotes).
    """
    found: dict[str, set[int]] = {}
    ordered = sorted(keys)
    step = 900 if conn.dialect.name == "sqlite" else 10_000  # bound parameters per statement
    for start in range(0, len(ordered), step):
        for key, ts in conn.execute(
            _VOTER_KEYS, {"cid": constituency_id, "keys": ordered[start : start + step]}
        ):
            if key is not None:
                found.setdefault(key, set()).add(int(ensure_utc(ts).timestamp()) // 3600)
    return found


_VOTER_KEYS = select(Transaction.voter_key, Transaction.timestamp).where(
    Transaction.constituency_id == bindparam("cid"),
    Transaction.voter_key.in_(bindparam("keys", expanding=True)),
)


@dataclass(frozen=True, slots=True)
class HourDelta:
    """What one batch adds to one hour (only when it is known to be exact)."""

    constituency_id: str
    hour: datetime
    bulletins: int
    new_voters: int  # voters with no counted vote stored in this hour before
    vote_calls: int
    rejected: int
    transactions: int


def add_hour_deltas(conn: Connection, deltas: Iterable[HourDelta]) -> None:
    """Add a batch's sums to its hours (upsert), instead of recounting the hours' rows."""
    now = utcnow()
    rows = [
        {
            "id": str(uuid.uuid4()),
            "constituency_id": d.constituency_id,
            "hour": d.hour,
            "bulletins_issued": d.bulletins,
            "votes_cast": d.new_voters,
            "vote_calls": d.vote_calls,
            "rejected_votes": d.rejected,
            "transaction_count": d.transactions,
            "bulletin_velocity": d.bulletins / 60.0,
            "vote_velocity": d.new_voters / 60.0,
            "created_at": now,
            "updated_at": now,
        }
        for d in deltas
    ]
    if not rows:
        return
    conn.execute(_add_hours_statement(conn.dialect.name), rows)


@functools.cache
def _add_hours_statement(dialect: str) -> Any:
    """The summing upsert of ``add_hour_deltas``, built once per dialect (it runs per batch)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(HourlyStats)
    summed = {
        name: getattr(HourlyStats, name) + stmt.excluded[name]
        for name in (
            "bulletins_issued",
            "votes_cast",
            "vote_calls",
            "rejected_votes",
            "transaction_count",
        )
    }
    return stmt.on_conflict_do_update(
        index_elements=["constituency_id", "hour"],
        set_={
            **summed,
            "bulletin_velocity": summed["bulletins_issued"] / 60.0,
            "vote_velocity": summed["votes_cast"] / 60.0,
            "updated_at": stmt.excluded["updated_at"],
        },
    )


def refresh_totals(
    conn: Connection,
    constituency_ids: Iterable[str],
    *,
    new_voters: Mapping[str, int] | None = None,
) -> None:
    """Recompute each constituency's totals, chain facts and status.

    ``votes_cast`` is a distinct count over every counted vote. Recounting it each batch
    would grow with the constituency (quadratic over a 10-million-row export), so a loader
    that knows exactly how many voter keys a batch added passes them in ``new_voters`` and
    the stored total is advanced by that number; everything else is recounted.
    """
    ids = sorted(set(constituency_ids))
    if not ids:
        return
    new_voters = new_voters or {}
    stored_votes = dict(
        conn.execute(
            select(Constituency.id, Constituency.votes_cast).where(Constituency.id.in_(ids))
        ).all()
    )
    hourly = {
        row[0]: row[1:]
        for row in conn.execute(
            select(
                HourlyStats.constituency_id,
                func.coalesce(func.sum(HourlyStats.bulletins_issued), 0),
                func.coalesce(func.sum(HourlyStats.vote_calls), 0),
                func.coalesce(func.sum(HourlyStats.rejected_votes), 0),
            )
            .where(HourlyStats.constituency_id.in_(ids))
            .group_by(HourlyStats.constituency_id)
        )
    }
    voters_query = (
        select(func.count(func.distinct(Transaction.voter_key)))
        .where(Transaction.constituency_id == bindparam("cid"))
        .where(Transaction.voter_key.is_not(None))
    )
    last_tx_query = select(func.max(Transaction.timestamp)).where(
        Transaction.constituency_id == bindparam("cid")
    )
    facts = _event_facts(conn, ids)
    registered = dict(
        conn.execute(
            select(Constituency.id, Constituency.registered_voters).where(Constituency.id.in_(ids))
        ).all()
    )
    now = utcnow()
    for cid in ids:
        bulletins, vote_calls, rejected = hourly.get(cid, (0, 0, 0))
        if cid in new_voters:
            votes = int(stored_votes.get(cid) or 0) + new_voters[cid]
        else:
            votes = int(conn.execute(voters_query, {"cid": cid}).scalar_one())
        last_tx = conn.execute(last_tx_query, {"cid": cid}).scalar_one()
        fact = facts.get(cid, {})
        denominator = int(registered.get(cid) or 0) or int(fact.get("voters_listed", 0))
        last_data = _latest(last_tx, fact.get("last_event"))
        status = (
            ConstituencyStatus.COMPLETED.value
            if fact.get("finished")
            else ConstituencyStatus.ACTIVE.value
        )
        values: dict[str, Any] = {
            "bulletins_issued": int(bulletins),
            "votes_cast": votes,
            "revotes": int(vote_calls) - votes,
            "rejected_votes": int(rejected),
            "participation_rate": round(100.0 * votes / denominator, 4) if denominator else 0.0,
            "last_update_time": now,
            "last_data_time": last_data,
            "voters_listed": int(fact.get("voters_listed", 0)),
            "voting_start": fact.get("voting_start"),
            "voting_end": fact.get("voting_end"),
            "revote_blocked": fact.get("revote_blocked"),
            "status": status,
        }
        conn.execute(update(Constituency).where(Constituency.id == cid).values(**values))
        name = fact.get("name")
        if name:  # the voting's own name replaces the placeholder of an inferred constituency
            conn.execute(
                update(Constituency)
                .where(Constituency.id == cid, Constituency.inferred.is_(True))
                .values(name=name)
            )


def _latest(*values: datetime | None) -> datetime | None:
    present = [ensure_utc(v) for v in values if v is not None]
    return max(present) if present else None


def _event_facts(conn: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """What the lifecycle and voter-list calls say about each voting."""
    facts: dict[str, dict[str, Any]] = defaultdict(dict)
    rows = conn.execute(
        select(
            ContractEvent.constituency_id,
            ContractEvent.operation,
            ContractEvent.timestamp,
            ContractEvent.details,
        )
        .where(ContractEvent.constituency_id.in_(ids), ContractEvent.rolled_back.is_(False))
        .order_by(ContractEvent.timestamp, ContractEvent.id)
    )
    for cid, operation, ts, details in rows:
        fact = facts[cid]
        details = details or {}
        fact["last_event"] = _latest(fact.get("last_event"), ts)
        if details.get("accepted") is False:
            continue  # the contract refused the call: it changed nothing
        if operation == "createContract":
            base = details.get("voting_base") or {}
            fact.setdefault("voting_start", _as_datetime(base.get("dateStart")))
            fact.setdefault("voting_end", _as_datetime(base.get("dateEnd")))
            if "isRevoteBlocked" in base:
                fact["revote_blocked"] = bool(base["isRevoteBlocked"])
            if base.get("name"):
                fact["name"] = str(base["name"])
        elif operation == "startVoting":
            fact["voting_start"] = _as_datetime(details.get("date")) or ts
        elif operation == "finishVoting":
            fact["voting_end"] = _as_datetime(details.get("date")) or ts
            fact["finished"] = True
        elif operation in ("addVotersList", "addToVotersList"):
            fact["voters_listed"] = fact.get("voters_listed", 0) + int(details.get("voters", 0))
        elif operation == "removeFromVotersList":
            fact["voters_listed"] = fact.get("voters_listed", 0) - int(details.get("voters", 0))
    return facts


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return ensure_utc(value)
    if isinstance(value, int | float):
        try:  # an event's own date is publisher data: out of range is no date, not a crash
            return datetime.fromtimestamp(value / 1000.0, UTC)
        except (ValueError, OverflowError, OSError):
            return None
    try:
        return parse_datetime(str(value))
    except ValueError:
        return None
