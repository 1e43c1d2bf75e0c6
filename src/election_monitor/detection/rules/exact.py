"""Exact integrity rules: deterministic checks with no statistical false alarms.

They are always evaluated on stored totals, hourly statistics or narrow indexed queries; they
never auto-resolve (a person resolves them, with a note).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

import numpy as np
import orjson
from sqlalchemy import func, select, text

from election_monitor.alerts.service import Signal
from election_monitor.detection.frame import HOUR, ConstituencyFacts
from election_monitor.detection.rules.base import Context, Rule, iso, register
from election_monitor.enums import AlertSeverity, AlertType
from election_monitor.models import (
    Constituency,
    ContractEvent,
    FileProcessingJob,
    RejectedRow,
    Transaction,
    TransactionRollback,
)
from election_monitor.timeutil import ensure_utc

CRIT = AlertSeverity.CRITICAL.value
WARN = AlertSeverity.WARNING.value


def _iso_any(value: Any) -> str:
    """A stored time as ISO text, whether the driver returned a datetime or text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return ensure_utc(value).isoformat()
    return ensure_utc(datetime.fromisoformat(str(value))).isoformat()


def _exact(f: ConstituencyFacts, rule: type[Rule], key: str, **kw: Any) -> Signal:
    return Signal(
        constituency_id=f.id,
        type=rule.alert_type,
        window_key=key,
        severity=kw.pop("severity", rule.default_severity),
        statistical=False,
        family=rule.family,
        **kw,
    )


def cumulative_excess(ctx: Context, c: int, f: ConstituencyFacts) -> tuple[int, int | None]:
    """Largest (voters so far - bulletins so far) at a closed hour end or now, and its hour.

    Voters so far use a lower bound that is exact without revotes and never overstates with
    them: max(final voters - hourly voters after t, the largest single hour so far).
    """
    frame = ctx.frame
    v = frame.votes[c]
    b = frame.bulletins[c]
    after = v.sum() - np.cumsum(v)
    lower = np.maximum(f.votes - after, np.maximum.accumulate(v))
    deficit = lower - np.cumsum(b)
    closed = frame.closed
    best, best_hour = f.votes - f.bulletins, None
    if closed > 0:
        t = int(np.argmax(deficit[:closed]))
        if deficit[t] > best:
            best, best_hour = int(deficit[t]), t
    return int(best), best_hour


@register
class VotesExceedBulletinsCumulative(Rule):
    id = "votes_exceed_bulletins.cumulative"
    alert_type = AlertType.VOTES_EXCEED_BULLETINS.value
    default_severity = CRIT
    family = "integrity"
    inputs = ("constituencies.votes_cast", "constituencies.bulletins_issued", "hourly_stats")
    statistical = False
    summary = "More voters have voted than bulletins were issued, so far (at any hour's end)."

    def evaluate(self, ctx: Context) -> list[Signal]:
        out = []
        for c, f in ctx.in_scope():
            excess, t = cumulative_excess(ctx, c, f)
            if excess < 1:
                continue
            when = ctx.frame.hour(t) + HOUR if t is not None else ctx.frame.newest
            out.append(
                _exact(
                    f,
                    type(self),
                    "cumulative",
                    title=f"{excess} more votes than bulletins issued",
                    description=(
                        f"By {iso(when)}, at least {excess} more voters had cast an accepted vote "
                        f"than bulletins had been issued in {f.name} (totals now: "
                        f"{f.votes} voters, {f.bulletins} bulletins). Every vote needs a bulletin."
                    ),
                    evidence={
                        "excess": excess,
                        "at": iso(when),
                        "votes_cast": f.votes,
                        "bulletins_issued": f.bulletins,
                        "how": "voters so far (lower bound from hourly unique voters) minus "
                        "bulletins issued so far, at each closed hour's end and now",
                    },
                    last_seen=iso(when) or "",
                    magnitude=float(excess),
                )
            )
        return out


