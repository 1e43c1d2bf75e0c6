"""A burst of alerts through the dispatcher to a local webhook receiver, with grouping on; and
the first-notification latency of a critical alert.

Burst: N offline alerts over R regions are raised (and committed: their outbox rows exist),
then a fresh dispatcher process (``--dispatch-only``, so its memory is its own) plans and sends
them to a receiver on 127.0.0.1 that checks every signature. Reported: seconds from the
dispatcher's start to the last message received, messages, alerts listed, and the
dispatcher's RSS before work and at its peak (VmHWM), for 1,000 and 5,000 alerts.

Latency: a dispatcher runs in a thread (default poll 0.5 s, critical group wait 0); each
sample commits one critical alert (the detection transaction that raises it) and times until
the receiver has the message.

    PYTHONPATH=src python -m benchmarks.notify_burst                 # JSON on stdout
    PYTHONPATH=src python -m benchmarks.notify_burst --sizes 1000 5000 --regions 50 --latency 20
    PYTHONPATH=src python -m benchmarks.notify_burst --batch-size 1000 --latency 0
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import election_monitor
from election_monitor.accounts.audit import Actor
from election_monitor.alerts.service import Signal, index_alerts, raise_or_update
from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.models import Alert, Constituency, Election
from election_monitor.notify import Dispatcher, NotifySettings, channels
from election_monitor.notify.receiver import Received, WebhookReceiver

SECRET = "burst-secret-123"
ACTOR = Actor.cli("notify-burst")


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _signal(cid: str, *, severity: str = "warning", window: str = "") -> Signal:
    return Signal(
        constituency_id=cid, type="constituency_offline", window_key=window, severity=severity,
        title=f"{cid} offline", description="no data", evidence={},
        last_seen="2026-09-18T08:00:00+00:00", magnitude=3.0, statistical=True,
    )  # fmt: skip


def _constituencies(engine: Engine, n: int, regions: int) -> list[str]:
    start = datetime(2026, 9, 18, 5, 0, tzinfo=UTC)
    with Session(engine) as db:
        election = Election(name="burst", start_date=start, end_date=start + timedelta(days=3))
        db.add(election)
        db.flush()
        ids = [uuid.uuid4().hex for _ in range(n)]
        db.add_all(
            Constituency(id=cid, election_id=election.id, name=f"D{i}", region=str(i % regions),
                         type="urban", registered_voters=1000)
            for i, cid in enumerate(ids)
        )  # fmt: skip
        db.commit()
    return ids


def _channel(engine: Engine, url: str) -> None:
    with Session(engine) as db:
        config = {"url": url, "secret": SECRET, "timeout_seconds": 10}
        channels.create_channel(db, name="hook", kind="webhook", config=config, actor=ACTOR)
        channels.create_rule(db, actor=ACTOR, name="all", channel_ref="hook")
        db.commit()


def _raise(engine: Engine, signals: list[Signal]) -> None:
    with Session(engine) as db:
        index = index_alerts(db.scalars(select(Alert)))
        for s in signals:
            raise_or_update(db, s, index=index)
        db.commit()


def dispatch_only(url: str) -> dict[str, Any]:
    """The child: drain the outbox once, report time and memory."""
    engine = make_engine(url)
    settings = NotifySettings(group_wait_seconds=0)
    rss_before = _rss_kib("VmRSS")
    started = time.perf_counter()
    dispatcher = Dispatcher(engine, settings=settings)
    reports = dispatcher.run_until_idle()
    dispatcher.stop()
    return {
        "dispatch_seconds": round(time.perf_counter() - started, 2),
        "rounds": len(reports),
        "rss_before_mib": round(rss_before / 1024, 1),
        "rss_peak_mib": round(_rss_kib("VmHWM") / 1024, 1),
    }


def burst(size: int, regions: int, tmp: Path, batch_size: int | None = None) -> dict[str, Any]:
    url = f"sqlite:///{tmp / f'burst-{size}.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with WebhookReceiver(SECRET) as receiver:
        _channel(engine, receiver.url)
        ids = _constituencies(engine, size, regions)
        t0 = time.perf_counter()
        _raise(engine, [_signal(c) for c in ids])
        raise_seconds = time.perf_counter() - t0
        src = str(Path(election_monitor.__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
        if batch_size:
            env["ELMON_NOTIFY_BATCH_SIZE"] = str(batch_size)
        t1 = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.notify_burst", "--dispatch-only", url],
            env=env, capture_output=True, check=True, cwd=Path(src).parent,
        )  # fmt: skip
        wall = time.perf_counter() - t1
        messages = list(receiver.state.unique)
    engine.dispose()
    out = orjson.loads(child.stdout)
    listed = sum(len(m.payload["alerts"]) for m in messages)
    return {
        "alerts": size,
        "regions": regions,
        "batch_size": batch_size or NotifySettings().batch_size,
        "raise_seconds": round(raise_seconds, 2),
        "process_seconds": round(wall, 2),
        "messages": len(messages),
        "alerts_counted": sum(int(m.payload["count"]) for m in messages),
        "alerts_listed": listed,
        "bad_signatures": receiver.state.bad_signatures,
        **out,
    }


def latency(samples: int, tmp: Path) -> dict[str, Any]:
    url = f"sqlite:///{tmp / 'latency.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    arrived: dict[str, float] = {}
    got = threading.Condition()

    def on_message(item: Received) -> None:
        with got:
            for a in item.payload["alerts"]:
                arrived[a["constituency_id"]] = time.perf_counter()
            got.notify_all()

    times: list[float] = []
    with WebhookReceiver(SECRET) as receiver:
        receiver.state.on_message = on_message
        _channel(engine, receiver.url)
        ids = _constituencies(engine, samples, samples)
        dispatcher = Dispatcher(engine, settings=NotifySettings())  # defaults: 30 s / 0 s wait
        dispatcher.start()
        try:
            for cid in ids:
                committed = time.perf_counter()
                _raise(engine, [_signal(cid, severity="critical")])
                with got:
                    got.wait_for(lambda c=cid: c in arrived, timeout=30)  # type: ignore[misc]
                times.append(arrived.get(cid, float("inf")) - committed)
        finally:
            dispatcher.stop()
    engine.dispose()
    ordered = sorted(times)
    return {
        "samples": samples,
        "median_seconds": round(statistics.median(ordered), 3),
        "p95_seconds": round(ordered[min(len(ordered) - 1, math.ceil(len(ordered) * 0.95) - 1)], 3),
        "max_seconds": round(ordered[-1], 3),
        "poll_seconds": NotifySettings().poll_seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--regions", type=int, default=50)
    parser.add_argument("--latency", type=int, default=20, help="critical alerts to time")
    parser.add_argument(
        "--batch-size", type=int, help="ELMON_NOTIFY_BATCH_SIZE of the dispatcher (default 5000)"
    )
    parser.add_argument("--dispatch-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dispatch_only:
        sys.stdout.write(orjson.dumps(dispatch_only(args.dispatch_only)).decode())
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        runs = [burst(size, args.regions, Path(tmp), args.batch_size) for size in args.sizes]
        result: dict[str, Any] = {"burst": runs}
        if len(runs) >= 2:
            result["rss_peak_ratio_largest_to_smallest"] = round(
                runs[-1]["rss_peak_mib"] / runs[0]["rss_peak_mib"], 2
            )
        if args.latency:
            result["critical_latency"] = latency(args.latency, Path(tmp))
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
