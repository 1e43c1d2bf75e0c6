"""kill -9 of the dispatcher at random moments: every delivery arrives, none is lost.

The receiver counts unique idempotency keys; resends of a key (the dispatcher killed after
the receiver answered but before it recorded the answer) are dropped by the receiver and
counted apart. ``benchmarks/notify_kill.py`` runs 100 such trials.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from election_monitor.accounts.audit import Actor
from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.enums import DeliveryStatus
from election_monitor.models import NotificationDelivery
from election_monitor.notify import channels
from election_monitor.notify.receiver import WebhookReceiver
from tests.factories import make_constituency, make_election
from tests.notify.test_delivery import offline, raise_all

SECRET = "kill-secret-1"
ALERTS = 30
TRIALS = 5


def _dispatcher(url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ELMON_NOTIFY_GROUP_WAIT_SECONDS": "0",
        "ELMON_NOTIFY_GROUP_BY": '["constituency_id"]',  # one delivery per alert
        "ELMON_NOTIFY_LEASE_MARGIN_SECONDS": "0",
        "ELMON_NOTIFY_POLL_SECONDS": "0.05",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "election_monitor", "--database-url", url, "notify"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_kill_9_trials_lose_nothing(empty_database_url: str, tmp_path: Path) -> None:
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    rng = random.Random(16)
    with WebhookReceiver(SECRET) as receiver:
        receiver.state.delay_seconds = 0.01
        with Session(engine) as db:
            election = make_election(db)
            ids = [make_constituency(db, election_id=election.id).id for _ in range(ALERTS)]
            channels.create_channel(
                db, name="hook", kind="webhook", actor=Actor.cli("t"),
                config={"url": receiver.url, "secret": SECRET, "timeout_seconds": 1},
            )  # fmt: skip
            channels.create_rule(db, actor=Actor.cli("t"), name="all", channel_ref="hook")
            db.commit()
        raise_all(engine, [offline(c) for c in ids])
        for _ in range(TRIALS):
            proc = _dispatcher(empty_database_url)
            time.sleep(rng.uniform(0.3, 1.5))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        proc = _dispatcher(empty_database_url)
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                with Session(engine) as db:
                    left = db.scalar(
                        select(func.count())
                        .select_from(NotificationDelivery)
                        .where(NotificationDelivery.status != DeliveryStatus.DELIVERED.value)
                    )
                    total = db.scalar(select(func.count()).select_from(NotificationDelivery))
                if total == ALERTS and left == 0:
                    break
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        assert total == ALERTS
        assert left == 0
        assert len(receiver.state.unique) == ALERTS  # every key, each received
        assert len({r.key for r in receiver.state.unique}) == ALERTS
        assert receiver.state.bad_signatures == 0
    engine.dispose()
