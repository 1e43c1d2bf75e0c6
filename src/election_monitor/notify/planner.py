"""Turn outbox rows into deliveries: group, filter (silences, inhibition, snoozes), route.

Input: unprocessed ``notification_outbox`` rows. Output, in one transaction: the
deliveries (one per group and target), the alerts each lists, and the outbox rows stamped
processed. A group (``group_by`` fields + the change class) waits ``group_wait_seconds``
from its first change (``critical_group_wait_seconds`` when it holds a critical alert), so
sixty offline alerts of one region raised in one pass leave as one message. Rows of groups
still waiting stay unprocessed; a crash anywhere leaves either nothing or everything done.
Also enqueues repeats of unresolved critical alerts after ``repeat_interval_hours``.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from election_monitor.db.base import new_uuid
from election_monitor.enums import AlertSeverity, AlertStatus, AlertType, DeliveryStatus
from election_monitor.enums import NotifyChange as C
from election_monitor.models import (
    Alert,
    Constituency,
    NotificationChannel,
    NotificationDelivery,
    NotificationDeliveryAlert,
    NotificationOutbox,
    NotificationRule,
    NotificationSilence,
    User,
)
from election_monitor.notify import matching, payload
from election_monitor.notify.matching import AlertFacts
from election_monitor.notify.metrics import NotifyCounters
from election_monitor.notify.settings import NotifySettings
from election_monitor.timeutil import ensure_utc

log = logging.getLogger("election_monitor.notify")

OPEN = (AlertStatus.ACTIVE.value, AlertStatus.INVESTIGATING.value, AlertStatus.SNOOZED.value)
FACT_COLUMNS = (
    Alert.id,
    Alert.constituency_id,
    Constituency.name,
    Constituency.election_id,
    Constituency.region,
    Alert.type,
    Alert.severity,
    Alert.status,
    Alert.title,
    Alert.assigned_to,
    Alert.detected_at,
    Alert.details,
)


@dataclass
class PlanReport:
    """What one planning round did."""

    read: int = 0
    processed: int = 0
    waiting: int = 0
    deliveries: int = 0
    repeats: int = 0
    muted: Counter[str] = field(default_factory=Counter)


@dataclass
class Pending:
    """One outbox row with the alert it is about."""

    id: int
    change: str
    value: str | None
    at: datetime
    alert: AlertFacts


@dataclass
class Target:
    """Where one message goes: a channel, and a person when it is their subscription."""

    channel: NotificationChannel
    rule_id: str
    user: User | None = None
    alerts: dict[str, tuple[AlertFacts, str]] = field(default_factory=dict)


def _facts(row: Any) -> AlertFacts:
    return AlertFacts(
        id=row.id,
        constituency_id=row.constituency_id,
        constituency_name=row.name,
        election_id=row.election_id,
        region=row.region,
        type=row.type,
        severity=row.severity,
        status=row.status or AlertStatus.ACTIVE.value,
        title=row.title,
        assigned_to=row.assigned_to,
        detected_at=ensure_utc(row.detected_at),
        details=row.details or {},
    )


def _pending(db: Session, limit: int) -> list[Pending]:
    o = NotificationOutbox
    stmt = (
        select(o.id.label("outbox_id"), o.change, o.value, o.at, *FACT_COLUMNS)
        .join(Alert, Alert.id == o.alert_id)
        .join(Constituency, Constituency.id == Alert.constituency_id)
        .where(o.processed_at.is_(None))
        .order_by(o.id)
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        # Two dispatchers never plan the same rows (the second skips what the first holds).
        stmt = stmt.with_for_update(skip_locked=True, of=o)
    return [
        Pending(
            id=r.outbox_id, change=r.change, value=r.value, at=ensure_utc(r.at), alert=_facts(r)
        )
        for r in db.execute(stmt)
    ]


def _platform_alerts(db: Session, election_ids: set[str]) -> list[AlertFacts]:
    rows = db.execute(
        select(*FACT_COLUMNS)
        .join(Constituency, Constituency.id == Alert.constituency_id)
        .where(
            Alert.type == AlertType.CONSTITUENCY_OFFLINE.value,
            Alert.status.in_(OPEN),
            Constituency.election_id.in_(election_ids),
        )
    )
    return [f for f in map(_facts, rows) if f.is_platform]


def enqueue_repeats(db: Session, settings: NotifySettings, now: datetime) -> int:
    """Outbox ``repeat`` rows for open critical alerts last notified before the interval."""
    cutoff = now - timedelta(hours=settings.repeat_interval_hours)
    link = NotificationDeliveryAlert
    recent = select(NotificationOutbox.alert_id).where(NotificationOutbox.at > cutoff)
    due = db.scalars(
        select(link.alert_id)
        .join(Alert, Alert.id == link.alert_id)
        .where(
            Alert.severity == AlertSeverity.CRITICAL.value,
            Alert.status.in_((AlertStatus.ACTIVE.value, AlertStatus.INVESTIGATING.value)),
            link.change != C.RESOLVED.value,
            link.alert_id.not_in(recent),
        )
        .group_by(link.alert_id)
        .having(func.max(link.at) <= cutoff)
    ).all()
    if due:
        db.execute(
            insert(NotificationOutbox),
            [
                {"alert_id": a, "change": C.REPEAT.value, "actor": "elmon-notify", "at": now}
                for a in due
            ],
        )
    return len(due)


def _group_key(settings: NotifySettings, row: Pending) -> tuple[str, dict[str, str]]:
    labels = {f: row.alert.field(f) for f in settings.group_by if f in matching.MATCH_FIELDS}
    cls = payload.change_class(row.change, row.value)
    return "|".join(f"{k}={v}" for k, v in labels.items()) + f"|{cls}", labels


def _ready(settings: NotifySettings, rows: list[Pending], now: datetime) -> bool:
    critical = matching.needs_immediate(r.alert.severity for r in rows)
    wait = settings.critical_group_wait_seconds if critical else settings.group_wait_seconds
    return min(r.at for r in rows) + timedelta(seconds=wait) <= now


class Router:
    """The rules, channels and people of one planning round, loaded once."""

    def __init__(self, db: Session, settings: NotifySettings) -> None:
        self.rules = list(db.scalars(select(NotificationRule).where(NotificationRule.enabled)))
        self.channels = {c.id: c for c in db.scalars(select(NotificationChannel))}
        by_name = {c.name: c for c in self.channels.values()}
        self.user_channel = by_name.get(settings.user_channel)
        user_ids = {r.user_id for r in self.rules if r.user_id}
        self.users = (
            {u.id: u for u in db.scalars(select(User).where(User.id.in_(user_ids)))}
            if user_ids
            else {}
        )

    def targets(
        self, alert: AlertFacts, change: str
    ) -> list[tuple[str, NotificationChannel, User | None]]:
        """(rule id, channel, person) for every rule routing this change of this alert."""
        out = []
        for rule in self.rules:
            user = self.users.get(rule.user_id) if rule.user_id else None
            if rule.user_id and (user is None or not user.is_active or not user.email):
                continue
            if not matching.rule_matches(
                rule, alert, change, username=user.username if user else None
            ):
                continue
            channel_id = rule.channel_id or (self.user_channel.id if self.user_channel else None)
            channel = self.channels.get(channel_id) if channel_id else None
            if channel is None:
                log.warning("rule %s has no usable channel; %s not routed", rule.name, alert.id)
                continue
            if channel.enabled:
                out.append((rule.id, channel, user))
        return out


def _notified_before(db: Session, alert_ids: list[str]) -> set[tuple[str, str, str | None]]:
    link = NotificationDeliveryAlert
    rows = db.execute(
        select(link.alert_id, link.channel_id, link.user_id).where(
            link.alert_id.in_(alert_ids), link.change != C.RESOLVED.value
        )
    )
    return {(r.alert_id, r.channel_id, r.user_id) for r in rows}


def _muted_reason(
    alert: AlertFacts,
    change: str,
    silences: list[NotificationSilence],
    inhibited: set[tuple[str, str]],
    now: datetime,
) -> str | None:
    firing = payload.change_class(change, None) == "firing"
    if firing and alert.status == AlertStatus.RESOLVED:
        return "resolved_already"
    if firing and alert.status == AlertStatus.SNOOZED:
        return "snoozed"
    if matching.silenced_by(silences, alert, now) is not None:
        return "silenced"
    if matching.is_inhibited(alert, inhibited):
        return "inhibited"
    return None


def plan(
    db: Session,
    settings: NotifySettings,
    *,
    now: datetime,
    counters: NotifyCounters | None = None,
) -> PlanReport:
    """One planning round in the caller's transaction (the caller commits)."""
    report = PlanReport(repeats=enqueue_repeats(db, settings, now))
    rows = _pending(db, settings.batch_size)
    report.read = len(rows)
    if not rows:
        return report
    groups: dict[str, list[Pending]] = defaultdict(list)
    labels_of: dict[str, dict[str, str]] = {}
    for row in rows:
        key, labels = _group_key(settings, row)
        groups[key].append(row)
        labels_of[key] = labels
    ready = {k: g for k, g in groups.items() if _ready(settings, g, now)}
    report.waiting = sum(len(g) for k, g in groups.items() if k not in ready)
    if not ready:
        return report
    router = Router(db, settings)
    silences = list(
        db.scalars(
            select(NotificationSilence).where(
                NotificationSilence.expired_at.is_(None), NotificationSilence.ends_at > now
            )
        )
    )
    inhibited = matching.inhibited_constituencies(
        _platform_alerts(db, {r.alert.election_id for g in ready.values() for r in g})
    )
    deliveries: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for key, group in ready.items():
        latest: dict[str, Pending] = {}
        for row in sorted(group, key=lambda r: r.id):
            latest[row.alert.id] = row
        prior = (
            _notified_before(db, list(latest))
            if group[0].change == C.RESOLVED
            else set[tuple[str, str, str | None]]()
        )
        targets: dict[tuple[str, str | None], Target] = {}
        for row in latest.values():
            reason = _muted_reason(row.alert, row.change, silences, inhibited, now)
            if reason is not None:
                report.muted[reason] += 1
                continue
            routed = False
            for rule_id, channel, user in router.targets(row.alert, row.change):
                user_id = user.id if user else None
                if row.change == C.RESOLVED and (row.alert.id, channel.id, user_id) not in prior:
                    continue  # a resolved message follows only an alert that was notified
                target = targets.setdefault(
                    (channel.id, user_id), Target(channel=channel, rule_id=rule_id, user=user)
                )
                target.alerts[row.alert.id] = (row.alert, row.change)
                routed = True
            if not routed:
                report.muted["unrouted"] += 1
        for target in targets.values():
            delivery, delivery_links = _delivery(settings, key, labels_of[key], target, now)
            deliveries.append(delivery)
            links.extend(delivery_links)
    if deliveries:
        db.execute(insert(NotificationDelivery), deliveries)
        db.execute(insert(NotificationDeliveryAlert), links)
    done = [r.id for g in ready.values() for r in g]
    for start in range(0, len(done), 1000):
        db.execute(
            update(NotificationOutbox)
            .where(NotificationOutbox.id.in_(done[start : start + 1000]))
            .values(processed_at=now)
        )
    report.processed = len(done)
    report.deliveries = len(deliveries)
    if counters is not None:
        for reason, count in report.muted.items():
            counters.muted.labels(reason).inc(count)
    return report


