"""Dashboard overview render time at N constituencies, against its JSON twins in the same run.

Set-up: a SQLite file with one election of ``--constituencies`` constituencies over
``--regions`` regions, 72 hourly rows each and ``--alerts`` open alerts; the app built in this
process (``create_app``) behind Starlette's in-process TestClient, a signed-in viewer. Then, in
turn, ``--repeat`` times each: ``GET /`` (the HTML page: summary, region grid, first 50 rows)
and the three JSON twins it is built from (``/elections/{id}/summary``, ``/regions``,
``/constituencies?election_id=..&limit=50``). Prints JSON: median and p95 milliseconds per
request kind, and the ratio page / sum of the twins (the cost of templating).

    python -m benchmarks.dashboard_overview --constituencies 500
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("ELMON_PASSWORD_TIME_COST", "1")
os.environ.setdefault("ELMON_PASSWORD_MEMORY_KIB", "8192")

from election_monitor.accounts import users
from election_monitor.accounts.audit import Actor
from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.models import Alert, Constituency, HourlyStats

ELECTION = "bench-election"
PASSWORD = "benchmark-password"
T0 = datetime(2026, 9, 18, 5, tzinfo=UTC)


def seed(url: str, n: int, regions: int, n_alerts: int) -> None:
    """One election, ``n`` constituencies with 72 hours each, open alerts, a viewer."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(11)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO elections (id, name, start_date, end_date, status, "
                "total_constituencies, timezone, created_at) VALUES (:id, 'bench', "
                "'2026-09-18', '2026-09-21', 'active', :n, 'Europe/Moscow', '2026-09-01')"
            ),
            {"id": ELECTION, "n": n},
        )
        rows, hours = [], []
        for i in range(n):
            registered = rng.randint(500, 50_000)
            bulletins = int(registered * rng.uniform(0.2, 0.7))
            rows.append({
                "id": f"C{i:04d}", "election_id": ELECTION, "name": f"Constituency {i}",
                "region": f"Region {i % regions}", "type": rng.choice(["urban", "rural"]),
                "registered_voters": registered, "bulletins_issued": bulletins,
                "votes_cast": int(bulletins * 0.97), "participation_rate": 50.0,
                "anomaly_score": rng.random() * 5, "status": "active",
                "last_data_time": T0 + timedelta(hours=71), "voters_listed": registered,
            })  # fmt: skip
            for h in range(72):
                b = bulletins // 72
                hours.append({
                    "constituency_id": f"C{i:04d}", "hour": T0 + timedelta(hours=h),
                    "bulletins_issued": b, "votes_cast": int(b * 0.97),
                    "transaction_count": 2 * b,
                })  # fmt: skip
        conn.execute(insert(Constituency), rows)
        conn.execute(insert(HourlyStats), hours)
        alerts = [
            {
                "id": f"alert-{i}", "constituency_id": f"C{rng.randrange(n):04d}",
                "type": "unusual_spike", "severity": rng.choice(["critical", "warning", "info"]),
                "status": "active", "title": f"synthetic alert {i}", "details": {}, "notes": [],
                "detected_at": T0 + timedelta(minutes=i), "created_at": T0,
            }
            for i in range(n_alerts)
        ]  # fmt: skip
        if alerts:
            conn.execute(insert(Alert), alerts)
    from sqlalchemy.orm import Session

    with Session(engine) as db:
        users.create_user(db, username="bench", password=PASSWORD, role="viewer", actor=Actor.cli())
        db.commit()
    engine.dispose()


def timed(client: object, path: str, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        samples.append(elapsed)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--constituencies", type=int, default=500)
    parser.add_argument("--regions", type=int, default=85)
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from election_monitor.api import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        seed(url, args.constituencies, args.regions, args.alerts)
        engine = make_engine(url)
        with TestClient(create_app(engine=engine)) as client:
            login = {"username": "bench", "password": PASSWORD, "next": "/"}
            assert client.post("/login", data=login, follow_redirects=False).status_code == 303
            twins = {
                "summary": f"/api/v1/elections/{ELECTION}/summary",
                "regions": f"/api/v1/elections/{ELECTION}/regions",
                "constituencies": f"/api/v1/constituencies?election_id={ELECTION}&limit=50"
                "&sort=-anomaly_score",
            }
            page = f"/?election_id={ELECTION}"
            for path in [page, *twins.values()]:  # warm-up: templates, caches, connections
                timed(client, path, 2)
            samples: dict[str, list[float]] = {name: [] for name in ["page", *twins]}
            for _ in range(args.repeat):  # interleaved, so drift hits both sides alike
                samples["page"] += timed(client, page, 1)
                for name, path in twins.items():
                    samples[name] += timed(client, path, 1)
        engine.dispose()

    def ms(values: list[float], q: int) -> float:
        cut = statistics.quantiles(values, n=100, method="inclusive")
        return round(1000 * (statistics.median(values) if q == 50 else cut[q - 1]), 2)

    twin_median = sum(statistics.median(samples[name]) for name in twins)
    result = {
        "constituencies": args.constituencies,
        "regions": args.regions,
        "alerts": args.alerts,
        "repeat": args.repeat,
        "median_ms": {name: ms(values, 50) for name, values in samples.items()},
        "p95_ms": {name: ms(values, 95) for name, values in samples.items()},
        "twins_median_ms": round(1000 * twin_median, 2),
        "ratio_page_to_twins": round(statistics.median(samples["page"]) / twin_median, 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
