"""Delivery end to end: alert changes -> outbox -> dispatcher -> a real webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from election_monitor.accounts.audit import Actor
from election_monitor.alerts.service import Signal, auto_resolve, index_alerts, raise_or_update
from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.models import Alert, NotificationDelivery, NotificationOutbox
from election_monitor.notify import Dispatcher, NotifySettings, channels, deliveries, silences
from election_monitor.notify.receiver import WebhookReceiver
from election_monitor.timeutil import utcnow
from tests.factories import make_constituency, make_election

SECRET = "s3cret-for-tests"
ACTOR = Actor.cli("tests")


@pytest.fixture
def engine(empty_database_url: str) -> Iterator[Engine]:
    eng = make_engine(empty_database_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as r:
        yield r


def settings(**overrides: object) -> NotifySettings:
    base: dict[str, object] = {
        "group_wait_seconds": 0,
        "backoff_seconds": 0.01,
        "backoff_max_seconds": 0.02,
        "max_attempts": 3,
    }
    base.update(overrides)
    return NotifySettings(**base)  # type: ignore[arg-type]


def offline(cid: str, *, severity: str = "warning", evidence: dict[str, object] | None = None,
            window: str = "") -> Signal:  # fmt: skip
    return Signal(
        constituency_id=cid, type="constituency_offline", window_key=window, severity=severity,
        title=f"{cid} offline", description="no data", evidence=evidence or {},
        last_seen="2026-09-18T08:00:00+00:00", magnitude=3.0, statistical=True,
    )  # fmt: skip


def setup(engine: Engine, receiver: WebhookReceiver, n: int, region: str = "77") -> list[str]:
    with Session(engine) as db:
        election = make_election(db)
        ids = [
            make_constituency(db, election_id=election.id, region=region, name=f"D{i}").id
            for i in range(n)
        ]
        channels.create_channel(
            db, name="hook", kind="webhook", config={"url": receiver.url, "secret": SECRET},
            actor=ACTOR,
        )  # fmt: skip
        channels.create_rule(db, actor=ACTOR, name="all", channel_ref="hook")
        db.commit()
    return ids


def raise_all(engine: Engine, signals: list[Signal]) -> None:
    with Session(engine) as db:
        index = index_alerts(db.scalars(select(Alert)))
        for signal in signals:
            raise_or_update(db, signal, index=index)
        db.commit()


def test_sixty_offline_alerts_of_one_region_arrive_as_one_signed_message(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    ids = setup(engine, receiver, 60)
    raise_all(engine, [offline(c) for c in ids])
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(NotificationOutbox)) == 60
    dispatcher = Dispatcher(engine, settings=settings())
    dispatcher.run_until_idle()
    dispatcher.stop()
    assert receiver.state.bad_signatures == 0
    assert len(receiver.state.unique) == 1
    body = receiver.state.unique[0].payload
    assert body["count"] == 60
    assert body["change"] == "raised"
    assert body["labels"]["region"] == "77"
    assert {a["constituency_id"] for a in body["alerts"]} == set(ids)


def test_group_wait_holds_a_warning_but_not_a_critical(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    ids = setup(engine, receiver, 2)
    raise_all(engine, [offline(ids[0]), offline(ids[1], severity="critical", window="x")])
    dispatcher = Dispatcher(engine, settings=settings(group_wait_seconds=3600))
    dispatcher.run_until_idle()
    # Both are one group (election, type, region): the critical one lets the group go now.
    assert len(receiver.state.unique) == 1
    assert receiver.state.unique[0].payload["count"] == 2
    raise_all(engine, [offline(ids[0], window="later")])  # a warning alone waits an hour
    dispatcher.run_until_idle()
    assert len(receiver.state.unique) == 1
    dispatcher.run_once(now=utcnow() + timedelta(hours=2))
    dispatcher.stop()
    assert len(receiver.state.unique) == 2


def test_resolved_follows_a_notified_alert_and_silence_mutes(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    ids = setup(engine, receiver, 2, region="50")
    with Session(engine) as db:
        silences.create_silence(
            db, matchers={"constituency_id": ids[1]}, ends_at=utcnow() + timedelta(hours=1),
            comment="known maintenance", actor=ACTOR,
        )  # fmt: skip
        db.commit()
    raise_all(engine, [offline(c) for c in ids])
    dispatcher = Dispatcher(engine, settings=settings())
    dispatcher.run_until_idle()
    assert [a["constituency_id"] for a in receiver.state.unique[0].payload["alerts"]] == [ids[0]]
    with Session(engine) as db:
        alerts = list(db.scalars(select(Alert)))
        auto_resolve(db, alerts, data_time=utcnow() + timedelta(days=1), clean_hours=1)
        db.commit()
    dispatcher.run_until_idle()
    dispatcher.stop()
    assert len(receiver.state.unique) == 2
    resolved = receiver.state.unique[1].payload
    assert resolved["change"] == "resolved"
    # Only the alert that was notified gets a resolved message; the silenced one does not.
    assert [a["constituency_id"] for a in resolved["alerts"]] == [ids[0]]


def test_platform_outage_inhibits_its_constituencies_offline_alerts(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    ids = setup(engine, receiver, 4)
    platform = offline(ids[0], severity="critical", window="platform:2026-09-18T07:00",
                       evidence={"scope": "platform", "constituency_ids": ids[1:3]})  # fmt: skip
    raise_all(engine, [platform, *[offline(c) for c in ids[1:]]])
    dispatcher = Dispatcher(engine, settings=settings())
    dispatcher.run_until_idle()
    dispatcher.stop()
    listed = [a["constituency_id"] for m in receiver.state.unique for a in m.payload["alerts"]]
    assert sorted(listed) == sorted([ids[0], ids[3]])  # the parent, and the one it skips


def test_failing_receiver_dead_letters_then_retry_delivers_once(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    ids = setup(engine, receiver, 1)
    receiver.state.respond = lambda n: 500 if n < 3 else None
    raise_all(engine, [offline(ids[0])])
    dispatcher = Dispatcher(engine, settings=settings())
    for _ in range(50):
        dispatcher.run_once()
        with Session(engine) as db:
            if db.scalar(select(NotificationDelivery.status)) == "dead":
                break
    with Session(engine) as db:
        dead, total = deliveries.dead_letters(db)
        assert total == 1
        assert "HTTP 500" in (dead[0].last_error or "")
        assert dead[0].attempts == 3
        channel = channels.get_channel(db, "hook")
        assert channel.status == "failing"
        deliveries.retry(db, delivery_id=dead[0].id, actor=ACTOR)
        db.commit()
    dispatcher.run_until_idle()
    dispatcher.stop()
    assert len(receiver.state.unique) == 1
    assert receiver.state.requests == 4
    with Session(engine) as db:
        assert db.scalar(select(NotificationDelivery.status)) == "delivered"
        assert channels.get_channel(db, "hook").status == "ok"


def test_unreachable_webhook_and_malformed_config_give_clear_errors(engine: Engine) -> None:
    with Session(engine) as db:
        election = make_election(db)
        cid = make_constituency(db, election_id=election.id).id
        channels.create_channel(
            db, name="down", kind="webhook",
            config={"url": "http://127.0.0.1:9/hook", "secret": SECRET, "timeout_seconds": 1},
            actor=ACTOR,
        )  # fmt: skip
        channels.create_rule(db, actor=ACTOR, name="all", channel_ref="down")
        bad = channels.create_channel(
            db, name="bad", kind="webhook", config={"url": "http://x/", "secret": SECRET},
            actor=ACTOR,
        )  # fmt: skip
        bad.config = {"url": "ftp://nowhere"}  # edited behind the API's back
        channels.create_rule(db, actor=ACTOR, name="bad", channel_ref="bad")
        db.commit()
    raise_all(engine, [offline(cid)])
    dispatcher = Dispatcher(engine, settings=settings(max_attempts=2))
    for _ in range(50):
        dispatcher.run_once()
    dispatcher.stop()
    with Session(engine) as db:
        down, bad = channels.get_channel(db, "down"), channels.get_channel(db, "bad")
        assert down.status == "failing"
        assert "cannot reach" in (down.last_error or "")
        assert bad.status == "invalid"
        assert "misconfigured" in (bad.last_error or "")
        _, total = deliveries.dead_letters(db)
        assert total == 2


def test_channel_config_is_checked_on_create(engine: Engine) -> None:
    from election_monitor.exceptions import InvalidInputError

    with Session(engine) as db, pytest.raises(InvalidInputError, match="url"):
        channels.create_channel(
            db, name="x", kind="webhook", config={"url": "nope", "secret": SECRET}, actor=ACTOR
        )