@register
class VotesExceedBulletinsValidity(Rule):
    id = "votes_exceed_bulletins.validity"
    alert_type = AlertType.VOTES_EXCEED_BULLETINS.value
    default_severity = CRIT
    family = "integrity"
    inputs = ("hourly_stats.votes_cast", "hourly_stats.bulletins_issued", "constituencies.revotes")
    statistical = False
    summary = (
        "Votes in an hour cannot be covered by bulletins issued within the validity window "
        "(oldest first), beyond any repeat votes."
    )

    def evaluate(self, ctx: Context) -> list[Signal]:
        validity = ctx.settings.bulletin_validity_hours
        if validity <= 0:
            return []
        out = []
        frame = ctx.frame
        for c, f in ctx.in_scope():
            if cumulative_excess(ctx, c, f)[0] >= 1:
                continue  # the cumulative alert already tells this story
            buckets: list[list[float]] = []  # [hour, remaining]
            uncovered = 0.0
            first = last = None
            for t in range(frame.closed):
                if frame.bulletins[c, t] > 0:
                    buckets.append([t, float(frame.bulletins[c, t])])
                buckets = [bk for bk in buckets if bk[0] >= t - validity and bk[1] > 0]
                need = float(frame.votes[c, t])
                for bk in buckets:
                    used = min(bk[1], need)
                    bk[1] -= used
                    need -= used
                    if need <= 0:
                        break
                if need > 0:
                    uncovered += need
                    first = t if first is None else first
                    last = t
            excess = int(uncovered) - f.revotes
            if excess < 1 or first is None or last is None:
                continue
            out.append(
                _exact(
                    f,
                    type(self),
                    "validity",
                    title=f"{excess} votes without a bulletin valid at the time",
                    description=(
                        f"Between {iso(frame.hour(first))} and {iso(frame.hour(last) + HOUR)}, "
                        f"{excess} votes in {f.name} could not be matched to a bulletin issued in "
                        f"the {validity} h before (bulletins expire after that)."
                    ),
                    evidence={
                        "excess": excess,
                        "uncovered_votes": int(uncovered),
                        "repeat_votes_allowed_for": f.revotes,
                        "validity_hours": validity,
                        "window": {
                            "start": iso(frame.hour(first)),
                            "end": iso(frame.hour(last) + HOUR),
                        },
                        "how": "hourly voters matched to bulletins of the previous validity_hours "
                        "hours, oldest first",
                    },
                    last_seen=iso(frame.hour(last) + HOUR) or "",
                    magnitude=float(excess),
                )
            )
        return out


@register
class TurnoutExceedsRegistered(Rule):
    id = "turnout_exceeds_registered"
    alert_type = AlertType.TURNOUT_EXCEEDS_REGISTERED.value
    default_severity = CRIT
    family = "integrity"
    inputs = ("constituencies.registered_voters", "constituencies.voters_listed", "totals")
    statistical = False
    summary = "Bulletins issued or voters exceed the registered voters (else the voter list)."

    def evaluate(self, ctx: Context) -> list[Signal]:
        out = []
        for _, f in ctx.in_scope():
            den = f.denominator
            top = max(f.bulletins, f.votes)
            if den <= 0 or top <= den:
                continue
            what = "bulletins issued" if f.bulletins >= f.votes else "voters"
            c = ctx.frame.index[f.id]
            series = ctx.frame.bulletins[c] if f.bulletins >= f.votes else ctx.frame.votes[c]
            crossed = np.flatnonzero(np.cumsum(series) > den)
            # The hour the count first passed the register: a fact of this constituency's
            # own data, whatever else has been loaded (``last_seen`` is the newest data).
            at = iso(ctx.frame.hour(int(crossed[0]))) if crossed.size else None
            out.append(
                _exact(
                    f,
                    type(self),
                    "",
                    title=f"{what.capitalize()} exceed registered voters ({top} > {den})",
                    description=(
                        f"{f.name} has {top} {what} but only {den} registered voters "
                        f"({100.0 * top / den:.1f}% turnout)."
                    ),
                    evidence={
                        "registered_voters": f.registered,
                        "voters_listed": f.voters_listed,
                        "denominator": den,
                        "bulletins_issued": f.bulletins,
                        "votes_cast": f.votes,
                        "excess": top - den,
                        "first_exceeded": at,
                    },
                    last_seen=iso(ctx.frame.newest) or "",
                    magnitude=float(top - den),
                )
            )
        return out


