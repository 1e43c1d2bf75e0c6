"""What the planner decides per alert: does a rule match, is it silenced, is it inhibited,
is a person in their quiet hours. Pure functions over plain facts (no database)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from election_monitor.enums import AlertSeverity, AlertType, NotifyChange
from election_monitor.models import NotificationRule, NotificationSilence
from election_monitor.timeutil import ensure_utc

C = NotifyChange
#: The changes a rule with an empty ``changes`` list routes.
DEFAULT_CHANGES = frozenset({C.RAISED, C.ESCALATED, C.REOPENED, C.RESOLVED, C.REPEAT})
#: A person's own subscription also hears of alerts assigned to them, by default.
DEFAULT_USER_CHANGES = DEFAULT_CHANGES | {C.ASSIGNED}
#: Fields a silence or the group key may name.
MATCH_FIELDS = ("election_id", "region", "type", "severity", "constituency_id")


@dataclass(frozen=True)
class AlertFacts:
    """An alert as the planner sees it (joined with its constituency)."""

    id: str
    constituency_id: str
    constituency_name: str
    election_id: str
    region: str
    type: str
    severity: str
    status: str
    title: str
    assigned_to: str | None
    detected_at: datetime
    details: dict[str, Any]

    def field(self, name: str) -> str:
        return str(getattr(self, name))

    @property
    def is_platform(self) -> bool:
        return self.details.get("scope") == "platform"


def rule_matches(
    rule: NotificationRule, alert: AlertFacts, change: str, *, username: str | None
) -> bool:
    """Whether a rule routes this change of this alert (``username``: a person's rule)."""
    if not rule.enabled:
        return False
    if rule.election_id and rule.election_id != alert.election_id:
        return False
    if rule.region and rule.region != alert.region:
        return False
    if rule.alert_type and rule.alert_type != alert.type:
        return False
    if rule.severities and alert.severity not in rule.severities:
        return False
    default = DEFAULT_USER_CHANGES if rule.user_id else DEFAULT_CHANGES
    changes = set(rule.changes) if rule.changes else {c.value for c in default}
    if change not in changes:
        return False
    # "Assigned to me": a person's rule hears only of their own assignments.
    return not (change == C.ASSIGNED and rule.user_id and alert.assigned_to != username)


def silence_active(silence: NotificationSilence, now: datetime) -> bool:
    if silence.expired_at is not None:
        return False
    return ensure_utc(silence.starts_at) <= now < ensure_utc(silence.ends_at)


def silenced_by(
    silences: Iterable[NotificationSilence], alert: AlertFacts, now: datetime
) -> NotificationSilence | None:
    """The first active silence whose every matcher equals the alert's field."""
    for silence in silences:
        if not silence_active(silence, now):
            continue
        matchers = silence.matchers or {}
        if all(alert.field(k) == str(v) for k, v in matchers.items() if k in MATCH_FIELDS):
            return silence
    return None


def inhibited_constituencies(platform_alerts: Iterable[AlertFacts]) -> set[tuple[str, str]]:
    """(election, constituency) pairs an open platform-wide outage stands for."""
    out: set[tuple[str, str]] = set()
    for parent in platform_alerts:
        for cid in parent.details.get("constituency_ids") or []:
            out.add((parent.election_id, str(cid)))
    return out


def is_inhibited(alert: AlertFacts, inhibited: set[tuple[str, str]]) -> bool:
    """A constituency's own offline alert while a platform outage covers it."""
    return (
        alert.type == AlertType.CONSTITUENCY_OFFLINE.value
        and not alert.is_platform
        and (alert.election_id, alert.constituency_id) in inhibited
    )


def parse_clock(value: str) -> time:
    """``"22:00"`` -> a time (raises ValueError on anything else)."""
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))


def quiet_until(
    *, start: str | None, end: str | None, timezone: str | None, now: datetime
) -> datetime | None:
    """The end of the person's quiet hours if ``now`` is inside them, else None.

    Hours are local to the person's time zone (UTC when unset); a range like 22:00-07:00
    runs over midnight. Unparseable settings mean no quiet hours (they are checked on save).
    """
    if not start or not end:
        return None
    try:
        zone = ZoneInfo(timezone) if timezone else ZoneInfo("UTC")
        begin, finish = parse_clock(start), parse_clock(end)
    except (ValueError, ZoneInfoNotFoundError):
        return None
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if begin == finish:
        return None
    # A range like 22:00-07:00 runs over midnight.
    inside = (begin <= clock < finish) if begin < finish else (clock >= begin or clock < finish)
    if not inside:
        return None
    end_local = local.replace(hour=finish.hour, minute=finish.minute, second=0, microsecond=0)
    if end_local <= local:
        end_local += timedelta(days=1)
    return end_local.astimezone(now.tzinfo)


def needs_immediate(severities: Iterable[str]) -> bool:
    """Critical alerts are never held (group wait 0 by default, no quiet hours)."""
    return any(s == AlertSeverity.CRITICAL.value for s in severities)
