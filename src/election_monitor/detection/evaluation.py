"""Score detection against a simulator's ground truth (``truth.json``).

``score_run`` is pure: alerts (as dicts) and a truth document in, figures out. ``evaluate_seed``
runs the whole chain for one simulated election: simulate, import the registry, ingest,
detect, score. Figures (research/detection.md §8.4): recall per anomaly type and magnitude,
alert precision, false alerts per 100 clean constituency-days (warning and critical apart),
and detection delay in hours of data.

``evaluate_arrivals`` replays one simulated election in several arrival orders
(``detection.arrival``) and scores every alert ever raised in each (withdrawn and
auto-resolved ones included: someone was woken for them), with the set of
(type, constituency, hour, severity) of each order compared with the reference run's.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from scipy.stats import nbinom

from election_monitor.simulate.anomalies import PLATFORM_OUTAGE
from election_monitor.timeutil import parse_datetime

#: anomaly type -> alert types that count as detecting it
COMPATIBLE: dict[str, set[str]] = {
    "unusual_spike": {"unusual_spike", "correlated_spike", "night_activity"},
    "correlated_spike": {"correlated_spike", "unusual_spike"},
    "night_activity": {"night_activity", "unusual_spike"},
    "unusual_drop": {"unusual_drop", "constituency_offline"},
    "constituency_offline": {"constituency_offline"},
    "baseline_deviation": {"baseline_deviation"},
    "high_rejection_rate": {"high_rejection_rate"},
}
#: How long after an anomaly's end an alert still counts (hours of data).
LATE_HOURS = 2.0


#: An injection is declared detectable when an oracle that knows its clean expectation mu
#: exactly would find the injected count at this tail probability under twice-Poisson noise
#: (negative binomial with variance 2 mu): the physical limit of hourly counts, whatever the
#: detector. Injections without a count size (deviation, rejection) have no declared size.
DETECTABLE_P = 1e-6


def detectable(anomaly: dict[str, Any]) -> bool | None:
    """Whether ``anomaly`` is large enough to be found from hourly counts (None: no size)."""
    details = anomaly.get("details") or {}
    mu, seen = details.get("expected_bulletins"), details.get("injected_bulletins")
    if mu is None or seen is None:
        return None
    mu = float(mu)
    if mu <= 0:
        return False
    up = seen > mu
    tail = nbinom.sf(seen - 1, mu, 0.5) if up else nbinom.cdf(seen, mu, 0.5)
    return float(tail) <= DETECTABLE_P


def _first_evidence(alert: dict[str, Any]) -> str | None:
    d = alert.get("details") or {}
    for key in ("hours",):
        if d.get(key) and isinstance(d[key], list) and d[key][0].get("hour"):
            return str(d[key][0]["hour"])
    if isinstance(d.get("window"), dict) and d["window"].get("start"):
        return str(d["window"]["start"])
    for key in ("first_flagged", "at", "first", "first_exceeded", "last_seen"):
        if d.get(key):
            return str(d[key])
    return None


@dataclass
class Evaluation:
    """The figures of one or more runs (sums; rates are derived)."""

    detected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    injected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    delays: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    alerts: int = 0
    true_alerts: int = 0
    clean_days: float = 0.0
    false_warning: int = 0
    false_critical: int = 0
    false_by_type: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: false alerts that were later withdrawn or auto-resolved (still counted as false)
    false_withdrawn: int = 0
    #: one row per false alert: type, severity, constituency, hour, title
    false_alerts: list[dict[str, Any]] = field(default_factory=list)
    #: one row per injection: key, detected, the simulator's expected bulletins in its window
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    #: the same counts over the injections of a declared detectable size (``detectable``)
    detectable_injected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    detectable_detected: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, other: Evaluation) -> None:
        for k, v in other.detected.items():
            self.detected[k] += v
        for k, v in other.injected.items():
            self.injected[k] += v
        for k, vs in other.delays.items():
            self.delays[k].extend(vs)
        for k, v in other.detectable_injected.items():
            self.detectable_injected[k] += v
        for k, v in other.detectable_detected.items():
            self.detectable_detected[k] += v
        for k, v in other.false_by_type.items():
            self.false_by_type[k] += v
        self.outcomes.extend(other.outcomes)
        self.false_alerts.extend(other.false_alerts)
        self.false_withdrawn += other.false_withdrawn
        self.alerts += other.alerts
        self.true_alerts += other.true_alerts
        self.clean_days += other.clean_days
        self.false_warning += other.false_warning
        self.false_critical += other.false_critical

    def as_dict(self) -> dict[str, Any]:
        per: dict[str, dict[str, Any]] = {}
        for key in sorted(self.injected):
            delays = sorted(self.delays.get(key, []))
            per[key] = {
                "injected": self.injected[key],
                "detected": self.detected.get(key, 0),
                "recall": round(self.detected.get(key, 0) / self.injected[key], 3),
                "median_delay_h": delays[len(delays) // 2] if delays else None,
            }
            if key in self.detectable_injected:
                n = self.detectable_injected[key]
                hit = self.detectable_detected.get(key, 0)
                per[key]["detectable"] = {
                    "injected": n,
                    "detected": hit,
                    "recall": round(hit / n, 3) if n else None,
                }
        days = self.clean_days or 1.0
        return {
            "recall": per,
            "precision": round(self.true_alerts / self.alerts, 3) if self.alerts else None,
            "alerts": self.alerts,
            "false_warning_per_100_clean_days": round(100 * self.false_warning / days, 3),
            "false_critical_per_100_clean_days": round(100 * self.false_critical / days, 3),
            "false_by_type": dict(self.false_by_type),
            "false_withdrawn": self.false_withdrawn,
            "clean_constituency_days": round(self.clean_days, 1),
        }


def score_run(alerts: list[dict[str, Any]], truth: dict[str, Any]) -> Evaluation:
    """Compare one run's alerts with its ground truth."""
    ev = Evaluation()
    everything = truth.get("anomalies", [])
    platform_outages = [x for x in everything if x["type"] == PLATFORM_OUTAGE]
    anomalies = [x for x in everything if x["type"] != PLATFORM_OUTAGE]
    by_c: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in alerts:
        by_c[a["constituency_id"]].append(a)
    injected_cs = {x["constituency_id"] for x in anomalies}
    groups: dict[tuple[str, str], list[float | None]] = {}
    for x in anomalies:
        key = anomaly_key(x)
        ev.injected[key] += 1
        start, end = parse_datetime(x["start"]), parse_datetime(x["end"])
        types = COMPATIBLE.get(x["type"], {x["type"]})
        best: float | None = None
        best_own: float | None = None  # by an alert of the anomaly's own type
        for a in by_c.get(x["constituency_id"], []):
            if a["type"] not in types:
                continue
            first = _first_evidence(a)
            if x["type"] in COMPATIBLE and first is not None:
                at = parse_datetime(first)
                if at > end.replace() and (at - end).total_seconds() / 3600 > LATE_HOURS:
                    continue
                delay = max(0.0, (at - start).total_seconds() / 3600)
            else:
                delay = 0.0
            best = delay if best is None else min(best, delay)
            if a["type"] == x["type"]:
                best_own = delay if best_own is None else min(best_own, delay)
        if best is not None:
            ev.detected[key] += 1
            ev.delays[key].append(round(best, 2))
        sized = detectable(x)
        if sized is not None:
            ev.detectable_injected[key] += int(sized)
            ev.detectable_detected[key] += int(sized and best is not None)
        ev.outcomes.append(
            {
                "key": key,
                "detected": best is not None,
                "expected_bulletins": (x.get("details") or {}).get("expected_bulletins"),
                "detectable": sized,
            }
        )
        group = (x.get("details") or {}).get("group")
        if group is not None:
            groups.setdefault((key, group), []).append(best_own)
    # A group event counts once: found when any member's alert of the group's own type
    # (which names the group) is raised in time.
    for (key, _), bests in groups.items():
        group_key = f"{key} (groups)"
        ev.injected[group_key] += 1
        found = [b for b in bests if b is not None]
        if found:
            ev.detected[group_key] += 1
            ev.delays[group_key].append(min(found))
    platform_alerts = [a for a in alerts if (a.get("details") or {}).get("scope") == "platform"]
    for outage in {x["id"]: x for x in platform_outages}.values():
        key = f"{PLATFORM_OUTAGE}@{outage.get('magnitude')}"
        ev.injected[key] += 1
        start, end = parse_datetime(outage["start"]), parse_datetime(outage["end"])
        for a in platform_alerts:
            first = _first_evidence(a)
            at = parse_datetime(first) if first else start
            if start - timedelta(hours=1) <= at <= end + timedelta(hours=LATE_HOURS):
                ev.detected[key] += 1
                ev.delays[key].append(round(max(0.0, (at - start).total_seconds() / 3600), 2))
                break
    election = truth.get("election", {})
    hours = 0.0
    if election.get("start") and election.get("end"):
        span = parse_datetime(election["end"]) - parse_datetime(election["start"])
        hours = span.total_seconds() / 3600
    clean = set(truth.get("clean_constituencies", []))
    ev.clean_days = len(clean) * hours / 24
    for a in alerts:
        # a platform alert is true when the platform did go down (it names one of them)
        platform = (a.get("details") or {}).get("scope") == "platform" and bool(platform_outages)
        ev.alerts += 1
        if a["constituency_id"] in injected_cs or platform:
            ev.true_alerts += 1
        elif a["constituency_id"] in clean:
            ev.false_by_type[a["type"]] += 1
            if a.get("withdrawn"):
                ev.false_withdrawn += 1
            if a["severity"] == "critical":
                ev.false_critical += 1
            else:
                ev.false_warning += 1
            ev.false_alerts.append(_false_alert_row(a))
    return ev


