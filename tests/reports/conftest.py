"""A small simulated election, loaded and detected once per module (the report's input)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from election_monitor.db import session
from election_monitor.db.session import make_engine
from election_monitor.demo import run_demo
from election_monitor.models import Election
from election_monitor.simulate import SimulationConfig

SMALL = SimulationConfig(seed=7, constituencies=6, anomalies="all", scale=0.03)


@dataclass
class Loaded:
    engine: Engine
    url: str
    election_id: str
    data_dir: Path


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    folder = tmp_path_factory.mktemp("election")
    url = f"sqlite:///{folder / 'elmon.db'}"
    session.configure(url)
    engine = make_engine(url)
    result = run_demo(engine, folder, config=SMALL)
    with engine.connect() as conn:
        assert conn.scalar(select(Election.id)) == result.election_id
    yield Loaded(engine, url, result.election_id, folder / "election" / "data")
    engine.dispose()
