"""The same files reach the same alerts whatever order they arrive in (issue: the data
horizon): one batch, file by file in random orders (each file its own ingest run, as files
dropped one after another), or loaded without the hook and detected from scratch. Every
alert ever raised counts, withdrawn ones included."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, select

from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.detection import DetectionHook, detect
from election_monitor.detection.evaluation import register_simulated_election
from election_monitor.ingest.service import ingest_paths
from election_monitor.models import Alert, AlertEvent
from election_monitor.simulate import Chunking, SimulationConfig
from election_monitor.simulate.runner import SimulationSummary, simulate
from tests.databases import drop_postgres_url, new_database_url

Raised = set[tuple[str, str, str, str]]


def _raised(engine: Engine) -> Raised:
    """(constituency, type, window, severity) of every alert ever raised or escalated."""
    with engine.connect() as conn:
        alerts = {
            a.id: a for a in conn.execute(select(Alert.id, Alert.constituency_id, Alert.type,
                                                 Alert.severity, Alert.details))
        }  # fmt: skip
        events = conn.execute(select(AlertEvent.alert_id, AlertEvent.action, AlertEvent.to_value))
        out: Raised = set()
        for alert_id, action, to_value in events:
            a = alerts[alert_id]
            if action in ("raised", "escalated"):
                severity = a.severity if action == "raised" else str(to_value)
                out.add((a.constituency_id, a.type, a.details["window_key"], severity))
        for a in alerts.values():
            out.add((a.constituency_id, a.type, a.details["window_key"], a.severity))
    return out


def _withdrawn(engine: Engine) -> int:
    with engine.connect() as conn:
        notes = conn.scalars(select(AlertEvent.note).where(AlertEvent.note.is_not(None)))
        return sum("out of order" in (n or "") for n in notes)


def _fresh(backend: str, tmp: Path, summary: SimulationSummary) -> tuple[Engine, str]:
    engine = make_engine(new_database_url(backend, tmp))
    migrate.upgrade(engine)
    truth = orjson.loads(summary.truth_path.read_bytes())
    return engine, register_simulated_election(engine, summary.registry, truth)


def _drop(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    if engine.dialect.name == "postgresql":
        drop_postgres_url(url)


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return simulate(
        tmp_path_factory.mktemp("order") / "sim",
        SimulationConfig(
            seed=11,
            constituencies=12,
            scale=0.2,
            hours=30,
            chunks=Chunking.SINGLE,
            anomalies="spike,offline,excess,night",
            workers=1,
        ),
    )


@pytest.mark.slow
def test_alerts_do_not_depend_on_the_order_files_arrive(
    election: SimulationSummary, backend: str, tmp_path: Path
) -> None:
    files = sorted(p for p in election.data_dir.iterdir() if p.is_file())
    assert len(files) >= 12

    engine, eid = _fresh(backend, tmp_path, election)
    ingest_paths(engine, files, election_id=eid)
    with engine.begin() as conn:
        detect(conn)
    reference = _raised(engine)
    assert {r[1] for r in reference} >= {"unusual_spike", "votes_exceed_bulletins"}
    _drop(engine)

    engine, eid = _fresh(backend, tmp_path, election)
    ingest_paths(engine, files, election_id=eid, hooks=[DetectionHook()])
    assert _raised(engine) == reference, "one batch"
    _drop(engine)

    for seed in (1, 2, 3):
        order = files[:]
        random.Random(seed).shuffle(order)
        engine, eid = _fresh(backend, tmp_path, election)
        for path in order:  # each file its own run, as `elmon ingest FILE` one after another
            ingest_paths(engine, [path], election_id=eid, hooks=[DetectionHook()])
        assert _raised(engine) == reference, f"file by file, order {seed}"
        assert _withdrawn(engine) == 0
        _drop(engine)


@pytest.mark.slow
def test_a_contract_not_read_yet_holds_statistics_back_until_released(
    election: SimulationSummary, tmp_path: Path
) -> None:
    """Eleven of twelve exports read: no peer statistic is computed on a partly loaded
    country. Once the election has been loading for ``awaiting_release_minutes`` (here 0),
    the missing contract no longer holds the others back."""
    from election_monitor.detection.settings import SettingsFile

    files = sorted(p for p in election.data_dir.iterdir() if p.is_file())
    for minutes, held in ((30.0, True), (0.0, False)):
        folder = tmp_path / f"release-{minutes:g}"
        folder.mkdir()
        engine, eid = _fresh("sqlite", folder, election)
        hook = DetectionHook(
            settings_file=SettingsFile(
                base={"awaiting_release_minutes": minutes}, election_types={}, types={}
            )
        )
        ingest_paths(engine, files[:-1], election_id=eid, hooks=[hook])
        passes = [r for r in hook.reports if r.mode == "statistical"]
        assert passes
        assert (passes[-1].closed_hours == 0) is held, passes[-1]
        _drop(engine)
