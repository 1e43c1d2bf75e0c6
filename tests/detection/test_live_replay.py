"""A live feed: hourly files arriving in time order with the ingest hook, against `detect`."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, select, text

from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.detection import DetectionHook, detect
from election_monitor.detection.evaluation import register_simulated_election
from election_monitor.ingest.service import ingest_paths
from election_monitor.models import Alert
from election_monitor.simulate import Chunking, SimulationConfig
from election_monitor.simulate.runner import simulate


def _alerts(engine: Engine) -> list[tuple[str, str, str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Alert.constituency_id, Alert.type, Alert.severity, Alert.status, Alert.details)
        ).all()
    return sorted((r[0], r[1], r[2], r[3], r[4]["window_key"]) for r in rows)


@pytest.mark.slow
def test_hourly_files_in_time_order_reach_the_same_alerts_as_detect(
    empty_database_url: str, tmp_path: Path
) -> None:
    summary = simulate(
        tmp_path / "sim",
        SimulationConfig(
            seed=5,
            constituencies=12,
            scale=0.2,
            hours=36,
            chunks=Chunking.HOURLY,
            anomalies="spike,night,offline,excess,outside",
            workers=1,
        ),
    )
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    truth = orjson.loads(summary.truth_path.read_bytes())
    election_id = register_simulated_election(engine, summary.registry, truth)
    by_hour: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(summary.data_dir.iterdir()):
        by_hour[path.stem.rsplit("_", 1)[-1]].append(path)
    hook = DetectionHook()
    for hour in sorted(by_hour):  # the publisher's hourly drops, as they arrive
        ingest_paths(engine, by_hour[hour], election_id=election_id, hooks=[hook])
    live = _alerts(engine)
    assert {a[1] for a in live} >= {"unusual_spike", "votes_exceed_bulletins"}
    # Statistical alerts resolve themselves after clean hours in both runs; a constituency
    # whose zone has not opened yet (its startVoting not in yet) is not "offline" live.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alert_events"))
        conn.execute(text("DELETE FROM anomaly_scores"))
        conn.execute(text("DELETE FROM alerts"))
        detect(conn)
    assert _alerts(engine) == live
    engine.dispose()
