"""kill -9 trials of ``elmon ingest`` and ``elmon detect`` on SQLite and PostgreSQL.

A trial loads the same files twice into fresh databases: once cleanly (ingest, then detect),
once with a SIGKILL at a random point of the ingest (after a random number of committed rows)
and another at a random moment of the detection, each followed by a rerun. The two databases
must then hold the same :func:`fingerprint`: every table, without wall-clock times and
surrogate keys (the only columns a rerun may legitimately change).

Used by ``tests/pipeline/test_crash_resume.py`` (a few trials) and ``benchmarks/ingest_kill.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from tests.pipeline.chain import HOUR_MS, T0, Voting, write_csv

import election_monitor
from election_monitor import models  # noqa: F401  (every table on Base.metadata)
from election_monitor.db import migrate
from election_monitor.db.base import Base
from election_monitor.db.session import make_engine

SOURCE_ROOT = str(Path(election_monitor.__file__).resolve().parents[1])
#: Set on every run, so a rerun and a clean run differ in these alone.
WALL_CLOCK = {"created_at", "updated_at", "started_at", "completed_at", "at", "computed_at",
              "detected_at", "processed_at", "last_used_at", "last_login_at",
              "last_update_time"}  # fmt: skip
#: Tables whose ``id`` is minted per run (uuid or sequence) rather than taken from the data;
#: columns naming such ids are left out too.
SURROGATE_IDS = {"alerts", "alert_events", "audit_log", "file_processing_jobs", "hourly_stats",
                 "rejected_rows", "stream_events", "notification_outbox", "login_attempts",
                 "notification_deliveries"}  # fmt: skip
SURROGATE_REFS = {"job_id", "alert_id", "delivery_id"}
ELECTION = (
    "INSERT INTO elections (id, name, start_date, end_date, status, total_constituencies, "
    "timezone) VALUES ('E1', 'Kill election', '2026-09-18 05:00:00', '2026-09-20 17:00:00', "
    "'active', 0, 'Europe/Moscow')"
)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _stable(value: Any) -> Any:
    """JSON content without wall-clock times, and with minted ids (uuids) masked."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in WALL_CLOCK}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str):
        return _UUID.sub("<id>", value)
    return value


def _canonical(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:  # JSON kept as text (SQLite; jobs' details): compare its content
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return json.dumps(_stable(value), sort_keys=True, default=str)
    if isinstance(value, str):
        return _UUID.sub("<id>", value)
    if isinstance(value, float):
        return round(value, 9)
    return str(value) if value is not None else None


def fingerprint(engine: Engine) -> dict[str, str]:
    """Per table, a SHA-256 over its rows (sorted) without wall-clock or surrogate columns."""
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if c.name not in WALL_CLOCK
                and c.name not in SURROGATE_REFS
                and not (c.name == "id" and table.name in SURROGATE_IDS)
            ]
            rows = sorted(
                json.dumps([_canonical(v) for v in row], ensure_ascii=False)
                for row in conn.execute(select(*columns))
            )
            out[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]
            out[table.name + ".rows"] = str(len(rows))
    return out


def workload(folder: Path, votes: int = 600) -> list[Path]:
    """Two contracts' exports; one has votes without bulletins, so detection raises alerts."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for contract, skip_issues in (("CONTRACTA", False), ("CONTRACTB", True)):
        v = Voting(contract)
        v.create()
        v.call("startVoting", T0)
        for i in range(votes):
            if not (skip_issues and i % 3 == 0):
                v.issue(T0 + i * 20_000)
            v.vote(T0 + i * 20_000 + 5_000, f"{contract}K{i % (votes - 20)}")
        v.call("finishVoting", T0 + 40 * HOUR_MS)
        paths.append(write_csv(folder / f"{contract}_dump.csv", v.lines))
    return paths


@contextmanager
def fresh_database(backend: str, folder: Path, label: str, admin_url: str | None) -> Iterator[str]:
    """A migrated database with the election; dropped afterwards (PostgreSQL)."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'{label}.db'}"
    else:
        assert admin_url, "PostgreSQL needs an admin URL"
        base = make_url(admin_url)
        name = f"{base.database}_kill_{os.getpid()}_{label}"[:63]
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text(ELECTION))
    engine.dispose()
    try:
        yield url
    finally:
        if backend != "sqlite":
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def elmon(url: str, *args: str, batch: int = 50) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        # The children run this very code, whatever the working directory.
        "PYTHONPATH": os.pathsep.join([SOURCE_ROOT, os.environ.get("PYTHONPATH", "")]),
        "ELMON_INGEST_BATCH_SIZE": str(batch),
        "ELMON_INGEST_COMMIT_ROWS": str(batch),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "election_monitor", "--database-url", url, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _finish(proc: subprocess.Popen[bytes], what: str) -> None:
    _, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} exited {proc.returncode}: {err.decode(errors='replace')}")


