"""Raise-or-update with de-duplication, escalation, auto-resolution, snoozes, notes,
assignment; every change is written to the audit trail (``alert_events``).

Functions flush but never commit: the caller owns the transaction (a CLI session scope, or
the ingest batch the detection hook runs in).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from election_monitor.alerts import lifecycle
from election_monitor.alerts.lifecycle import OPEN_STATUSES, Change
from election_monitor.enums import AlertSeverity, AlertStatus
from election_monitor.exceptions import InvalidInputError, NotFoundError
from election_monitor.models import Alert, AlertEvent
from election_monitor.timeutil import ensure_utc, parse_datetime, utcnow

#: The actor recorded for changes made by the detectors.
SYSTEM_ACTOR = "elmon-detect"
#: Keys of ``details`` owned by the alert manager, not by a detector's evidence.
MANAGED_KEYS = ("fingerprint", "lifecycle")


@dataclass
class Signal:
    """What a detector found, in the observer's words, with its evidence."""

    constituency_id: str
    type: str
    window_key: str  # "" for state-like conditions; a date, night or variant otherwise
    severity: str
    title: str
    description: str
    evidence: dict[str, Any]
    last_seen: str  # ISO time of the newest data that supports it
    magnitude: float  # grows when the evidence gets worse (excess votes, hours silent, ...)
    statistical: bool  # statistical alerts auto-resolve after a clean period; exact ones never
    family: str = ""
    score_evidence: float = 1.0  # 0..1, feeds the anomaly score

    @property
    def fingerprint(self) -> str:
        return f"{self.constituency_id}|{self.type}|{self.window_key}"


@dataclass
class Reconciled:
    """What one reconciliation did, counted by action."""

    created: int = 0
    updated: int = 0
    escalated: int = 0
    reopened: int = 0
    resolved: int = 0
    unchanged: int = 0
    alert_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "escalated": self.escalated,
            "reopened": self.reopened,
            "auto_resolved": self.resolved,
            "unchanged": self.unchanged,
        }


def _record(db: Session, alert: Alert, change: Change, *, actor: str, at: datetime) -> None:
    db.add(
        AlertEvent(
            alert_id=alert.id,
            at=at,
            actor=actor,
            action=change.action,
            from_value=change.from_value,
            to_value=change.to_value,
            note=change.note,
        )
    )


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """The evidence as it will read back from the JSON column (for change detection)."""
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))
    return loaded


def _evidence(alert: Alert) -> dict[str, Any]:
    return {k: v for k, v in (alert.details or {}).items() if k not in MANAGED_KEYS}


def fingerprint_of(alert: Alert) -> str:
    """The de-duplication key of a stored alert."""
    return str((alert.details or {}).get("fingerprint") or f"{alert.constituency_id}|{alert.type}|")


def index_alerts(alerts: Iterable[Alert]) -> dict[str, Alert]:
    """Fingerprint -> the newest alert with it (what raise_or_update compares against)."""
    index: dict[str, Alert] = {}
    for alert in sorted(alerts, key=lambda a: (ensure_utc(a.detected_at), a.id)):
        index[fingerprint_of(alert)] = alert
    return index


def _is_worse(alert: Alert, signal: Signal) -> bool:
    state = lifecycle.lifecycle_state(alert)
    snoozed_severity = state.get("snoozed_severity") or alert.severity
    if lifecycle.severity_rank(signal.severity) > lifecycle.severity_rank(snoozed_severity):
        return True
    snoozed_magnitude = state.get("snoozed_magnitude")
    return snoozed_magnitude is not None and signal.magnitude > 1.5 * float(snoozed_magnitude)


def _recurred(alert: Alert, signal: Signal) -> bool:
    """New evidence since it was resolved: newer data, or a larger magnitude."""
    state = lifecycle.lifecycle_state(alert)
    seen = state.get("resolved_last_seen")
    magnitude = state.get("resolved_magnitude")
    if seen is None or signal.last_seen > str(seen):
        return True
    return magnitude is not None and round(signal.magnitude, 6) > float(magnitude) + 1e-6


