"""kill -9 trials of the notification dispatcher: nothing lost, nothing shown twice.

Each trial raises a batch of alerts, starts ``elmon notify`` as a subprocess and kills it with
SIGKILL at a random moment: mostly once the receivers have seen a random number of requests
(so the kill lands mid-send: before, during or after a receiver's answer is recorded), and
sometimes at a random time after start (so it lands in planning or start-up too). The next
trial's dispatcher inherits what the killed one left. A last dispatcher drains the rest.

Two webhook channels, each with its own receiver on 127.0.0.1 that checks signatures and
drops repeated idempotency keys. Pass: per channel, the receiver holds exactly one message per
alert, no key twice and no key of the other channel; every delivery is ``delivered``. Resends
that the receivers dropped (a kill after the answer, before it was recorded) are counted, and
so are requests cut short by a kill while the body was being written (the receiver reads
fewer bytes than Content-Length and answers nothing; before that check such a request counted
as a bad signature).

    PYTHONPATH=src python -m benchmarks.notify_kill --trials 100      # JSON on stdout
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import election_monitor
from election_monitor.accounts.audit import Actor
from election_monitor.alerts.service import Signal, index_alerts, raise_or_update
from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.enums import DeliveryStatus
from election_monitor.models import Alert, Constituency, Election, NotificationDelivery
from election_monitor.notify import channels
from election_monitor.notify.receiver import WebhookReceiver

SECRET = "kill-trial-secret"
CHANNELS = ("hook-a", "hook-b")
ACTOR = Actor.cli("notify-kill")


@dataclass
class KillReport:
    trials: int
    alerts: int
    expected_per_channel: int
    received_per_channel: dict[str, int]
    duplicate_keys_accepted: int
    keys_shared_between_channels: int
    resends_dropped: int
    bad_signatures: int
    incomplete_requests: int
    not_delivered: int
    kills_mid_send: int
    kills_at_random_time: int
    seconds: float
    ok: bool = False
    notes: list[str] = field(default_factory=list)


def _dispatcher(url: str) -> subprocess.Popen[bytes]:
    # The subprocess imports this very source tree, whatever the working directory is.
    src = str(Path(election_monitor.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
        "ELMON_NOTIFY_GROUP_WAIT_SECONDS": "0",
        "ELMON_NOTIFY_GROUP_BY": '["constituency_id"]',  # one delivery per alert and channel
        "ELMON_NOTIFY_LEASE_MARGIN_SECONDS": "0",  # a killed sender's lease ends after 1 s
        "ELMON_NOTIFY_POLL_SECONDS": "0.05",
    }
    return subprocess.Popen(
        # The dispatcher loop of `elmon notify`, without loading the whole CLI (faster start).
        [sys.executable, "-m", "election_monitor.notify", "--database-url", url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _raise_batch(engine: Engine, constituency_ids: list[str], trial: int) -> None:
    with Session(engine) as db:
        index = index_alerts(db.scalars(select(Alert)))
        for cid in constituency_ids:
            signal_ = Signal(
                constituency_id=cid, type="constituency_offline", window_key=f"trial-{trial}",
                severity="warning", title=f"{cid} offline", description="no data",
                evidence={}, last_seen="2026-09-18T08:00:00+00:00", magnitude=3.0,
                statistical=True,
            )  # fmt: skip
            raise_or_update(db, signal_, index=index)
        db.commit()


def _setup(engine: Engine, receivers: list[WebhookReceiver]) -> str:
    start = datetime(2026, 9, 18, 5, 0, tzinfo=UTC)
    with Session(engine) as db:
        election = Election(name="kill trials", start_date=start, end_date=start + timedelta(3))
        db.add(election)
        for name, receiver in zip(CHANNELS, receivers, strict=True):
            config = {"url": receiver.url, "secret": SECRET, "timeout_seconds": 1}
            channels.create_channel(db, name=name, kind="webhook", config=config, actor=ACTOR)
            channels.create_rule(db, actor=ACTOR, name=name, channel_ref=name)
        db.commit()
        return election.id


def _constituencies(engine: Engine, election_id: str, n: int) -> list[str]:
    """New constituencies per trial: one group (one delivery per channel) per alert."""
    ids = [uuid.uuid4().hex for _ in range(n)]
    with Session(engine) as db:
        db.add_all(
            Constituency(id=cid, election_id=election_id, name=f"D{i}", region="77",
                         type="urban", registered_voters=1000)
            for i, cid in enumerate(ids)
        )  # fmt: skip
        db.commit()
    return ids


def _requests(receivers: list[WebhookReceiver]) -> int:
    return sum(r.state.requests for r in receivers)


def _left(engine: Engine) -> tuple[int, int]:
    with Session(engine) as db:
        total = int(db.scalar(select(func.count()).select_from(NotificationDelivery)) or 0)
        left = int(
            db.scalar(
                select(func.count())
                .select_from(NotificationDelivery)
                .where(NotificationDelivery.status != DeliveryStatus.DELIVERED.value)
            )
            or 0
        )
    return total, left


def run_trials(url: str, *, trials: int, alerts: int = 10, seed: int = 16) -> KillReport:
    """``trials`` kills on the database at ``url`` (migrated here); the result, checked."""
    started = time.perf_counter()
    rng = random.Random(seed)
    engine = make_engine(url)
    migrate.upgrade(engine)
    receivers = [WebhookReceiver(SECRET).start() for _ in CHANNELS]
    mid_send = at_random = 0
    try:
        for r in receivers:
            r.state.delay_seconds = 0.01
        election_id = _setup(engine, receivers)
        for trial in range(trials):
            _raise_batch(engine, _constituencies(engine, election_id, alerts), trial)
            before = _requests(receivers)
            proc = _dispatcher(url)
            if rng.random() < 0.25:
                time.sleep(rng.uniform(0.05, 1.5))
                at_random += 1
            else:
                target = before + rng.randint(1, 2 * alerts - 1)
                deadline = time.monotonic() + 60
                while _requests(receivers) < target and time.monotonic() < deadline:
                    time.sleep(0.002)
                time.sleep(rng.uniform(0, 0.02))
                mid_send += 1
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        expected = trials * alerts
        proc = _dispatcher(url)
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline:
                total, left = _left(engine)
                if total == expected * len(CHANNELS) and left == 0:
                    break
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        total, left = _left(engine)
    finally:
        for r in receivers:
            r.stop()
        engine.dispose()
    keys = [{m.key for m in r.state.unique} for r in receivers]
    pairs = list(zip(CHANNELS, receivers, strict=True))
    accepted_twice = sum(len(r.state.unique) - len(k) for r, k in zip(receivers, keys, strict=True))
    report = KillReport(
        trials=trials,
        alerts=alerts,
        expected_per_channel=expected,
        received_per_channel={n: len(r.state.unique) for n, r in pairs},
        duplicate_keys_accepted=accepted_twice,
        keys_shared_between_channels=len(keys[0] & keys[1]),
        resends_dropped=sum(r.state.duplicates for r in receivers),
        bad_signatures=sum(r.state.bad_signatures for r in receivers),
        incomplete_requests=sum(r.state.incomplete for r in receivers),
        not_delivered=left + max(0, expected * len(CHANNELS) - total),
        kills_mid_send=mid_send,
        kills_at_random_time=at_random,
        seconds=round(time.perf_counter() - started, 1),
    )  # fmt: skip
    report.ok = (
        all(n == expected for n in report.received_per_channel.values())
        and report.duplicate_keys_accepted == 0
        and report.keys_shared_between_channels == 0
        and report.bad_signatures == 0
        and report.not_delivered == 0
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--alerts", type=int, default=10, help="alerts raised per trial")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp dir")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'kill.db'}"
        report = run_trials(url, trials=args.trials, alerts=args.alerts, seed=args.seed)
    out: dict[str, Any] = asdict(report)
    out["database"] = url.split(":", 1)[0]
    sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