def processed(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            value = conn.execute(
                text("SELECT COALESCE(SUM(transactions_processed), 0) FROM file_processing_jobs")
            ).scalar_one()
    finally:
        engine.dispose()
    return int(value)


def clean_run(url: str, paths: list[Path]) -> tuple[dict[str, str], int, float]:
    """Ingest, then detect, uninterrupted: the fingerprint, rows read and detect's seconds."""
    _finish(elmon(url, "ingest", *map(str, paths)), "ingest")
    started = time.monotonic()
    _finish(elmon(url, "detect"), "detect")
    seconds = time.monotonic() - started
    engine = make_engine(url)
    try:
        return fingerprint(engine), processed(url), seconds
    finally:
        engine.dispose()


@dataclass
class Trial:
    """One killed run: where the kills landed and whether the end state matched."""

    backend: str
    ingest_kill_after_rows: int
    ingest_killed_at_rows: int
    ingest_killed: bool  # False: the run had finished before the kill landed
    detect_kill_after_s: float
    detect_killed: bool
    identical: bool
    differing_tables: list[str]


def killed_run(
    url: str, paths: list[Path], *, total_rows: int, detect_seconds: float, rng: random.Random
) -> tuple[dict[str, str], dict[str, Any]]:
    """Ingest killed after a random number of rows, rerun; detect killed at a random moment,
    rerun. Returns the fingerprint and where the kills landed."""
    target = rng.randrange(1, total_rows)
    proc = elmon(url, "ingest", *map(str, paths))
    while proc.poll() is None and processed(url) < target:
        time.sleep(0.005)
    ingest_killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    at_rows = processed(url)
    _finish(elmon(url, "ingest", *map(str, paths)), "ingest rerun")
    delay = rng.uniform(0, detect_seconds)
    proc = elmon(url, "detect")
    time.sleep(delay)
    detect_killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _finish(elmon(url, "detect"), "detect rerun")
    engine = make_engine(url)
    try:
        found = fingerprint(engine)
    finally:
        engine.dispose()
    return found, {
        "ingest_kill_after_rows": target,
        "ingest_killed_at_rows": at_rows,
        "ingest_killed": ingest_killed,
        "detect_kill_after_s": round(delay, 3),
        "detect_killed": detect_killed,
    }


def trials(
    backend: str, folder: Path, n: int, *, seed: int, admin_url: str | None = None, votes: int = 600
) -> Iterator[Trial]:
    """``n`` killed runs, each compared with one clean run of the same files."""
    rng = random.Random(seed)
    paths = workload(folder / "files", votes)
    with fresh_database(backend, folder, "clean", admin_url) as url:
        expected, total_rows, detect_seconds = clean_run(url, paths)
    for i in range(n):
        with fresh_database(backend, folder, f"t{i}", admin_url) as url:
            found, where = killed_run(
                url, paths, total_rows=total_rows, detect_seconds=detect_seconds, rng=rng
            )
        differing = sorted(k for k in expected if expected[k] != found.get(k))
        yield Trial(backend=backend, identical=not differing, differing_tables=differing, **where)
        if backend == "sqlite":
            (folder / f"t{i}.db").unlink(missing_ok=True)