def _delivery(
    settings: NotifySettings,
    key: str,
    labels: dict[str, str],
    target: Target,
    now: datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    alerts = list(target.alerts.values())
    changes = {c for _, c in alerts}
    change = changes.pop() if len(changes) == 1 else "firing"
    body = payload.build(
        change=change,
        group_key=key,
        labels=labels,
        alerts=alerts,
        limit=settings.max_alerts_per_message,
        now=now,
    )
    user = target.user
    next_at = now
    if user is not None and not matching.needs_immediate(a.severity for a, _ in alerts):
        quiet_end = matching.quiet_until(
            start=user.quiet_hours_start,
            end=user.quiet_hours_end,
            timezone=user.timezone,
            now=now,
        )
        next_at = quiet_end or now
    language = (user.language if user else None) or str(
        (target.channel.config or {}).get("language") or "en"
    )
    delivery_id = new_uuid()
    delivery = {
        "id": delivery_id,
        "channel_id": target.channel.id,
        "rule_id": target.rule_id,
        "user_id": user.id if user else None,
        "recipient": user.email if user else None,
        "language": language if language in ("en", "ru") else "en",
        "change": change,
        "group_key": key,
        "payload": body,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": next_at,
        "created_at": now,
    }
    links = [
        {
            "delivery_id": delivery_id,
            "alert_id": alert.id,
            "channel_id": target.channel.id,
            "user_id": user.id if user else None,
            "change": c,
            "at": now,
        }
        for alert, c in alerts
    ]
    return delivery, links
