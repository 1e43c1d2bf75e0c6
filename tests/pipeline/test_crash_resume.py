"""A run killed with SIGKILL mid-file and started again reaches the uninterrupted state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from benchmarks._kill import trials
from sqlalchemy import Engine, text

from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.ingest.service import ingest_paths
from tests.databases import POSTGRES_URL
from tests.pipeline.chain import T0, Voting, write_csv
from tests.pipeline.conftest import snapshot


def big_voting(votes: int) -> Voting:
    v = Voting("CONTRACTK")
    v.create()
    v.call("startVoting", T0)
    for i in range(votes):
        v.issue(T0 + i * 700)
        v.vote(T0 + i * 700 + 300, f"KEY{i % (votes - 25)}")  # a few revotes
    return v


def elmon(url: str, *args: str, batch: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ELMON_INGEST_BATCH_SIZE": str(batch),
        "ELMON_INGEST_COMMIT_ROWS": str(batch),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "election_monitor", "--database-url", url, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def processed(engine: Engine) -> int:
    with engine.connect() as conn:
        value = conn.execute(
            text("SELECT COALESCE(MAX(transactions_processed), 0) FROM file_processing_jobs")
        ).scalar_one()
    return int(value)


@pytest.mark.slow
def test_kill_9_then_rerun_matches_a_clean_run(pipeline_engine: Engine, tmp_path: Path) -> None:
    url = pipeline_engine.url.render_as_string(hide_password=False)
    path = write_csv(tmp_path / "CONTRACTK_dump.csv", big_voting(1500).lines)

    proc = elmon(url, "ingest", str(path), batch=40)
    deadline = time.monotonic() + 60
    while processed(pipeline_engine) < 400 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = processed(pipeline_engine)
    assert 0 < killed_at < 3002, "the kill must land mid-file"

    rerun = elmon(url, "ingest", str(path), batch=40)
    assert rerun.wait(timeout=120) == 0, rerun.stderr.read() if rerun.stderr else ""
    interrupted = snapshot(pipeline_engine)

    clean = make_engine(f"sqlite:///{tmp_path / 'clean.db'}")
    migrate.upgrade(clean)
    with clean.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO elections (id, name, start_date, end_date, status, "
                "total_constituencies, timezone) VALUES ('E1', 'Test election', "
                "'2026-09-18 05:00:00', '2026-09-20 17:00:00', 'active', 0, 'UTC')"
            )
        )
    ingest_paths(clean, [path], batch_size=40, commit_rows=40)
    assert interrupted == snapshot(clean)
    with pipeline_engine.connect() as conn:
        job = conn.execute(
            text(
                "SELECT transactions_processed, rows_inserted, rows_duplicate, status "
                "FROM file_processing_jobs"
            )
        ).one()
    assert tuple(job) == (3002, 3002, 0, "completed")


@pytest.mark.slow
def test_kill_9_at_random_points_of_ingest_and_detection_matches_a_clean_run(
    backend: str, tmp_path: Path
) -> None:
    # Every table is compared (benchmarks/_kill.fingerprint); benchmarks/ingest_kill.py runs
    # 100 such trials per backend.
    results = list(trials(backend, tmp_path, 2, seed=20260918, admin_url=POSTGRES_URL, votes=150))
    assert [t.differing_tables for t in results] == [[], []]
    assert all(t.ingest_killed for t in results), "each ingest kill must land mid-run"
