"""``elmon worker`` and ``elmon queue``, and two writers on one database, on real databases.

Each test runs on SQLite and, with ``ELMON_TEST_POSTGRES_URL``, on PostgreSQL, with real
``elmon`` subprocesses where processes matter (kill -9, two writers at once).
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, text, update
from typer.testing import CliRunner

import election_monitor
from election_monitor.cli import app
from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.db.writerlock import writer_lock
from election_monitor.detection.service import DetectionHook
from election_monitor.events import EventsHook
from election_monitor.ingest.queue import add_paths, queue_status, retry_failed
from election_monitor.ingest.service import BatchHook, ingest_paths
from election_monitor.ingest.workers import (
    Claim,
    Lease,
    WorkerOptions,
    WorkerReport,
    claim_next,
    run_worker,
)
from election_monitor.models import FileQueueEntry
from election_monitor.timeutil import utcnow
from tests.databases import drop_postgres_url, new_database_url
from tests.pipeline.fingerprint import fingerprint, kept_columns

ELECTION = (
    "INSERT INTO elections (id, name, start_date, end_date, status, total_constituencies, "
    "timezone) VALUES ('E1', 'Test election', '2026-09-17 22:00:00', '2026-09-20 17:00:00', "
    "'active', 0, 'Europe/Moscow')"
)
#: Small batches, so a kill lands mid-file and resuming is exercised.
SMALL_BATCHES = {"ELMON_INGEST_BATCH_SIZE": "5", "ELMON_INGEST_COMMIT_ROWS": "5"}
#: Subprocesses import this checkout's package (the tests chdir away from the repository).
SOURCES = str(Path(election_monitor.__file__).resolve().parent.parent)


@pytest.fixture(scope="module")
def election_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated election in hourly files (several files per contract, anomalies)."""
    out = tmp_path_factory.mktemp("sim")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "election_monitor",
            "simulate",
            str(out),
            "--constituencies",
            "3",
            "--chunks",
            "hourly",
            "--scale",
            "0.03",
            "--hours",
            "12",
            "--anomalies",
            "spike:1,duplicate:1,integrity:1",
            "--json",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": SOURCES},
    )
    return out / "data"


class Databases:
    """Fresh migrated databases of one backend, each with election E1; dropped afterwards."""

    def __init__(self, backend: str, directory: Path) -> None:
        self.backend = backend
        self.directory = directory
        self.made: list[tuple[str, Engine]] = []

    def new(self, label: str) -> Engine:
        url = new_database_url(self.backend, self.directory, label)
        engine = make_engine(url)
        migrate.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text(ELECTION))
        self.made.append((url, engine))
        return engine

    def close(self) -> None:
        for url, engine in self.made:
            engine.dispose()
            if self.backend == "postgres":
                drop_postgres_url(url)


@pytest.fixture
def dbs(backend: str, tmp_path: Path) -> Iterator[Databases]:
    made = Databases(backend, tmp_path)
    yield made
    made.close()


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def elmon(engine: Engine, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "election_monitor", "--database-url", url_of(engine), *args],
        env={**os.environ, "PYTHONPATH": SOURCES, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def run_ok(engine: Engine, *args: str, env: dict[str, str] | None = None) -> str:
    code, out, err = finished(elmon(engine, *args, env=env))
    assert code == 0, err
    assert "Traceback" not in err
    return out


def clean_worker_run(dbs: Databases, data: Path) -> tuple[Engine, WorkerReport]:
    """The reference: one worker, in this process, loading the whole batch."""
    engine = dbs.new("clean")
    add_paths(engine, [data])
    return engine, run_worker(engine, WorkerOptions(worker_id="clean", once=True))


def test_two_claims_take_different_contracts_and_skip_a_locked_row(
    dbs: Databases, election_dir: Path
) -> None:
    engine = dbs.new("claims")
    add_paths(engine, [election_dir])
    first = claim_next(engine, worker_id="A", lease_seconds=60)
    second = claim_next(engine, worker_id="B", lease_seconds=60)
    assert first is not None
    assert second is not None
    # One contract's files are loaded one at a time, in order: B gets another contract.
    assert first.contract_key != second.contract_key
    if engine.dialect.name == "postgresql":
        # A row another transaction holds locked is skipped, not waited for.
        with engine.connect() as holder:
            holder.execute(text("SET lock_timeout = '5s'"))
            locked = holder.execute(
                text(
                    "SELECT id FROM file_queue WHERE state = 'queued' "
                    "ORDER BY id LIMIT 1 FOR UPDATE"
                )
            ).scalar_one()
            third = claim_next(engine, worker_id="C", lease_seconds=60)
            assert third is not None
            assert third.id != locked
            holder.rollback()
    status = queue_status(engine)
    assert {lease["owner"] for lease in status.leases} >= {"A", "B"}


def test_an_expired_lease_is_claimed_again_and_the_old_holder_notices(
    dbs: Databases, election_dir: Path
) -> None:
    engine = dbs.new("lease")
    add_paths(engine, [election_dir / sorted(os.listdir(election_dir))[0]])
    held = claim_next(engine, worker_id="A", lease_seconds=60)
    assert held is not None
    assert claim_next(engine, worker_id="B", lease_seconds=60) is None
    # A stops renewing (it died): move its expiry into the past rather than wait for it.
    with engine.begin() as conn:
        conn.execute(
            update(FileQueueEntry).values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    again = claim_next(engine, worker_id="B", lease_seconds=60)
    assert again is not None
    assert again.id == held.id
    lease = Lease(engine, held, worker_id="A", seconds=60)
    lease.renew()
    assert lease.lost.is_set()
    with engine.connect() as conn:
        row = conn.execute(text("SELECT lease_owner, attempts FROM file_queue")).one()
    assert tuple(row) == ("B", 2)


def _processed(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT COALESCE(SUM(transactions_processed), 0) FROM file_processing_jobs "
                    "WHERE status = 'processing'"
                )
            ).scalar_one()
        )