@register
class DuplicateVote(Rule):
    id = "duplicate_vote.revote_blocked"
    alert_type = AlertType.DUPLICATE_VOTE.value
    default_severity = CRIT
    family = "integrity"
    inputs = ("constituencies.revotes", "constituencies.revote_blocked", "transactions.voter_key")
    statistical = False
    summary = "A voter key has more than one accepted vote where the voting blocks revotes."

    def evaluate(self, ctx: Context) -> list[Signal]:
        out = []
        for _, f in ctx.in_scope():
            blocked = f.revote_blocked
            if blocked is None:
                blocked = ctx.settings.assume_revote_blocked
            if not blocked or f.revotes <= 0:
                continue
            keys = ctx.conn.execute(
                select(Transaction.voter_key, func.count(), func.max(Transaction.timestamp))
                .where(Transaction.constituency_id == f.id, Transaction.voter_key.is_not(None))
                .group_by(Transaction.voter_key)
                .having(func.count() > 1)
                .order_by(func.count().desc(), Transaction.voter_key)
                .limit(10)
            ).all()
            txs = ctx.conn.execute(
                select(Transaction.id, Transaction.voter_key, Transaction.timestamp)
                .where(
                    Transaction.constituency_id == f.id,
                    Transaction.voter_key.in_([k[0] for k in keys]),
                )
                .order_by(Transaction.timestamp, Transaction.id)
                .limit(30)
            ).all()
            latest = max((_iso_any(k[2]) for k in keys), default=iso(ctx.frame.newest) or "")
            out.append(
                _exact(
                    f,
                    type(self),
                    "",
                    title=f"{f.revotes} repeated votes by the same voter keys",
                    description=(
                        f"In {f.name}, where revoting is not allowed, {f.revotes} accepted votes "
                        f"repeat a voter key that had already voted."
                    ),
                    evidence={
                        "repeat_votes": f.revotes,
                        "revote_blocked": f.revote_blocked,
                        "keys": [{"voter_key": k[0], "accepted_votes": int(k[1])} for k in keys],
                        "tx_ids": [t[0] for t in txs],
                    },
                    last_seen=latest,
                    magnitude=float(f.revotes),
                )
            )
        return out


@register
class VoteOutsideWindow(Rule):
    id = "vote_outside_window"
    alert_type = AlertType.VOTE_OUTSIDE_WINDOW.value
    default_severity = CRIT
    family = "integrity"
    inputs = ("constituencies.voting_start", "constituencies.voting_end", "transactions.timestamp")
    statistical = False
    summary = "Accepted votes before the voting opened or after it closed (chain's own dates)."

    def evaluate(self, ctx: Context) -> list[Signal]:
        out = []
        tol = timedelta(seconds=ctx.settings.window_tolerance_seconds)
        frame = ctx.frame
        for c, f in ctx.in_scope():
            for key, bound in (("before", f.voting_start), ("after", f.voting_end)):
                if bound is None:
                    continue
                # The hourly counts rule most constituencies out without a query: no voter in
                # any hour that reaches outside the window means no vote outside it.
                edge = (bound - frame.h0) / HOUR
                if key == "before":
                    hours = frame.votes[c, : max(0, math.ceil(edge))]
                else:
                    hours = frame.votes[c, max(0, math.floor(edge)) :]
                if not hours.sum():
                    continue
                cond = (
                    Transaction.timestamp < bound - tol
                    if key == "before"
                    else Transaction.timestamp > bound + tol
                )
                base = select(Transaction.id, Transaction.timestamp).where(
                    Transaction.constituency_id == f.id, Transaction.voter_key.is_not(None), cond
                )
                count = int(ctx.conn.scalar(select(func.count()).select_from(base.subquery())) or 0)
                if not count:
                    continue
                rows = ctx.conn.execute(
                    base.order_by(Transaction.timestamp, Transaction.id).limit(10)
                ).all()
                last = ctx.conn.scalar(select(func.max(base.subquery().c.timestamp)))
                word = "before voting opened" if key == "before" else "after voting closed"
                out.append(
                    _exact(
                        f,
                        type(self),
                        key,
                        title=f"{count} accepted votes {word}",
                        description=(
                            f"{f.name}: {count} votes were accepted {word} "
                            f"(window {iso(f.voting_start)} - {iso(f.voting_end)})."
                        ),
                        evidence={
                            "count": count,
                            "voting_start": iso(f.voting_start),
                            "voting_end": iso(f.voting_end),
                            "first": iso(rows[0][1]) if rows else None,
                            "tx_ids": [r[0] for r in rows],
                            "tolerance_seconds": ctx.settings.window_tolerance_seconds,
                        },
                        last_seen=_iso_any(last),
                        magnitude=float(count),
                    )
                )
        return out