def anomaly_key(anomaly: dict[str, Any]) -> str:
    """How an injection is reported: ``type@magnitude``, plus its scope for group events."""
    key = f"{anomaly['type']}@{anomaly.get('magnitude')}"
    scope = (anomaly.get("details") or {}).get("scope")
    return f"{key} [{scope}]" if scope else key


def _false_alert_row(alert: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": alert["type"],
        "severity": alert["severity"],
        "constituency_id": alert["constituency_id"],
        "hour": alert_hour(alert),
        "title": alert.get("title"),
        "withdrawn": bool(alert.get("withdrawn")),
        "status": alert.get("status"),
    }


def register_simulated_election(engine: Any, registry: Path, truth: dict[str, Any]) -> str:
    """Create the simulated election (from ``truth.json``) and import its registry; its id."""
    from sqlalchemy.orm import Session

    from election_monitor.ingest.registry import import_registry
    from election_monitor.models import Election

    e = truth["election"]
    with Session(engine) as db:
        election = Election(
            name=e["name"],
            start_date=parse_datetime(e["start"]),
            end_date=parse_datetime(e["end"]),
            timezone=e["timezone"],
        )
        db.add(election)
        db.commit()
        import_registry(db, registry, election_id=election.id)
        db.commit()
        return str(election.id)