def raise_or_update(
    db: Session,
    signal: Signal,
    *,
    index: dict[str, Alert],
    now: datetime | None = None,
    actor: str = SYSTEM_ACTOR,
    result: Reconciled | None = None,
) -> Alert:
    """Create the alert for a signal, or update the one with its fingerprint in place."""
    now = now or utcnow()
    result = result if result is not None else Reconciled()
    evidence = _plain(
        {
            **signal.evidence,
            "window_key": signal.window_key,
            "last_seen": signal.last_seen,
            "magnitude": round(float(signal.magnitude), 6),
            "statistical": signal.statistical,
            "family": signal.family,
        }
    )
    alert = index.get(signal.fingerprint)
    if alert is None:
        alert = Alert(
            constituency_id=signal.constituency_id,
            type=signal.type,
            severity=signal.severity,
            status=AlertStatus.ACTIVE.value,
            title=signal.title,
            description=signal.description,
            details={**evidence, "fingerprint": signal.fingerprint, "lifecycle": {}},
            notes=[],
            detected_at=now,
        )
        db.add(alert)
        db.flush()
        _record(
            db, alert, Change("created", None, signal.severity, signal.title), actor=actor, at=now
        )
        index[signal.fingerprint] = alert
        result.created += 1
        result.alert_ids.append(alert.id)
        return alert

    changed = False
    status = alert.status or AlertStatus.ACTIVE.value
    if status == AlertStatus.RESOLVED:
        if not _recurred(alert, signal):
            result.unchanged += 1
            return alert
        _record(db, alert, lifecycle.reopen(alert, at=now), actor=actor, at=now)
        result.reopened += 1
        changed = True
    escalation = lifecycle.escalate(alert, signal.severity)
    if escalation is not None:
        _record(db, alert, escalation, actor=actor, at=now)
        result.escalated += 1
        changed = True
    if (
        alert.status == AlertStatus.SNOOZED
        and lifecycle.lifecycle_state(alert).get("until_worse")
        and _is_worse(alert, signal)
    ):
        _record(
            db, alert, lifecycle.activate(alert, reason="snooze_ended_worse"), actor=actor, at=now
        )
        changed = True
    if _evidence(alert) != evidence or alert.title != signal.title:
        before = _evidence(alert).get("magnitude")
        alert.details = {
            **evidence,
            "fingerprint": signal.fingerprint,
            "lifecycle": lifecycle.lifecycle_state(alert),
        }
        alert.title = signal.title
        alert.description = signal.description
        _record(
            db,
            alert,
            Change("updated", _str(before), _str(evidence.get("magnitude"))),
            actor=actor,
            at=now,
        )
        changed = True
    if changed:
        result.updated += 1
        result.alert_ids.append(alert.id)
    else:
        result.unchanged += 1
    return alert


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def auto_resolve(
    db: Session,
    alerts: Iterable[Alert],
    *,
    data_time: datetime,
    clean_hours: float,
    now: datetime | None = None,
    result: Reconciled | None = None,
) -> int:
    """Resolve open statistical alerts whose newest evidence is ``clean_hours`` old.

    Age is measured in data time (the newest data of the election), so replays behave like
    live runs. Exact (integrity) alerts are never touched.
    """
    now = now or utcnow()
    count = 0
    for alert in alerts:
        details = alert.details or {}
        if not details.get("statistical") or alert.status not in OPEN_STATUSES:
            continue
        last_seen = details.get("last_seen")
        if last_seen is None:
            continue
        if parse_datetime(str(last_seen)) + timedelta(hours=clean_hours) <= data_time:
            change = lifecycle.resolve(alert, at=now, reason="auto_resolved")
            change = Change(
                change.action,
                change.from_value,
                change.to_value,
                f"no new evidence for {clean_hours:g} h of data (last seen {last_seen})",
            )
            _record(db, alert, change, actor=SYSTEM_ACTOR, at=now)
            count += 1
    if result is not None:
        result.resolved += count
    return count


def withdraw(db: Session, alerts: Iterable[Alert], *, keep: set[str], now: datetime) -> int:
    """Resolve open statistical alerts that the current data no longer supports.

    Happens when data arrives out of order (a constituency's file after its peers' later
    hours): a pass over the complete hours no longer produces the signal. Exact alerts stay.
    """
    count = 0
    for alert in alerts:
        details = alert.details or {}
        if not details.get("statistical") or alert.status not in OPEN_STATUSES:
            continue
        if fingerprint_of(alert) in keep:
            continue
        change = lifecycle.resolve(alert, at=now, reason="withdrawn")
        note = "later data no longer supports this alert (data arrived out of order)"
        _record(db, alert, Change(change.action, change.from_value, change.to_value, note),
                actor=SYSTEM_ACTOR, at=now)  # fmt: skip
        count += 1
    return count


