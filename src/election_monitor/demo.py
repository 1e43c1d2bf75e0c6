"""``elmon demo``: a compact synthetic election, loaded, checked and briefed in one command.

The demo's data live in one folder (``demo/`` by default): the simulated files and the
database. Running it again reuses what is there: the simulation is deterministic, identical
files are skipped by ingest, and the election and registry are matched, never duplicated.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, select

from election_monitor.crud import ElectionCRUD
from election_monitor.db import migrate, session_scope
from election_monitor.detection.service import detect
from election_monitor.ingest.registry import import_registry
from election_monitor.ingest.service import IngestSummary, ProgressCallback, ingest_paths
from election_monitor.models import Election
from election_monitor.reports.briefing import Briefing, build_briefing
from election_monitor.schemas import ElectionCreate
from election_monitor.simulate import SimulationConfig, simulate
from election_monitor.timeutil import parse_datetime

#: A compact election: every anomaly type, small enough to load in well under a minute.
DEMO_CONFIG = SimulationConfig(seed=2026, constituencies=40, anomalies="all", scale=0.3)


@dataclass
class DemoResult:
    election_id: str
    simulated: bool
    ingest: IngestSummary
    detection: list[Any]
    briefing: Briefing


def run_demo(
    engine: Engine,
    workdir: Path,
    *,
    config: SimulationConfig = DEMO_CONFIG,
    progress: ProgressCallback | None = None,
    say: Callable[[str], None] = lambda _msg: None,
) -> DemoResult:
    """Simulate (or reuse), load, detect and brief; safe to run again."""
    migrate.upgrade(engine)
    outdir = workdir / "election"
    marker = outdir / ".demo-config"
    simulated = not marker.exists() or marker.read_text() != repr(config)
    if simulated:
        say(f"simulating {config.constituencies} constituencies into {outdir}")
        simulate(outdir, config, overwrite=True)
        marker.write_text(repr(config))
    else:
        say(f"reusing the simulated election in {outdir}")
    meta = orjson.loads((outdir / "election.json").read_bytes())
    election_id = _ensure_election(engine, meta)
    with session_scope() as db:
        import_registry(db, outdir / "registry.csv", election_id=election_id)
    say("loading the files")
    summary = ingest_paths(engine, [outdir / "data"], election_id=election_id, progress=progress)
    detection = _detect(engine, election_id, say)
    with session_scope() as db:
        briefing = build_briefing(db, election_id=election_id)
    return DemoResult(election_id, simulated, summary, detection, briefing)


def _ensure_election(engine: Engine, meta: dict[str, Any]) -> str:
    with engine.begin() as conn:
        found = conn.scalar(select(Election.id).where(Election.name == meta["name"]))
    if found:
        return str(found)
    with session_scope() as db:
        election = ElectionCRUD(db).create(
            ElectionCreate(
                name=meta["name"],
                start_date=parse_datetime(meta["start"]),
                end_date=parse_datetime(meta["end"]),
                status="completed",
                timezone=meta.get("timezone", "UTC"),
            )
        )
        return election.id


def _detect(engine: Engine, election_id: str, say: Callable[[str], None]) -> list[Any]:
    say("running detection")
    with engine.begin() as conn:
        return list(detect(conn, election_id=election_id))


#: The account the demo prints for signing in to its dashboard.
DEMO_USER = "demo"


def ensure_demo_login() -> tuple[str, str]:
    """A lead account ``demo`` with a fresh random password (set again on every run)."""
    from election_monitor.accounts import users
    from election_monitor.accounts.audit import Actor

    password = secrets.token_urlsafe(12)
    actor = Actor.cli("cli:demo")
    with session_scope() as db:
        user = users.get_by_username(db, DEMO_USER)
        if user is None:
            users.create_user(
                db, username=DEMO_USER, password=password, role="lead",
                display_name="Demo observer", actor=actor,
            )  # fmt: skip
        else:
            users.set_password(db, user=user, password=password, actor=actor)
    return DEMO_USER, password
