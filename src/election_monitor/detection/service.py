"""Run the detectors and reconcile their signals into alerts and anomaly scores.

Input: stored tables (hourly statistics, constituency totals, contract events, narrow
indexed transaction queries). Output: alerts (raised, updated, escalated, reopened,
auto-resolved), ``Constituency.anomaly_score`` and its explanation in ``anomaly_scores``.

Two entry points that reach the same state on the same data:
- ``detect``: everything for one election or all (``elmon detect``).
- ``DetectionHook``: an ingest ``BatchHook``; after each commit it runs the exact rules for
  the constituencies and hours the commit touched, and the statistical and cross-constituency
  rules whenever an hour of the election becomes complete (or a late file changes one).
  Every statistical quantity at hour t uses data up to t only, so the order of arrival does
  not change the result.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from election_monitor.alerts.lifecycle import OPEN_STATUSES
from election_monitor.alerts.service import (
    Reconciled,
    Signal,
    auto_resolve,
    index_alerts,
    raise_or_update,
    wake_expired_snoozes,
    withdraw,
)
from election_monitor.detection.frame import (
    Frame,
    election_ids,
    load_frame,
    settled_horizon,
)
from election_monitor.detection.rules import REGISTRY, Context, Rule
from election_monitor.detection.score import score_constituencies
from election_monitor.detection.settings import DetectionSettings, SettingsFile, load_settings_file
from election_monitor.enums import AlertType, ConstituencyStatus
from election_monitor.models import (
    Alert,
    AnomalyScore,
    Constituency,
    Election,
    FileProcessingJob,
    Transaction,
)
from election_monitor.timeutil import ensure_utc, utcnow


@dataclass
class DetectionReport:
    """What one run did for one election."""

    election_id: str
    mode: str  # full, exact, statistical
    signals: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    reconciled: dict[str, int] = field(default_factory=dict)
    scored: int = 0
    data_time: str | None = None
    closed_hours: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class DetectionTotals:
    """What a long-lived hook did since it was created, in counts (bounded memory)."""

    passes: dict[str, int] = field(default_factory=dict)  # mode -> runs
    signals: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    reconciled: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, report: DetectionReport) -> None:
        self.passes[report.mode] = self.passes.get(report.mode, 0) + 1
        self.signals += report.signals
        for name, counts in (("by_rule", report.by_rule), ("reconciled", report.reconciled)):
            mine = getattr(self, name)
            for key, value in counts.items():
                mine[key] = mine.get(key, 0) + value
        self.seconds += report.seconds

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "seconds": round(self.seconds, 3)}


def exact_rules() -> list[Rule]:
    return [cls() for cls in REGISTRY.values() if not cls.statistical]


def statistical_rules() -> list[Rule]:
    return [cls() for cls in REGISTRY.values() if cls.statistical]


def _settings(conn: Connection, file: SettingsFile, election_id: str) -> DetectionSettings:
    name = conn.scalar(select(Election.name).where(Election.id == election_id))
    return file.for_election(election_id=election_id, election_name=name)


def _evaluate(rules: list[Rule], ctx: Context, report: DetectionReport) -> list[Signal]:
    signals: list[Signal] = []
    for rule in rules:
        found = rule.evaluate(ctx)
        report.by_rule[rule.id] = report.by_rule.get(rule.id, 0) + len(found)
        signals.extend(found)
    report.signals += len(signals)
    return signals


def _election_alerts(db: Session, election_id: str) -> list[Alert]:
    return list(
        db.scalars(
            select(Alert)
            .join(Constituency, Constituency.id == Alert.constituency_id)
            .where(Constituency.election_id == election_id)
        )
    )


def _reconcile(
    db: Session,
    election_id: str,
    signals: list[Signal],
    *,
    settings: DetectionSettings,
    resolve_at: datetime | None,
) -> tuple[Reconciled, list[Alert]]:
    alerts = _election_alerts(db, election_id)
    index = index_alerts(alerts)
    result = Reconciled()
    now = utcnow()
    for signal in sorted(signals, key=lambda s: s.fingerprint):
        raise_or_update(db, signal, index=index, now=now, result=result)
    alerts = list(index.values())
    if resolve_at is not None:
        current = {signal.fingerprint for signal in signals}
        result.resolved += withdraw(db, alerts, keep=current, now=now)
        auto_resolve(
            db,
            alerts,
            data_time=resolve_at,
            clean_hours=settings.clean_hours,
            now=now,
            result=result,
        )
    db.flush()
    return result, alerts


def _store_scores(
    conn: Connection,
    election_id: str,
    constituency_ids: list[str],
    signals: list[Signal],
    alerts: list[Alert],
    data_time: datetime | None,
) -> int:
    """Recompute every constituency's score from this pass's statistical signals and the
    open exact alerts; write ``anomaly_score`` and the explanation."""
    evidence = [s for s in signals if s.statistical]
    for alert in alerts:
        details = alert.details or {}
        if details.get("statistical") or alert.status not in OPEN_STATUSES:
            continue
        evidence.append(
            Signal(
                constituency_id=alert.constituency_id,
                type=alert.type,
                window_key=str(details.get("window_key", "")),
                severity=alert.severity,
                title=alert.title,
                description="",
                evidence={},
                last_seen=str(details.get("last_seen") or ""),
                magnitude=0.0,
                statistical=False,
                family=str(details.get("family") or "integrity"),
            )
        )
    scores = score_constituencies(evidence, data_time=data_time)
    now = utcnow()
    if constituency_ids:
        conn.execute(
            update(Constituency)
            .where(Constituency.id == bindparam("cid"))
            .values(anomaly_score=bindparam("score"))
            .execution_options(synchronize_session=False),
            [{"cid": cid, "score": scores.get(cid, (0.0, []))[0]} for cid in constituency_ids],
        )
    conn.execute(delete(AnomalyScore).where(AnomalyScore.constituency_id.in_(constituency_ids)))
    rows = [
        {
            "constituency_id": cid,
            "score": score,
            "components": components,
            "data_time": data_time,
            "computed_at": now,
        }
        for cid, (score, components) in scores.items()
        if cid in set(constituency_ids)
    ]
    if rows:
        conn.execute(insert(AnomalyScore), rows)
    return len(rows)


def _statistical_pass(
    conn: Connection,
    db: Session,
    election_id: str,
    settings: DetectionSettings,
    report: DetectionReport,
    frame: Frame | None = None,
    *,
    hold_awaiting: bool = False,
) -> None:
    frame = frame or load_frame(conn, election_id, settings, hold_awaiting=hold_awaiting)
    ctx = Context(conn=conn, frame=frame, settings=settings, scope={f.id for f in frame.facts})
    signals = _evaluate(statistical_rules(), ctx, report)
    data_time = frame.horizon if frame.closed else None
    result, alerts = _reconcile(db, election_id, signals, settings=settings, resolve_at=data_time)
    _merge(report, result)
    report.scored = _store_scores(
        conn, election_id, [f.id for f in frame.facts], signals, alerts, data_time
    )
    report.closed_hours = frame.closed
    report.data_time = frame.newest.isoformat() if frame.newest else None
    _mark_offline(conn, election_id, signals)


def _mark_offline(conn: Connection, election_id: str, signals: list[Signal]) -> None:
    """Constituencies silent up to the horizon are ``offline``; back to ``active`` once not."""
    silent = sorted(
        {
            s.constituency_id
            for s in signals
            if s.type == AlertType.CONSTITUENCY_OFFLINE.value
            and s.evidence.get("ongoing")
            and s.evidence.get("scope") != "platform"
        }
    )
    active, offline = ConstituencyStatus.ACTIVE.value, ConstituencyStatus.OFFLINE.value
    in_election = Constituency.election_id == election_id
    conn.execute(
        update(Constituency)
        .where(in_election, Constituency.status == offline, Constituency.id.not_in(silent))
        .values(status=active)
    )
    if silent:
        conn.execute(
            update(Constituency)
            .where(in_election, Constituency.status == active, Constituency.id.in_(silent))
            .values(status=offline)
        )


def _merge(report: DetectionReport, result: Reconciled) -> None:
    for key, value in result.as_dict().items():
        report.reconciled[key] = report.reconciled.get(key, 0) + value


def detect(
    conn: Connection,
    *,
    election_id: str | None = None,
    settings_path: Path | str | None = None,
    settings_file: SettingsFile | None = None,
) -> list[DetectionReport]:
    """Run every rule for one election (or all) from scratch; reconcile alerts and scores."""
    file = settings_file or load_settings_file(settings_path)
    ids = [election_id] if election_id else election_ids(conn)
    reports = []
    with Session(
        bind=conn, autoflush=False, expire_on_commit=False, join_transaction_mode="rollback_only"
    ) as db:
        wake_expired_snoozes(db)
        for eid in ids:
            started = time.perf_counter()
            settings = _settings(conn, file, eid)
            report = DetectionReport(election_id=eid, mode="full")
            frame = load_frame(conn, eid, settings)
            ctx = Context(
                conn=conn, frame=frame, settings=settings, scope={f.id for f in frame.facts}
            )
            exact = _evaluate(exact_rules(), ctx, report)
            result, _ = _reconcile(db, eid, exact, settings=settings, resolve_at=None)
            _merge(report, result)
            _statistical_pass(conn, db, eid, settings, report, frame)
            report.seconds = round(time.perf_counter() - started, 3)
            reports.append(report)
        db.flush()
    return reports


def _loading_for(conn: Connection, election_id: str, minutes: float) -> bool:
    """Whether the election's first file started loading at least ``minutes`` ago (wall
    time): from then on a constituency without any data stops holding the horizon back.
    Jobs loaded without ``--election-id`` name no election; they count for every one."""
    first = conn.scalar(
        select(func.min(FileProcessingJob.started_at)).where(
            (FileProcessingJob.election_id == election_id) | FileProcessingJob.election_id.is_(None)
        )
    )
    if first is None:
        return False
    return (utcnow() - ensure_utc(first)).total_seconds() >= minutes * 60.0


class DetectionHook:
    """An ingest hook: incremental detection inside the ingest's transactions.

    - after each commit, the exact rules for the constituencies and hours it touched
      (O(commit));
    - after a commit that closed files, the statistical pass, but only when the data
      horizon moved (an hour settled for the whole election) or when data arrived below
      the horizon already evaluated (a late file), and then at most once per
      ``refit_seconds``;
    - at the end of a run, whatever is still pending.
    Every statistical quantity at hour t uses settled data up to t only, so the alerts do not
    depend on the order the files arrive in. A constituency with no data at all holds back
    the hours it owes until the election has been loading for ``awaiting_release_minutes``
    (its export may simply not have been read yet).
    """

    KEEP_REPORTS = 64

    def __init__(
        self,
        *,
        settings_path: Path | str | None = None,
        settings_file: SettingsFile | None = None,
    ) -> None:
        self.file = settings_file or load_settings_file(settings_path)
        #: election id -> the settled horizon its last statistical pass evaluated
        self.evaluated_through: dict[str, datetime] = {}
        #: elections with data since their last statistical pass -> it reached below the
        #: horizon evaluated then (a late file)
        self.pending: dict[str, bool] = {}
        #: election id -> the horizon of complete coverage at its last statistical pass
        self.evaluated_complete: dict[str, datetime] = {}
        self.last_pass: dict[str, float] = {}
        #: the latest reports only (a watch or a 36,000-file run makes one per commit);
        #: ``totals`` counts all of them
        self.reports: deque[DetectionReport] = deque(maxlen=self.KEEP_REPORTS)
        self.totals = DetectionTotals()

    def __call__(self, conn: Connection, batch: Any) -> None:
        touched: set[str] = set(batch.constituencies) | {c for c, _ in batch.buckets}
        conflicts = [r.tx_id for r in batch.rejections if r.kind == "conflict" and r.tx_id]
        if conflicts:
            touched |= set(
                conn.scalars(
                    select(Transaction.constituency_id).where(Transaction.id.in_(conflicts))
                )
            )
        if not touched and not conflicts:
            return
        with Session(
            bind=conn,
            autoflush=False,
            expire_on_commit=False,
            join_transaction_mode="rollback_only",
        ) as db:
            for eid in election_ids(conn, touched):
                self._exact(conn, db, eid, touched, batch, conflicts)
            db.flush()

    def file_done(self, conn: Connection) -> None:
        """A file is fully read: run the statistical pass where an hour settled."""
        self._statistical(conn, force=False)

    def finish(self, conn: Connection) -> None:
        """The run is over: nothing stays pending."""
        self._statistical(conn, force=True)

    def _exact(
        self,
        conn: Connection,
        db: Session,
        election_id: str,
        touched: set[str],
        batch: Any,
        conflicts: list[str],
    ) -> None:
        started = time.perf_counter()
        settings = _settings(conn, self.file, election_id)
        report = DetectionReport(election_id=election_id, mode="exact")
        frame = load_frame(conn, election_id, settings, only=touched)
        ctx = Context(
            conn=conn,
            frame=frame,
            settings=settings,
            scope={f.id for f in frame.facts if f.id in touched},
            touched=set(batch.buckets),
            conflict_tx_ids=conflicts,
        )
        exact = _evaluate(exact_rules(), ctx, report)
        result, _ = _reconcile(db, election_id, exact, settings=settings, resolve_at=None)
        _merge(report, result)
        evaluated = self.evaluated_through.get(election_id)
        late = evaluated is not None and any(hour < evaluated for _, hour in batch.buckets)
        self.pending[election_id] = self.pending.get(election_id, False) or late
        report.seconds = round(time.perf_counter() - started, 3)
        self._record(report)

    def _record(self, report: DetectionReport) -> None:
        self.reports.append(report)
        self.totals.add(report)

    def _statistical(self, conn: Connection, *, force: bool) -> None:
        if not self.pending:
            return
        with Session(
            bind=conn,
            autoflush=False,
            expire_on_commit=False,
            join_transaction_mode="rollback_only",
        ) as db:
            for election_id, late in sorted(self.pending.items()):
                settings = _settings(conn, self.file, election_id)
                hold = not _loading_for(conn, election_id, settings.awaiting_release_minutes)
                horizon, complete = settled_horizon(conn, election_id, settings, hold_awaiting=hold)
                moved = horizon != self.evaluated_through.get(election_id)
                if not (moved or late):
                    del self.pending[election_id]
                    continue
                # Hours every constituency's data covers are final: score them now. Hours
                # settled by the quorum, or late data, wait for refit_seconds or the end of
                # the run (more files of the same run may still fill them in).
                covered = complete > self.evaluated_complete.get(
                    election_id, datetime.min.replace(tzinfo=UTC)
                )
                since = time.perf_counter() - self.last_pass.get(election_id, -math.inf)
                if not (force or covered or since >= settings.refit_seconds):
                    continue
                started = time.perf_counter()
                report = DetectionReport(election_id=election_id, mode="statistical")
                wake_expired_snoozes(db)
                _statistical_pass(conn, db, election_id, settings, report, hold_awaiting=hold)
                report.seconds = round(time.perf_counter() - started, 3)
                self._record(report)
                self.evaluated_through[election_id] = horizon
                self.evaluated_complete[election_id] = complete
                self.last_pass[election_id] = time.perf_counter()
                del self.pending[election_id]
            db.flush()