def wake_expired_snoozes(db: Session, *, now: datetime | None = None) -> int:
    """Snoozed alerts whose expiry has passed become active again (wall-clock time)."""
    now = now or utcnow()
    count = 0
    for alert in db.scalars(select(Alert).where(Alert.status == AlertStatus.SNOOZED.value)):
        until = lifecycle.lifecycle_state(alert).get("snoozed_until")
        if until and parse_datetime(str(until)) <= now:
            change = lifecycle.activate(alert, reason="snooze_expired")
            _record(db, alert, change, actor=SYSTEM_ACTOR, at=now)
            count += 1
    db.flush()
    return count


# -- a person's changes ------------------------------------------------------------------


def _get(db: Session, alert_id: str) -> Alert:
    alert = db.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError("Alert", alert_id)
    return alert


def format_note(*, author: str, text: str, at: datetime) -> str:
    """A note as stored in ``Alert.notes``: ``2026-09-18T05:00Z alice: text``."""
    return f"{ensure_utc(at):%Y-%m-%dT%H:%MZ} {author}: {text}"


def add_note(
    db: Session, *, alert_id: str, author: str, text: str, now: datetime | None = None
) -> Alert:
    """Append a note with author and time; also recorded in the audit trail."""
    if not text.strip():
        raise InvalidInputError("a note needs some text")
    now = now or utcnow()
    alert = _get(db, alert_id)
    line = format_note(author=author, text=text, at=now)
    alert.notes = [*(alert.notes or []), line]
    _record(db, alert, Change("note", None, None, text), actor=author, at=now)
    db.flush()
    return alert


def assign(
    db: Session, *, alert_id: str, assignee: str, actor: str, now: datetime | None = None
) -> Alert:
    """Hand the alert to a person (an empty name unassigns)."""
    now = now or utcnow()
    alert = _get(db, alert_id)
    previous = alert.assigned_to
    alert.assigned_to = assignee or None
    _record(db, alert, Change("assigned", previous, alert.assigned_to), actor=actor, at=now)
    db.flush()
    return alert


def change_status(
    db: Session,
    *,
    alert_id: str,
    status: str,
    actor: str,
    snooze_until: datetime | None = None,
    until_worse: bool = False,
    now: datetime | None = None,
) -> Alert:
    """Move the alert to ``status`` through the lifecycle (refused changes raise)."""
    now = now or utcnow()
    alert = _get(db, alert_id)
    try:
        wanted = AlertStatus(status)
    except ValueError as exc:
        raise InvalidInputError(
            f"status must be one of {[s.value for s in AlertStatus]}, got {status!r}"
        ) from exc
    if wanted == AlertStatus.SNOOZED:
        if snooze_until is None and not until_worse:
            raise InvalidInputError("snoozing needs --snooze-until or --until-worse")
        change = lifecycle.snooze(alert, until=snooze_until, until_worse=until_worse)
    else:
        change = lifecycle.to_status(alert, wanted.value, at=now)
    _record(db, alert, change, actor=actor, at=now)
    db.flush()
    return alert


def update_alert(
    db: Session,
    *,
    alert_id: str,
    actor: str,
    status: str | None = None,
    assign_to: str | None = None,
    note: str | None = None,
    snooze_until: datetime | None = None,
    until_worse: bool = False,
    now: datetime | None = None,
) -> Alert:
    """Apply a person's update (the CLI's ``alerts update``): status, assignee, note, snooze."""
    now = now or utcnow()
    alert = _get(db, alert_id)
    if status is None and (snooze_until is not None or until_worse):
        status = AlertStatus.SNOOZED.value
    if status is not None:
        change_status(
            db,
            alert_id=alert_id,
            status=status,
            actor=actor,
            snooze_until=snooze_until,
            until_worse=until_worse,
            now=now,
        )
    if assign_to is not None:
        assign(db, alert_id=alert_id, assignee=assign_to, actor=actor, now=now)
    if note is not None:
        add_note(db, alert_id=alert_id, author=actor, text=note, now=now)
    return alert


def history(db: Session, *, alert_id: str) -> list[AlertEvent]:
    """The alert's audit trail, oldest first."""
    _get(db, alert_id)
    return list(
        db.scalars(
            select(AlertEvent)
            .where(AlertEvent.alert_id == alert_id)
            .order_by(AlertEvent.at, AlertEvent.id)
        )
    )


def severity_values() -> list[str]:
    return [s.value for s in AlertSeverity]
