"""The alert lifecycle: which status changes are allowed, and one function per change.

::

    active ──► investigating ──► resolved ──► active (reopen)
      │  ▲          │   ▲            ▲
      ▼  │          ▼   │            │
     snoozed ───────────┴────────────┘

Every function checks the transition table first (a refused change raises
``InvalidTransitionError``), stamps the timestamps the change owns (``resolved_at``, the
snooze expiry) and returns the ``Change`` the service records in the audit trail. The
lifecycle state that has no column of its own (snooze expiry, "until worse", reopen count)
lives under ``details["lifecycle"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from election_monitor.enums import AlertSeverity, AlertStatus
from election_monitor.exceptions import InvalidTransitionError
from election_monitor.models import Alert

A = AlertStatus

#: status -> the statuses it may move to.
TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    A.ACTIVE: frozenset({A.INVESTIGATING, A.SNOOZED, A.RESOLVED}),
    A.INVESTIGATING: frozenset({A.ACTIVE, A.SNOOZED, A.RESOLVED}),
    A.SNOOZED: frozenset({A.ACTIVE, A.INVESTIGATING, A.RESOLVED}),
    A.RESOLVED: frozenset({A.ACTIVE}),  # reopen
}

#: Statuses in which an alert is still "open" (de-duplication updates it in place).
OPEN_STATUSES = frozenset({A.ACTIVE, A.INVESTIGATING, A.SNOOZED})

SEVERITY_ORDER = {AlertSeverity.INFO: 0, AlertSeverity.WARNING: 1, AlertSeverity.CRITICAL: 2}


@dataclass(frozen=True)
class Change:
    """One change to record in the audit trail."""

    action: str
    from_value: str | None
    to_value: str | None
    note: str | None = None


def allowed_next(status: str) -> list[str]:
    """The statuses an alert in ``status`` may move to, sorted."""
    return sorted(s.value for s in TRANSITIONS.get(AlertStatus(status), frozenset()))


def severity_rank(severity: str) -> int:
    """0 info, 1 warning, 2 critical."""
    return SEVERITY_ORDER.get(AlertSeverity(severity), 0)


def lifecycle_state(alert: Alert) -> dict[str, Any]:
    """A copy of the alert's lifecycle state (snooze, reopen count, resolution marks)."""
    return dict((alert.details or {}).get("lifecycle") or {})


def _set_lifecycle(alert: Alert, state: dict[str, Any]) -> None:
    details = dict(alert.details or {})
    details["lifecycle"] = state
    alert.details = details  # reassigned: a plain JSON column does not track in-place edits


def _check(alert: Alert, target: AlertStatus) -> str:
    current = alert.status or A.ACTIVE.value
    if target not in TRANSITIONS[AlertStatus(current)]:
        raise InvalidTransitionError("Alert", current, target.value, allowed_next(current))
    return current


def investigate(alert: Alert) -> Change:
    """Someone is looking into it."""
    current = _check(alert, A.INVESTIGATING)
    alert.status = A.INVESTIGATING.value
    state = lifecycle_state(alert)
    state.pop("snoozed_until", None)
    state.pop("until_worse", None)
    _set_lifecycle(alert, state)
    return Change("status", current, A.INVESTIGATING.value)


def activate(alert: Alert, *, reason: str = "status") -> Change:
    """Back to active (from investigating, or a snooze that ended)."""
    current = _check(alert, A.ACTIVE)
    if current == A.RESOLVED:
        return reopen(alert, at=None, reason=reason)
    alert.status = A.ACTIVE.value
    state = lifecycle_state(alert)
    state.pop("snoozed_until", None)
    state.pop("until_worse", None)
    _set_lifecycle(alert, state)
    return Change(reason, current, A.ACTIVE.value)


def resolve(
    alert: Alert, *, at: datetime, data_time: str | None = None, reason: str = "status"
) -> Change:
    """Resolved: stamps ``resolved_at`` and remembers what evidence it was resolved with."""
    current = _check(alert, A.RESOLVED)
    alert.status = A.RESOLVED.value
    alert.resolved_at = at
    state = lifecycle_state(alert)
    state.pop("snoozed_until", None)
    state.pop("until_worse", None)
    details = alert.details or {}
    state["resolved_last_seen"] = data_time or details.get("last_seen")
    state["resolved_magnitude"] = details.get("magnitude")
    _set_lifecycle(alert, state)
    return Change(reason, current, A.RESOLVED.value)


def reopen(alert: Alert, *, at: datetime | None, reason: str = "reopened") -> Change:
    """A resolved alert whose condition came back: active again, not a duplicate."""
    current = _check(alert, A.ACTIVE)
    alert.status = A.ACTIVE.value
    alert.resolved_at = None
    state = lifecycle_state(alert)
    state["reopen_count"] = int(state.get("reopen_count", 0)) + 1
    if at is not None:
        state["reopened_at"] = at.isoformat()
    _set_lifecycle(alert, state)
    return Change(reason, current, A.ACTIVE.value)


def snooze(alert: Alert, *, until: datetime | None, until_worse: bool) -> Change:
    """Snoozed until a time, and/or until the evidence gets worse."""
    current = _check(alert, A.SNOOZED)
    alert.status = A.SNOOZED.value
    state = lifecycle_state(alert)
    state["snoozed_until"] = until.isoformat() if until is not None else None
    state["until_worse"] = until_worse
    details = alert.details or {}
    state["snoozed_severity"] = alert.severity
    state["snoozed_magnitude"] = details.get("magnitude")
    _set_lifecycle(alert, state)
    label = until.isoformat() if until is not None else ""
    if until_worse:
        label = (label + " or until worse").strip()
    return Change("status", current, A.SNOOZED.value, note=f"snoozed until {label}")


def escalate(alert: Alert, severity: str) -> Change | None:
    """Raise the severity; a lower severity is never applied (returns None)."""
    if severity_rank(severity) <= severity_rank(alert.severity):
        return None
    previous = alert.severity
    alert.severity = severity
    return Change("escalated", previous, severity)


def to_status(alert: Alert, target: str, *, at: datetime) -> Change:
    """Move to ``target`` by the one function that owns that change."""
    wanted = AlertStatus(target)
    if wanted == A.INVESTIGATING:
        return investigate(alert)
    if wanted == A.RESOLVED:
        return resolve(alert, at=at)
    if wanted == A.SNOOZED:
        return snooze(alert, until=None, until_worse=True)
    if (alert.status or A.ACTIVE.value) == A.RESOLVED:
        return reopen(alert, at=at)
    return activate(alert)