@pytest.mark.slow
def test_worker_killed_mid_file_is_finished_by_another_exactly_like_a_clean_run(
    dbs: Databases, election_dir: Path
) -> None:
    clean, report = clean_worker_run(dbs, election_dir)
    assert report.as_dict()["failed_files"] == 0
    assert report.detection_runs == 1, "one closed batch, one detection pass"

    engine = dbs.new("killed")
    add_paths(engine, [election_dir])
    victim = elmon(
        engine, "worker", "--lease-seconds", "1", "--poll-seconds", "0.1", env=SMALL_BATCHES
    )
    deadline = time.monotonic() + 60
    while _processed(engine) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert _processed(engine) > 0, "the kill must land mid-file"
    with engine.connect() as conn:
        held = conn.execute(text("SELECT count(*) FROM file_queue WHERE state = 'leased'"))
        assert held.scalar_one() == 1
    time.sleep(1.2)  # the dead worker's lease runs out
    rescuer = run_worker(engine, WorkerOptions(worker_id="rescuer", once=True, batch_size=25))
    assert rescuer.as_dict()["failed_files"] == 0
    assert rescuer.detection_runs == 1
    assert queue_status(engine).states["done"] == len(os.listdir(election_dir))
    assert fingerprint(engine) == fingerprint(clean)


@pytest.mark.slow
def test_two_workers_share_a_batch_and_run_detection_once(
    dbs: Databases, election_dir: Path
) -> None:
    clean, _ = clean_worker_run(dbs, election_dir)
    engine = dbs.new("pair")
    add_paths(engine, [election_dir])
    # Without --once both stay until the queue is empty, whoever finishes first.
    args = ("worker", "--json", "--poll-seconds", "0.1", "--lease-seconds", "30")
    first, second = elmon(engine, *args), elmon(engine, *args)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = queue_status(engine)
        if status.states["done"] == len(os.listdir(election_dir)) and not status.detection_backlog:
            break
        time.sleep(0.1)
    reports = []
    for proc in (first, second):
        proc.send_signal(signal.SIGTERM)
        code, out, err = finished(proc)
        assert code == 0, err
        reports.append(orjson.loads(out))
    assert sum(r["detection_runs"] for r in reports) == 1
    assert sum(len(r["files"]) for r in reports) == len(os.listdir(election_dir))
    assert fingerprint(engine) == fingerprint(clean)


def test_queue_retry_puts_a_failed_file_back(dbs: Databases, tmp_path: Path) -> None:
    engine = dbs.new("retry")
    broken = tmp_path / "CONTRACTX_dump.csv.gz"
    broken.write_bytes(gzip.compress(b"x" * 5000)[:40])  # a truncated gzip fails as a whole
    add_paths(engine, [broken])
    report = run_worker(engine, WorkerOptions(worker_id="W", once=True))
    assert [f["state"] for f in report.files] == ["failed"]
    assert queue_status(engine).failed[0]["error"]
    assert retry_failed(engine) == 1
    status = queue_status(engine)
    assert status.states["queued"] == 1
    assert status.states["failed"] == 0
    claimed = claim_next(engine, worker_id="W", lease_seconds=60)
    assert isinstance(claimed, Claim)
    assert claimed.path == str(broken.resolve())


