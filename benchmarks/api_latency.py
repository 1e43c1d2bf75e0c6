"""API latency under load: concurrent clients read the dashboard summary and the alert list
while an ingest runs in another process.

Set-up: a database pre-loaded with ``--rows`` transactions (observer-export rows over
``--contracts`` constituencies) and ``--alerts`` alerts; ``elmon serve`` on 127.0.0.1; an
admin API token. Then ``--clients`` threads (httpx) call ``GET /elections/{id}/summary`` and
``GET /alerts?election_id=..&limit=50`` in turn, first idle (the baseline, same run), then
while ``elmon ingest`` loads ``--ingest-rows`` more rows. Prints p50/p95/max per endpoint and
phase, the ratio loaded/idle, and errors (any non-200 counts).

    python -m benchmarks.api_latency --rows 1000000          # SQLite in a temporary folder
    python -m benchmarks.api_latency --database-url postgresql+psycopg://...  # emptied first
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._export import write_export
from election_monitor.accounts import tokens, users
from election_monitor.accounts.audit import Actor
from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.ingest.service import ingest_paths
from election_monitor.models import Alert

ELECTION = "bench-election"
TYPES = ["votes_exceed_bulletins", "unusual_spike", "night_activity", "constituency_offline"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, export: Path, n_alerts: int) -> str:
    """Migrate, create the election, load the export, add alerts; returns an admin token."""
    engine = make_engine(url)
    if url.startswith("postgresql"):
        migrate.downgrade(engine, "base")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO elections (id, name, start_date, end_date, status, "
                "total_constituencies, timezone, created_at) VALUES (:id, 'bench', '2026-09-01', "
                "'2026-09-30', 'active', 0, 'UTC', '2026-09-01')"
            ),
            {"id": ELECTION},
        )
    started = time.perf_counter()
    summary = ingest_paths(engine, [export], election_id=ELECTION)
    assert not summary.failed, summary.failed
    print(f"pre-loaded {summary.total('transactions_inserted'):,} transactions "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    rng = random.Random(7)
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM constituencies"))]
        t0 = datetime(2026, 9, 18, 5, tzinfo=UTC)
        rows = [
            {
                "id": f"alert-{i}",
                "constituency_id": rng.choice(ids),
                "type": rng.choice(TYPES),
                "severity": rng.choice(["critical", "warning", "info"]),
                "status": rng.choice(["active", "active", "investigating", "resolved"]),
                "title": f"synthetic alert {i}",
                "details": {"magnitude": i},
                "notes": [],
                "detected_at": t0 + timedelta(minutes=i),
                "created_at": t0 + timedelta(minutes=i),
            }
            for i in range(n_alerts)
        ]
        if rows:
            conn.execute(insert(Alert), rows)
    with Session(engine) as db:
        admin = users.create_user(
            db, username="bench", password="benchmark-password", role="admin", actor=Actor.cli()
        )
        _, secret = tokens.create_token(db, user=admin, name="bench", actor=Actor.cli())
        db.commit()
    engine.dispose()
    return secret


def start_server(url: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "election_monitor", "--database-url", url, "serve",
               "--port", str(port), "--log-level", "warning",
               "--workers", str(workers)]  # fmt: skip
    server = subprocess.Popen(command)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not become ready")


class Load:
    """Client threads calling the two endpoints in turn until told to stop."""

    def __init__(self, base: str, token: str, clients: int) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.clients = clients
        self.paths = {
            "summary": f"/api/v1/elections/{ELECTION}/summary",
            "alerts": f"/api/v1/alerts?election_id={ELECTION}&limit=50",
        }
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def run(self, stop: threading.Event) -> None:
        def worker(k: int) -> None:
            names = list(self.paths)
            with httpx.Client(base_url=self.base, headers=self.headers, timeout=30) as client:
                i = k
                while not stop.is_set():
                    name = names[i % len(names)]
                    i += 1
                    started = time.perf_counter()
                    try:
                        response = client.get(self.paths[name])
                        ok = response.status_code == 200
                        if not ok and not self.errors[name]:
                            print(f"{name}: {response.status_code} {response.text[:300]}")
                    except httpx.HTTPError as exc:
                        ok = False
                        print(f"{name}: {exc!r}")
                    elapsed = time.perf_counter() - started
                    with self.lock:
                        self.samples[name].append(elapsed)
                        if not ok:
                            self.errors[name] += 1

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def measure(base: str, token: str, clients: int, until: threading.Event | float) -> Load:
    load = Load(base, token, clients)
    stop = threading.Event()
    runner = threading.Thread(target=load.run, args=(stop,))
    runner.start()
    if isinstance(until, float):
        time.sleep(until)
    else:
        until.wait()
    stop.set()
    runner.join()
    return load


def report(name: str, phase: str, load: Load) -> None:
    values = load.samples[name]
    print(f"{name:<10}{phase:<9}{len(values):>9}{1000 * percentile(values, 50):>9.1f}"
          f"{1000 * percentile(values, 95):>9.1f}{1000 * max(values):>9.1f}"
          f"{load.errors[name]:>8}")  # fmt: skip


def run_level(args: argparse.Namespace, url: str, base: str, token: str, clients: int,
              later: Path) -> None:  # fmt: skip
    """One client count: idle, then while ``elmon ingest`` loads ``later``."""
    idle = measure(base, token, clients, args.idle_seconds)
    done = threading.Event()
    started = time.perf_counter()
    ingest = subprocess.Popen(
        [sys.executable, "-m", "election_monitor", "--database-url", url, "ingest",
         str(later), "--election-id", ELECTION, "--json"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    waiter = threading.Thread(target=lambda: (ingest.wait(), done.set()))
    waiter.start()
    loaded = measure(base, token, clients, done)
    seconds = time.perf_counter() - started
    waiter.join()
    print(f"\n{clients} clients, {args.workers} server process(es); ingest of "
          f"{args.ingest_rows:,} rows took {seconds:.0f} s (exit {ingest.returncode})")  # fmt: skip
    print(f"{'endpoint':<10}{'phase':<9}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'max ms':>9}{'errors':>8}")  # fmt: skip
    for name in ("summary", "alerts"):
        report(name, "idle", idle)
        report(name, "ingest", loaded)
        ratio = percentile(loaded.samples[name], 95) / percentile(idle.samples[name], 95)
        print(f"{name:<10}p95 during ingest / idle: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="pre-loaded transactions")
    parser.add_argument("--ingest-rows", type=int, default=300_000, help="loaded per level")
    parser.add_argument("--contracts", type=int, default=200)
    parser.add_argument("--alerts", type=int, default=2_000)
    parser.add_argument("--clients", default="8", help="client counts, e.g. 4,8")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
        preload = folder / "PRELOAD_dump.csv"
        write_export(preload, args.rows, contracts=args.contracts, seed=1)
        token = prepare(url, preload, args.alerts)
        preload.unlink()
        backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"{backend}: {args.rows:,} transactions pre-loaded over {args.contracts} "
              f"constituencies, {args.alerts:,} alerts")  # fmt: skip
        port = free_port()
        server = start_server(url, port, args.workers)
        try:
            for level, clients in enumerate(levels):
                later = folder / f"LATER{level}_dump.csv"
                write_export(later, args.ingest_rows, contracts=args.contracts, seed=2 + level)
                run_level(args, url, f"http://127.0.0.1:{port}", token, clients, later)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
