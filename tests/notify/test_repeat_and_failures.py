"""Repeats of an unresolved critical alert, a slow webhook, and alert writes that never wait for
the dispatcher while it is stuck on a receiver."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from election_monitor.enums import DeliveryStatus
from election_monitor.models import Alert, NotificationDelivery, NotificationOutbox
from election_monitor.notify import Dispatcher, channels, deliveries
from election_monitor.notify.receiver import WebhookReceiver
from election_monitor.timeutil import utcnow
from tests.notify.test_delivery import (
    ACTOR,
    engine,
    offline,
    raise_all,
    receiver,
    settings,
    setup,
)

__all__ = ["engine", "receiver"]  # the fixtures, shared with test_delivery


def changes(receiver: WebhookReceiver) -> list[str]:
    return [m.payload["change"] for m in receiver.state.unique]


def test_unresolved_critical_is_repeated_after_the_interval_until_resolved(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    ids = setup(engine, receiver, 2)
    raise_all(engine, [offline(ids[0], severity="critical"), offline(ids[1], window="w")])
    dispatcher = Dispatcher(engine, settings=settings(repeat_interval_hours=4))
    dispatcher.run_until_idle()
    assert changes(receiver) == ["raised"]
    now = utcnow()
    dispatcher.run_once(now=now + timedelta(hours=1))  # within the interval: nothing
    assert changes(receiver) == ["raised"]
    dispatcher.run_once(now=now + timedelta(hours=5))
    assert changes(receiver) == ["raised", "repeat"]
    repeat = receiver.state.unique[1].payload
    # Only the critical one is repeated; the warning of the same group is not.
    assert [a["constituency_id"] for a in repeat["alerts"]] == [ids[0]]
    dispatcher.run_once(now=now + timedelta(hours=6))  # the repeat restarted the interval
    assert changes(receiver) == ["raised", "repeat"]
    dispatcher.run_once(now=now + timedelta(hours=10))
    assert changes(receiver) == ["raised", "repeat", "repeat"]
    with Session(engine) as db:
        critical = db.scalars(select(Alert).where(Alert.severity == "critical")).one()
        critical.status = "resolved"
        critical.resolved_at = utcnow()
        db.commit()
    dispatcher.run_once(now=now + timedelta(hours=20))
    dispatcher.stop()
    assert changes(receiver)[:3] == ["raised", "repeat", "repeat"]
    assert "repeat" not in changes(receiver)[3:]


def test_slow_webhook_times_out_with_a_clear_status_and_is_not_lost(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    ids = setup(engine, receiver, 1)
    with Session(engine) as db:
        channels.update_channel(db, ref="hook", config={"timeout_seconds": 0.2}, actor=ACTOR)
        db.commit()
    receiver.state.delay_seconds = 1.0
    raise_all(engine, [offline(ids[0])])
    dispatcher = Dispatcher(engine, settings=settings(max_attempts=2))
    for _ in range(100):
        dispatcher.run_once()
        with Session(engine) as db:
            if db.scalar(select(NotificationDelivery.status)) == DeliveryStatus.DEAD:
                break
    with Session(engine) as db:
        channel = channels.get_channel(db, "hook")
        assert channel.status == "failing"
        assert "timed out after 0.2 s" in (channel.last_error or "")
        [dead], _ = deliveries.dead_letters(db)
        dead_id = dead.id
        assert "timed out" in (dead.last_error or "")
        receiver.state.delay_seconds = 0.0  # the receiver recovers
        deliveries.retry(db, delivery_id=dead_id, actor=ACTOR)
        db.commit()
    dispatcher.run_until_idle()
    dispatcher.stop()
    # The slow attempts may have been stored by the receiver after the sender gave up; the
    # retry carries the same key, so the receiver still holds the message once.
    assert [m.key for m in receiver.state.unique] == [dead_id]
    with Session(engine) as db:
        assert db.scalar(select(NotificationDelivery.status)) == DeliveryStatus.DELIVERED


def test_alert_writes_do_not_wait_for_a_dispatcher_stuck_on_a_receiver(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    ids = setup(engine, receiver, 3)
    entered, release = threading.Event(), threading.Event()

    def hold(n: int) -> int | None:
        if n == 0:
            entered.set()
            release.wait(60)
        return None

    receiver.state.respond = hold
    with Session(engine) as db:
        channels.update_channel(db, ref="hook", config={"timeout_seconds": 60}, actor=ACTOR)
        db.commit()
    raise_all(engine, [offline(ids[0])])
    dispatcher = Dispatcher(engine, settings=settings())
    dispatcher.start()
    try:
        assert entered.wait(30), "the dispatcher never reached the receiver"
        # The dispatcher is inside a send: detection writes alerts and outbox rows anyway.
        raise_all(engine, [offline(c, window="later") for c in ids[1:]])
        with Session(engine) as db:
            assert db.scalar(select(func.count()).select_from(NotificationOutbox)) == 3
        assert receiver.state.unique == []
        release.set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(receiver.state.unique) < 2:
            time.sleep(0.05)
    finally:
        release.set()
        dispatcher.stop()
    listed = sorted(
        a["constituency_id"] for m in receiver.state.unique for a in m.payload["alerts"]
    )
    assert listed == sorted(ids)
    assert receiver.state.duplicates == 0
    assert receiver.state.bad_signatures == 0