def prepare_seed(
    *,
    seed: int,
    constituencies: int,
    anomalies: str = "all",
    workdir: Path | None = None,
    name: str | None = None,
    **config: Any,
) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """Simulate, import the registry and ingest one election into its own SQLite file.

    Returns the database path, the truth document and timings. The database can be scored
    again with :func:`detect_and_score` after the detectors change (no re-ingest).
    """
    import time

    import orjson

    from election_monitor.db import migrate
    from election_monitor.db.session import make_engine
    from election_monitor.ingest.service import ingest_paths
    from election_monitor.simulate.config import SimulationConfig
    from election_monitor.simulate.runner import simulate

    base = Path(workdir or tempfile.mkdtemp(prefix="elmon-eval-"))
    label = name or f"seed{seed}"
    out = base / label
    t0 = time.perf_counter()
    summary = simulate(
        out,
        SimulationConfig(seed=seed, constituencies=constituencies, anomalies=anomalies, **config),
        overwrite=True,
    )
    truth = orjson.loads(summary.truth_path.read_bytes())
    db_path = base / f"{label}.db"
    db_path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db_path}")
    migrate.upgrade(engine)
    election_id = register_simulated_election(engine, summary.registry, truth)
    t1 = time.perf_counter()
    ingest_paths(engine, [summary.data_dir], election_id=election_id)
    t2 = time.perf_counter()
    engine.dispose()
    return db_path, truth, {"simulate_s": round(t1 - t0, 2), "ingest_s": round(t2 - t1, 2)}