@register
class ResultsMismatch(Rule):
    id = "results_mismatch"
    alert_type = AlertType.RESULTS_MISMATCH.value
    default_severity = CRIT
    family = "integrity"
    inputs = ("contract_events[results].details.total", "constituencies.votes_cast")
    statistical = False
    summary = "A published results transaction's total differs from the counted voters."

    def evaluate(self, ctx: Context) -> list[Signal]:
        facts = {f.id: f for _, f in ctx.in_scope()}
        if not facts:
            return []
        rows = ctx.conn.execute(
            select(
                ContractEvent.id,
                ContractEvent.constituency_id,
                ContractEvent.timestamp,
                ContractEvent.details,
            )
            .where(
                ContractEvent.operation == "results",
                ContractEvent.rolled_back.is_(False),
                ContractEvent.constituency_id.in_(sorted(facts)),
            )
            .order_by(ContractEvent.timestamp, ContractEvent.id)
        ).all()
        by_c: dict[str, list[Any]] = defaultdict(list)
        for r in rows:
            by_c[r.constituency_id].append(r)
        out = []
        for cid, events in by_c.items():
            f = facts[cid]
            bad = [
                e
                for e in events
                if (e.details or {}).get("total") is not None and int(e.details["total"]) != f.votes
            ]
            if not bad:
                continue
            worst = max(abs(int(e.details["total"]) - f.votes) for e in bad)
            out.append(
                _exact(
                    f,
                    type(self),
                    "",
                    title=f"Published results differ from counted votes by {worst}",
                    description=(
                        f"{f.name}: the results transaction publishes "
                        f"{int(bad[-1].details['total'])} votes; "
                        f"{f.votes} voters have an accepted vote."
                    ),
                    evidence={
                        "counted_votes": f.votes,
                        "published": [
                            {
                                "tx_id": e.id,
                                "at": iso(e.timestamp),
                                "total": int(e.details["total"]),
                                "results": e.details.get("results"),
                            }
                            for e in bad
                        ],
                        "difference": worst,
                    },
                    last_seen=iso(bad[-1].timestamp) or "",
                    magnitude=float(worst),
                )
            )
        return out


