"""Send due deliveries: claim them (a lease), attempt each, record the outcome.

Claiming and recording are separate short transactions, so a slow receiver holds no
database lock, and a sender killed at any point leaves each delivery either acknowledged
(``delivered``: never sent again) or claimed with an expiring lease (sent again, with the
same idempotency key, once the lease ends). Channels are sent to in parallel, one thread
per channel, so one slow or unreachable channel delays no other.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.orm import Session

from election_monitor.enums import ChannelStatus, DeliveryStatus
from election_monitor.exceptions import InvalidInputError
from election_monitor.models import NotificationChannel, NotificationDelivery
from election_monitor.notify import smtp, webhook
from election_monitor.notify.config import EmailConfig, WebhookConfig, parse_config
from election_monitor.notify.metrics import NotifyCounters
from election_monitor.notify.outcome import Outcome
from election_monitor.notify.settings import NotifySettings
from election_monitor.timeutil import utcnow

log = logging.getLogger("election_monitor.notify")
D = NotificationDelivery


@dataclass
class Claimed:
    """A delivery this sender holds the lease of."""

    id: str
    channel_id: str
    recipient: str | None
    language: str
    payload: dict[str, Any]
    attempts: int


@dataclass
class SendReport:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


def backoff(settings: NotifySettings, attempts: int) -> float:
    """Seconds before the next try: doubling per try, capped, with jitter (50-100 %)."""
    delay = min(settings.backoff_max_seconds, settings.backoff_seconds * 2 ** max(0, attempts - 1))
    return float(delay * random.uniform(0.5, 1.0))


def _lease_seconds(channel: NotificationChannel, settings: NotifySettings) -> float:
    timeout = float((channel.config or {}).get("timeout_seconds") or 20.0)
    return timeout + settings.lease_margin_seconds


def claim(engine: Engine, settings: NotifySettings, now: datetime) -> tuple[
    list[Claimed], dict[str, NotificationChannel]
]:  # fmt: skip
    """Take the due deliveries (pending, or a lease that ran out) for one round."""
    with engine.begin() as conn:
        stmt = (
            select(D.id, D.channel_id, D.recipient, D.language, D.payload, D.attempts)
            .where(
                D.status.in_((DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)),
                D.next_attempt_at <= now,
            )
            .order_by(D.next_attempt_at)
            .limit(settings.batch_size)
        )
        if engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = conn.execute(stmt).all()
        if not rows:
            return [], {}
        channels = {c.id: c for c in _channels(conn, {r.channel_id for r in rows})}
        by_channel: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            by_channel[r.channel_id].append(r.id)
        for channel_id, ids in by_channel.items():
            lease = now + timedelta(seconds=_lease_seconds(channels[channel_id], settings))
            for start in range(0, len(ids), 1000):
                conn.execute(
                    update(D)
                    .where(D.id.in_(ids[start : start + 1000]))
                    .values(
                        status=DeliveryStatus.SENDING.value,
                        attempts=D.attempts + 1,
                        last_attempt_at=now,
                        next_attempt_at=lease,
                    )
                )
    claimed = [
        Claimed(r.id, r.channel_id, r.recipient, r.language, r.payload, r.attempts + 1)
        for r in rows
    ]
    return claimed, channels


def _channels(conn: Connection, ids: set[str]) -> list[NotificationChannel]:
    with Session(bind=conn, expire_on_commit=False) as db:
        found = list(db.scalars(select(NotificationChannel).where(NotificationChannel.id.in_(ids))))
        db.expunge_all()
    return found


def attempt(client: httpx.Client, channel: NotificationChannel, item: Claimed) -> Outcome:
    """One try of one delivery through its channel; never raises."""
    try:
        config = parse_config(channel.kind, channel.config or {})
    except InvalidInputError as exc:
        return Outcome.give_up(f"channel {channel.name!r} is misconfigured: {exc}")
    if isinstance(config, WebhookConfig):
        return webhook.send(client, config, item.id, item.payload)
    assert isinstance(config, EmailConfig)
    recipients = [item.recipient] if item.recipient else list(config.to)
    return smtp.send(config, recipients, item.payload, language=item.language, key=item.id)


def record(
    engine: Engine,
    settings: NotifySettings,
    channel: NotificationChannel,
    item: Claimed,
    outcome: Outcome,
    counters: NotifyCounters | None,
    report: SendReport,
) -> None:
    """Write one attempt's outcome, and the channel's health, in one short transaction."""
    now = utcnow()
    label = channel.name
    with engine.begin() as conn:
        if outcome.ok:
            values: dict[str, Any] = {
                "status": DeliveryStatus.DELIVERED.value,
                "delivered_at": now,
                "last_error": outcome.error,
            }
            health: dict[str, Any] = {
                "status": ChannelStatus.OK.value,
                "last_success_at": now,
                "last_error": None,
            }
            report.delivered += 1
            if counters:
                counters.sent.labels(label).inc()
        else:
            dead = outcome.permanent or item.attempts >= settings.max_attempts
            values = {
                "status": (DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING).value,
                "last_error": outcome.error,
                "next_attempt_at": now
                + timedelta(seconds=0 if dead else backoff(settings, item.attempts)),
            }
            misconfigured = outcome.permanent and "misconfigured" in (outcome.error or "")
            health = {
                "status": (ChannelStatus.INVALID if misconfigured else ChannelStatus.FAILING).value,
                "last_failure_at": now,
                "last_error": outcome.error,
            }
            if counters:
                counters.failed.labels(label).inc()
                (counters.dead_lettered if dead else counters.retried).labels(label).inc()
            if dead:
                report.dead += 1
                log.warning("delivery %s dead-lettered: %s", item.id, outcome.error)
            else:
                report.retried += 1
        # Only the holder of the lease may record (a late sender whose lease was re-taken
        # must not overwrite the newer attempt's result).
        conn.execute(
            update(D)
            .where(D.id == item.id, D.status == DeliveryStatus.SENDING.value)
            .values(**values)
        )
        conn.execute(
            update(NotificationChannel).where(NotificationChannel.id == channel.id).values(**health)
        )


def send_due(
    engine: Engine,
    settings: NotifySettings,
    *,
    client: httpx.Client,
    counters: NotifyCounters | None = None,
    now: datetime | None = None,
    before_record: Callable[[Claimed], None] | None = None,
) -> SendReport:
    """Claim what is due and send it, channels in parallel; returns what happened."""
    claimed, channels = claim(engine, settings, now or utcnow())
    report = SendReport(claimed=len(claimed))
    if not claimed:
        return report
    by_channel: dict[str, list[Claimed]] = defaultdict(list)
    for item in claimed:
        by_channel[item.channel_id].append(item)

    def run(channel_id: str) -> None:
        channel = channels[channel_id]
        for item in by_channel[channel_id]:
            outcome = attempt(client, channel, item)
            if before_record is not None:
                before_record(item)
            record(engine, settings, channel, item, outcome, counters, report)

    if len(by_channel) == 1:
        run(next(iter(by_channel)))
    else:
        workers = min(settings.send_workers, len(by_channel))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="elmon-send") as pool:
            for future in [pool.submit(run, cid) for cid in by_channel]:
                future.result()
    report.by_channel = {channels[c].name: len(items) for c, items in by_channel.items()}
    return report