def detect_and_score(
    db_path: Path, truth: dict[str, Any], *, settings_path: Path | str | None = None
) -> tuple[Evaluation, dict[str, Any]]:
    """Forget earlier alerts, run detection from scratch on an ingested election, score it."""
    import time

    from sqlalchemy import delete, select
    from sqlalchemy.orm import Session

    from election_monitor.db.session import make_engine
    from election_monitor.detection.service import detect
    from election_monitor.models import Alert, AlertEvent, AnomalyScore

    engine = make_engine(f"sqlite:///{db_path}")
    with engine.begin() as conn:
        for table in (AlertEvent, AnomalyScore, Alert):
            conn.execute(delete(table))
    t0 = time.perf_counter()
    with engine.begin() as conn:
        reports = detect(conn, settings_path=settings_path)
    t1 = time.perf_counter()
    with Session(engine) as db:
        alerts = [
            {
                "constituency_id": a.constituency_id,
                "type": a.type,
                "severity": a.severity,
                "status": a.status,
                "details": a.details,
            }
            for a in db.scalars(select(Alert))
        ]
    engine.dispose()
    timings = {"detect_s": round(t1 - t0, 2), "detect_report": [r.as_dict() for r in reports]}
    return score_run(alerts, truth), timings


def evaluate_seed(
    *,
    seed: int,
    constituencies: int,
    anomalies: str = "all",
    workdir: Path | None = None,
    **config: Any,
) -> tuple[Evaluation, dict[str, Any]]:
    """Simulate, ingest, detect and score one election; returns the figures and timings."""
    db_path, truth, timings = prepare_seed(
        seed=seed, constituencies=constituencies, anomalies=anomalies, workdir=workdir, **config
    )
    ev, more = detect_and_score(db_path, truth)
    return ev, {**timings, **more}


# -- every alert ever raised, and the order-independence check ------------------------------

AlertKey = tuple[str, str, str, str]  # (type, constituency, hour, severity)


def alert_hour(alert: dict[str, Any]) -> str:
    """The UTC hour an alert is about: its first evidence, else its window key."""
    first = _first_evidence(alert)
    if first is not None:
        try:
            moment = parse_datetime(first)
        except ValueError:
            return first
        return moment.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:00Z")
    return str((alert.get("details") or {}).get("window_key", ""))


def alert_key(alert: dict[str, Any]) -> AlertKey:
    """What the order-independence check compares: type, constituency, hour, severity."""
    return (alert["type"], alert["constituency_id"], alert_hour(alert), alert["severity"])


def collect_alerts(engine: Any) -> list[dict[str, Any]]:
    """Every alert ever raised (alerts are never deleted), with what its history says.

    ``withdrawn`` is true when the alert was withdrawn or auto-resolved at some point,
    ``escalated`` when it was raised at a lower severity first.
    """
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from election_monitor.models import Alert, AlertEvent

    with Session(engine) as db:
        history: dict[str, set[str]] = defaultdict(set)
        for alert_id, action in db.execute(select(AlertEvent.alert_id, AlertEvent.action)):
            history[alert_id].add(action)
        out = []
        for a in db.scalars(select(Alert)):
            actions = history.get(a.id, set())
            out.append(
                {
                    "id": a.id,
                    "constituency_id": a.constituency_id,
                    "type": a.type,
                    "severity": a.severity,
                    "status": a.status,
                    "title": a.title,
                    "details": a.details,
                    "withdrawn": bool(actions & {"withdrawn", "auto_resolved"}),
                    "escalated": "escalated" in actions,
                }
            )
    return out


