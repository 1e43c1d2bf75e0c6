"""PostgreSQL ingest workers: 1, 2 and 4 ``elmon worker`` processes on one queue, against a raw
``COPY`` of the same rows measured in the same run, plus a run where one of two workers is
killed with ``kill -9`` mid-run, compared with a clean run by a fingerprint of every table.

Data: ``elmon simulate`` in hourly files (a few hundred files, ~50k rows). Databases named
``elmon_bench_workers_*`` are created on the given server and dropped afterwards.

    PYTHONPATH=src:. python benchmarks/ingest_workers.py \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from tests.pipeline.fingerprint import fingerprint

from benchmarks.ingest_throughput import COLUMNS, SEED_ROWS, parse_rows
from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.ingest.queue import add_paths, queue_status
from election_monitor.models import FileQueueEntry

ELECTION = (
    "INSERT INTO elections (id, name, start_date, end_date, status, total_constituencies, "
    "timezone) VALUES ('E1', 'bench', '2026-09-16 00:00:00', '2026-09-22 00:00:00', "
    "'active', 0, 'Europe/Moscow')"
)


def database(server: str, name: str) -> str:
    """A new empty database on the server; returns its URL."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop(server: str, url: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def simulate(out: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, "-m", "election_monitor", "simulate", str(out), "--json"]
    command += ["--constituencies", str(args.constituencies), "--hours", str(args.hours)]
    command += ["--scale", str(args.scale), "--chunks", "hourly", "--anomalies", "none"]
    summary: dict[str, Any] = orjson.loads(
        subprocess.run(command, check=True, capture_output=True).stdout
    )
    return summary


def baseline(files: list[Path], url: str) -> float:
    """Parse the same lines (split + orjson) and COPY them into ``transactions``, one
    transaction: the database's own bulk path, without counting rules, jobs or metrics."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    start = time.perf_counter()
    rows: dict[object, tuple[object, ...]] = {}
    for path in files:
        for row in parse_rows(path, sqlite_text=False):
            rows.setdefault(row[0], row)  # a rollback line repeats its transaction's id
    with engine.begin() as conn:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.execute(SEED_ROWS)
        with cur.copy(f"COPY transactions ({COLUMNS}) FROM STDIN") as copy:
            for row in rows.values():
                copy.write_row(row)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def prepared(url: str, data: Path) -> Any:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text(ELECTION))
    add_paths(engine, [data])
    return engine


def spawn(url: str, name: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "election_monitor", "--database-url", url, "worker"]
    command += ["--json", "--poll-seconds", "0.2", "--lease-seconds", "5", "--worker-id", name]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def wait_done(engine: Any, total: int) -> None:
    while True:
        status = queue_status(engine)
        if (
            status.states["done"] + status.states["failed"] >= total
            and not status.detection_backlog
        ):
            return
        time.sleep(0.1)


def stop(procs: list[subprocess.Popen[bytes]]) -> list[dict[str, Any]]:
    reports = []
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=300)
        if out.strip():
            reports.append(orjson.loads(out))
    return reports


def load_seconds(engine: Any) -> float:
    """First lease to last file settled (interpreter start-up left out)."""
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(FileQueueEntry.started_at), func.max(FileQueueEntry.finished_at))
        ).one()
    return float((last - first).total_seconds())


def run(server: str, data: Path, total: int, workers: int, rows: int) -> dict[str, Any]:
    url = database(server, f"elmon_bench_workers_{workers}")
    engine = prepared(url, data)
    start = time.perf_counter()
    procs = [spawn(url, f"w{i}") for i in range(workers)]
    wait_done(engine, total)
    wall = time.perf_counter() - start
    reports = stop(procs)
    seconds = load_seconds(engine)
    result = {
        "workers": workers,
        "wall_seconds": round(wall, 2),
        "load_seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "files_per_worker": [len(r["files"]) for r in reports],
        "detection_runs": sum(r["detection_runs"] for r in reports),
        "failed_files": queue_status(engine).states["failed"],
        "fingerprint": fingerprint(engine),
    }
    engine.dispose()
    drop(server, url)
    return result


def killed_run(server: str, data: Path, total: int) -> dict[str, Any]:
    url = database(server, "elmon_bench_workers_kill")
    engine = prepared(url, data)
    victim, survivor = spawn(url, "victim"), spawn(url, "survivor")
    # Kill a third of the way in, while the victim holds a file (mid-file, not between files).
    while True:
        status = queue_status(engine)
        held = [lease["path"] for lease in status.leases if lease["owner"] == "victim"]
        if status.states["done"] >= total // 3 and held:
            break
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    held = [lease["path"] for lease in queue_status(engine).leases if lease["owner"] == "victim"]
    wait_done(engine, total)
    reports = stop([survivor])
    result = {
        "killed_holding": [Path(p).name for p in held],
        "survivor_files": len(reports[0]["files"]),
        "detection_runs": reports[0]["detection_runs"],
        "failed_files": queue_status(engine).states["failed"],
        "fingerprint": fingerprint(engine),
    }
    engine.dispose()
    drop(server, url)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", required=True, help="server URL (any existing database)")
    parser.add_argument("--constituencies", type=int, default=10)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        summary = simulate(Path(tmp) / "sim", args)
        data = Path(summary["data_dir"])
        files = sorted(data.iterdir())
        base_url = database(args.postgres, "elmon_bench_workers_copy")
        base = baseline(files, base_url)
        drop(args.postgres, base_url)
        rows = int(summary["lines"])
        runs = [run(args.postgres, data, len(files), int(n), rows) for n in args.workers.split(",")]
        killed = killed_run(args.postgres, data, len(files))
    clean = runs[0].pop("fingerprint")
    same = [r.pop("fingerprint") == clean for r in runs[1:]]
    killed_same = killed.pop("fingerprint") == clean
    report = {
        "files": len(files),
        "rows": rows,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "copy_baseline": {"seconds": round(base, 2), "rows_per_second": round(rows / base)},
        "runs": [
            {**r, "ratio_to_copy": round(r["rows_per_second"] / (rows / base), 3)} for r in runs
        ],
        "runs_equal_to_one_worker": same,
        "kill_9": {**killed, "equal_to_clean_run": killed_same},
    }
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