@register
class TimestampRegression(Rule):
    id = "data_integrity.ts_regression"
    alert_type = AlertType.DATA_INTEGRITY.value
    default_severity = WARN
    family = "integrity"
    inputs = ("transactions.block_height", "transactions.timestamp")
    statistical = False
    summary = (
        "Along block heights a transaction's timestamp goes backwards by more than the "
        "tolerance (heights and times disagree)."
    )

    def evaluate(self, ctx: Context) -> list[Signal]:
        s = ctx.settings
        ids = sorted(f.id for _, f in ctx.in_scope())
        if not ids:
            return []
        # Formats without heights (deg-export) store 0: one index seek says there is nothing.
        if (
            ctx.conn.scalar(select(Transaction.id).where(Transaction.block_height > 0).limit(1))
            is None
        ):
            return []
        sqlite = ctx.conn.dialect.name == "sqlite"
        back = (
            "(julianday(prev_ts) - julianday(ts)) * 86400.0"
            if sqlite
            else "EXTRACT(EPOCH FROM (prev_ts - ts))"
        )
        params: dict[str, Any] = {"tol": s.ts_regression_warn_seconds}
        where = ""
        if ctx.touched is not None:
            times = [h for c, h in ctx.touched if c in set(ids)]
            if not times:
                return []
            lo, hi = min(times) - HOUR, max(times) + 2 * HOUR
            where = "AND timestamp >= :lo AND timestamp < :hi"
            params.update(lo=_bind_ts(lo, sqlite), hi=_bind_ts(hi, sqlite))
        marks = ",".join(f":c{i}" for i in range(len(ids)))
        params.update({f"c{i}": cid for i, cid in enumerate(ids)})
        query = text(
            f"""
            SELECT constituency_id, id, block_height, ts, prev_id, prev_height, prev_ts,
                   {back} AS back_seconds
            FROM (
                SELECT constituency_id, id, block_height, timestamp AS ts,
                       LAG(id) OVER w AS prev_id, LAG(block_height) OVER w AS prev_height,
                       MAX(timestamp) OVER (PARTITION BY constituency_id
                           ORDER BY block_height, timestamp
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_ts
                FROM transactions
                WHERE block_height > 0 AND constituency_id IN ({marks}) {where}
                WINDOW w AS (PARTITION BY constituency_id ORDER BY block_height, timestamp)
            ) AS ordered
            WHERE prev_ts IS NOT NULL AND block_height > prev_height AND {back} > :tol
            ORDER BY constituency_id, block_height
            """
        )
        hits: dict[str, list[Any]] = defaultdict(list)
        for r in ctx.conn.execute(query, params):
            hits[r.constituency_id].append(r)
        facts = {f.id: f for _, f in ctx.in_scope()}
        out = []
        for cid, rows in hits.items():
            worst = max(float(r.back_seconds) for r in rows)
            severity = CRIT if worst >= s.ts_regression_critical_seconds else WARN
            out.append(
                _exact(
                    facts[cid],
                    type(self),
                    "ts_regression",
                    severity=severity,
                    title=(
                        f"Timestamps go backwards along block heights "
                        f"({len(rows)}x, up to {worst:.0f} s)"
                    ),
                    description=(
                        f"{facts[cid].name}: {len(rows)} transactions in higher blocks carry "
                        f"timestamps up to {worst:.0f} s earlier than a lower block's."
                    ),
                    evidence={
                        "count": len(rows),
                        "max_back_seconds": round(worst, 3),
                        "tolerance_seconds": s.ts_regression_warn_seconds,
                        "examples": [
                            {
                                "tx_id": r.id,
                                "height": int(r.block_height),
                                "timestamp": str(r.ts),
                                "previous_tx_id": r.prev_id,
                                "previous_height": int(r.prev_height or 0),
                                "newest_earlier_timestamp": str(r.prev_ts),
                            }
                            for r in rows[:10]
                        ],
                    },
                    last_seen=max(_iso_any(r.ts) for r in rows),
                    magnitude=float(len(rows)),
                )
            )
        return out


def _bind_ts(value: datetime, sqlite: bool) -> Any:
    """A timestamp as raw SQL compares it (SQLite stores naive UTC text)."""
    if sqlite:
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def _conflict_constituencies(ctx: Context) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """Conflicting rows per constituency, and the data time of each kept version (the alert
    is dated by the data, not by when the second version happened to be read)."""
    rows = ctx.conn.execute(
        select(RejectedRow.tx_id, RejectedRow.source, RejectedRow.line, RejectedRow.created_at)
        .where(RejectedRow.kind == "conflict", RejectedRow.tx_id.is_not(None))
        .order_by(RejectedRow.id)
    ).all()
    if not rows:
        return {}, {}
    tx_ids = sorted({r.tx_id for r in rows})
    owner: dict[str, str] = {}
    when: dict[str, Any] = {}
    for table_id, table_c, table_t in (
        (Transaction.id, Transaction.constituency_id, Transaction.timestamp),
        (ContractEvent.id, ContractEvent.constituency_id, ContractEvent.timestamp),
        (TransactionRollback.tx_id, TransactionRollback.constituency_id, None),
    ):
        columns = [table_id, table_c] if table_t is None else [table_id, table_c, table_t]
        for start in range(0, len(tx_ids), 500):
            chunk = tx_ids[start : start + 500]
            for found in ctx.conn.execute(select(*columns).where(table_id.in_(chunk))):
                owner[found[0]] = found[1]
                if table_t is not None:
                    when[found[0]] = found[2]
    by_c: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        if r.tx_id in owner:
            by_c[owner[r.tx_id]].append(r)
    return by_c, when


def _facts_for(ctx: Context, ids: set[str]) -> dict[str, Any]:
    """Names of constituencies that may lie outside the frame (conflicts, rewritten files)."""
    rows = ctx.conn.execute(
        select(Constituency.id, Constituency.name).where(
            Constituency.id.in_(sorted(ids)), Constituency.election_id == ctx.frame.election_id
        )
    ).all()
    return {r.id: r.name for r in rows}