def test_second_writer_waits_with_a_message_or_refuses_with_no_wait(
    dbs: Databases, election_dir: Path
) -> None:
    engine = dbs.new("writers")
    one = str(election_dir / sorted(os.listdir(election_dir))[0])
    with writer_lock(engine):
        code, out, err = finished(elmon(engine, "ingest", one, "--no-wait", "--json"))
        assert code == 1
        assert "another elmon process is writing to" in err
        assert "--no-wait" in err
        assert "Traceback" not in err
        waiting = elmon(engine, "ingest", one, "--json")
        line = waiting.stderr.readline() if waiting.stderr else ""
        assert "another elmon process is writing to" in line
        assert "waiting" in line
    code, out, err = finished(waiting)
    assert code == 0, err
    assert orjson.loads(out)["rows_read"] > 0


def data_only(state: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """What ingest decides (rows, counts, jobs), without what detection made of it."""
    detection = {"alerts", "alert_events", "anomaly_scores"}
    kept = {name: rows for name, rows in state.items() if name not in detection}
    names = kept_columns("constituencies")
    ours = [i for i, name in enumerate(names) if name not in {"status", "anomaly_score"}]
    kept["constituencies"] = [tuple(row[i] for i in ours) for row in state["constituencies"]]
    return kept


def ingest_in_process(engine: Engine, files: list[str]) -> None:
    """What ``elmon ingest`` runs: the ingest service with detection and events hooks."""
    hooks: list[BatchHook] = [DetectionHook(), EventsHook()]
    ingest_paths(engine, [Path(f) for f in files], hooks=hooks)


def test_two_ingests_with_overlapping_files_end_like_one(
    dbs: Databases, election_dir: Path
) -> None:
    # Every third file keeps every contract and the run short.
    files = sorted(str(election_dir / name) for name in os.listdir(election_dir))[::3]
    half = len(files) // 2
    first_files, second_files = files[: half + 3], list(reversed(files[half - 3 :]))
    single = dbs.new("single")
    ingest_in_process(single, files)
    serial = dbs.new("serial")
    ingest_in_process(serial, first_files)
    ingest_in_process(serial, second_files)

    engine = dbs.new("double")
    first = elmon(engine, "ingest", *first_files, "--json")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and first.poll() is None:
        with engine.connect() as conn:  # the first one is writing: it holds the lock
            if conn.execute(text("SELECT count(*) FROM file_processing_jobs")).scalar_one():
                break
        time.sleep(0.02)
    second = elmon(engine, "ingest", *second_files, "--json")
    for proc in (first, second):
        code, _, err = finished(proc)
        assert code == 0, err
        assert "Traceback" not in err
    state = fingerprint(engine)
    # Every row, count and job as one process loading all files ...
    assert data_only(state) == data_only(fingerprint(single))
    # ... and detection exactly as the same two runs one after the other (the lock made them
    # take turns; detection on the first half alone may raise alerts the whole would not).
    assert state == fingerprint(serial)


@pytest.mark.slow
def test_queue_commands_add_show_and_drain_a_folder(dbs: Databases, election_dir: Path) -> None:
    engine = dbs.new("cli")
    base = ["--database-url", url_of(engine)]
    runner = CliRunner()
    added = runner.invoke(app, [*base, "queue", "add", str(election_dir), "--json"])
    assert added.exit_code == 0, added.output
    count = len(os.listdir(election_dir))
    assert orjson.loads(added.stdout)["added"] == count
    again = runner.invoke(app, [*base, "queue", "add", str(election_dir), "--json"])
    assert orjson.loads(again.stdout)["already_queued"] == count
    status = runner.invoke(app, [*base, "queue", "status", "--json"])
    assert orjson.loads(status.stdout)["states"]["queued"] == count
    worked = runner.invoke(app, [*base, "worker", "--once", "--json", "--worker-id", "cli"])
    assert worked.exit_code == 0, worked.output
    report = orjson.loads(worked.stdout)
    assert len(report["files"]) == count
    assert report["detection_runs"] == 1
    retried = runner.invoke(app, [*base, "queue", "retry", "--json"])
    assert orjson.loads(retried.stdout) == {"requeued": 0}