def order_difference(
    reference: list[dict[str, Any]], other: list[dict[str, Any]]
) -> dict[str, Any]:
    """How an arrival order's alerts differ from the reference run's (as alert keys)."""
    ref = {alert_key(a) for a in reference}
    got = {alert_key(a) for a in other}
    return {
        "same": ref == got,
        "missing": sorted(ref - got),  # raised from scratch, never in this order
        "extra": sorted(got - ref),  # raised in this order only
    }


@dataclass(frozen=True, slots=True)
class SimulatedElection:
    """One simulated election written both ways: an export per contract and hourly chunks."""

    label: str
    seed: int
    truth: dict[str, Any]
    registry: Path
    contract_files: list[Path]
    hourly_files: list[Path]


def simulate_both_ways(
    *, seed: int, workdir: Path, label: str, hourly: bool = True, **config: Any
) -> SimulatedElection:
    """Simulate one election as one export per contract (and as hourly chunks if asked).

    Both runs use the same seed and options, so they hold the same transactions.
    """
    import orjson

    from election_monitor.simulate.config import Chunking, SimulationConfig
    from election_monitor.simulate.runner import simulate

    base = workdir / label
    single = simulate(
        base / "contract",
        SimulationConfig(seed=seed, chunks=Chunking.SINGLE, **config),
        overwrite=True,
    )
    hourly_files: list[Path] = []
    if hourly:
        chunks = simulate(
            base / "hourly",
            SimulationConfig(seed=seed, chunks=Chunking.HOURLY, **config),
            overwrite=True,
        )
        hourly_files = sorted(chunks.data_dir.iterdir())
    return SimulatedElection(
        label=label,
        seed=seed,
        truth=orjson.loads(single.truth_path.read_bytes()),
        registry=single.registry,
        contract_files=sorted(single.data_dir.iterdir()),
        hourly_files=hourly_files,
    )


@dataclass
class ArrivalRun:
    """One arrival order of one election: every alert it raised and their score."""

    mode: str
    alerts: list[dict[str, Any]]
    evaluation: Evaluation
    seconds: float
    deliveries: int

    @property
    def withdrawn(self) -> int:
        """Alerts that were withdrawn or auto-resolved at some point."""
        return sum(1 for a in self.alerts if a["withdrawn"])


def run_arrival(
    election: SimulatedElection,
    mode: str,
    *,
    workdir: Path,
    database_url: str | None = None,
    settings_path: Path | str | None = None,
    keep_database: bool = False,
) -> ArrivalRun:
    """Load ``election`` into a fresh database in arrival order ``mode`` and score it.

    ``database_url`` (an empty database) defaults to a SQLite file under ``workdir``, deleted
    afterwards unless ``keep_database``.
    """
    import time

    from election_monitor.db import migrate
    from election_monitor.db.session import make_engine
    from election_monitor.detection.arrival import Arrival, replay

    arrival = Arrival(mode)
    files = election.hourly_files if arrival.needs_hourly_files else election.contract_files
    if not files:
        raise ValueError(f"{election.label}: no files for the {mode} arrival mode")
    db_path = workdir / f"{election.label}-{arrival.value}.db"
    if database_url is None:
        db_path.unlink(missing_ok=True)
    engine = make_engine(database_url or f"sqlite:///{db_path}")
    try:
        migrate.upgrade(engine)
        election_id = register_simulated_election(engine, election.registry, election.truth)
        started = time.perf_counter()
        count = replay(
            engine,
            election_id,
            arrival,
            files,
            seed=election.seed,
            workdir=workdir / f"{election.label}-{arrival.value}",
            settings_path=settings_path,
        )
        seconds = time.perf_counter() - started
        alerts = collect_alerts(engine)
    finally:
        engine.dispose()
        if database_url is None and not keep_database:
            db_path.unlink(missing_ok=True)
    return ArrivalRun(arrival.value, alerts, score_run(alerts, election.truth), seconds, count)