@register
class TransactionIdConflict(Rule):
    id = "data_integrity.tx_conflict"
    alert_type = AlertType.DATA_INTEGRITY.value
    default_severity = CRIT
    family = "integrity"
    inputs = ("rejected_rows[kind=conflict]",)
    statistical = False
    summary = "A transaction id arrived again with different content (rejected as a conflict)."

    def evaluate(self, ctx: Context) -> list[Signal]:
        if ctx.conflict_tx_ids is not None and not ctx.conflict_tx_ids:
            return []
        by_c, when = _conflict_constituencies(ctx)
        names = _facts_for(ctx, set(by_c))
        out = []
        for cid, rows in sorted(by_c.items()):
            if cid not in names:
                continue
            tx_ids = sorted({r.tx_id for r in rows})
            dated = sorted(_iso_any(when[t]) for t in tx_ids if when.get(t) is not None)
            out.append(
                Signal(
                    constituency_id=cid,
                    type=self.alert_type,
                    window_key="tx_conflict",
                    severity=self.default_severity,
                    title=f"{len(tx_ids)} transaction ids reused with other content",
                    description=(
                        f"{names[cid]}: {len(tx_ids)} transaction ids arrived again with different "
                        "content; the first version is kept, the others are in the rejected rows."
                    ),
                    evidence={
                        "count": len(tx_ids),
                        "first": dated[0] if dated else None,
                        "tx_ids": tx_ids[:20],
                        "rows": [{"source": r.source, "line": r.line} for r in rows[:20]],
                    },
                    last_seen=max(_iso_any(r.created_at) for r in rows),
                    magnitude=float(len(tx_ids)),
                    statistical=False,
                    family=self.family,
                )
            )
        return out


@register
class FileRewritten(Rule):
    id = "data_integrity.file_rewritten"
    alert_type = AlertType.DATA_INTEGRITY.value
    default_severity = WARN
    family = "integrity"
    inputs = ("file_processing_jobs.details.rewritten_from",)
    statistical = False
    summary = "A file already ingested was published again at the same path with other bytes."

    def evaluate(self, ctx: Context) -> list[Signal]:
        rows = ctx.conn.execute(
            select(
                FileProcessingJob.id,
                FileProcessingJob.filename,
                FileProcessingJob.path,
                FileProcessingJob.sha256,
                FileProcessingJob.details,
                FileProcessingJob.started_at,
            )
            .where(FileProcessingJob.details.like("%rewritten_from%"))
            .order_by(FileProcessingJob.started_at, FileProcessingJob.id)
        ).all()
        found: list[tuple[str, Any, dict[str, Any]]] = []
        for r in rows:
            try:
                details = orjson.loads(r.details or "{}")
            except orjson.JSONDecodeError:
                continue
            previous = details.get("rewritten_from")
            if not previous:
                continue
            stem = PurePath(r.filename).name.split("_", 1)[0].split(".", 1)[0]
            found.append((stem, r, previous))
        names = _facts_for(ctx, {stem for stem, _, _ in found})
        by_key: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for stem, r, previous in found:
            if stem in names:
                by_key[(stem, r.filename)].append((r, previous))
        out = []
        for (cid, filename), items in sorted(by_key.items()):
            out.append(
                Signal(
                    constituency_id=cid,
                    type=self.alert_type,
                    window_key=f"rewrite:{filename}",
                    severity=self.default_severity,
                    title=f"File {filename} was rewritten by its publisher",
                    description=(
                        f"{names[cid]}: {filename} was ingested before and published again with "
                        f"different content ({len(items)} time(s))."
                    ),
                    evidence={
                        "file": filename,
                        "versions": [
                            {
                                "job_id": r.id,
                                "path": r.path,
                                "sha256": r.sha256,
                                "previous_job": p.get("previous_job"),
                                "previous_sha256": p.get("previous_sha256"),
                            }
                            for r, p in items
                        ],
                    },
                    last_seen=max(_iso_any(r.started_at) for r, _ in items),
                    magnitude=float(len(items)),
                    statistical=False,
                    family=self.family,
                )
            )
        return out
