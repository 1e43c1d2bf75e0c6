"""The message body: one group of alerts, one change class, as a plain JSON object.

This object is the webhook's default body and what the e-mail templates and a channel's
body template are rendered from; docs/notifications.md documents every field.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from election_monitor.enums import NotifyChange
from election_monitor.notify.matching import AlertFacts

PAYLOAD_VERSION = 1


def alert_entry(alert: AlertFacts, change: str) -> dict[str, Any]:
    return {
        "id": alert.id,
        "change": change,
        "type": alert.type,
        "severity": alert.severity,
        "status": alert.status,
        "title": alert.title,
        "election_id": alert.election_id,
        "region": alert.region,
        "constituency_id": alert.constituency_id,
        "constituency_name": alert.constituency_name,
        "assigned_to": alert.assigned_to,
        "detected_at": alert.detected_at.isoformat(),
    }


def summary(change: str, labels: dict[str, str], count: int, severities: Counter[str]) -> str:
    """One line for a subject or a chat message, e.g.
    ``[critical] raised: 60 constituency_offline alerts (region 77)``."""
    worst = next((s for s in ("critical", "warning", "info") if severities.get(s)), "info")
    what = labels.get("type") or "alert"
    where = ", ".join(f"{k} {v}" for k, v in labels.items() if k != "type")
    noun = "alert" if count == 1 else "alerts"
    text = f"[{worst}] {change}: {count} {what} {noun}"
    return f"{text} ({where})" if where else text


def build(
    *,
    change: str,
    group_key: str,
    labels: dict[str, str],
    alerts: list[tuple[AlertFacts, str]],
    limit: int,
    now: datetime,
) -> dict[str, Any]:
    """The payload of one message listing ``alerts`` (each with its own change)."""
    severities = Counter(a.severity for a, _ in alerts)
    shown = sorted(alerts, key=lambda pair: (pair[0].severity != "critical", pair[0].id))[:limit]
    return {
        "version": PAYLOAD_VERSION,
        "change": change,
        "group_key": group_key,
        "labels": labels,
        "summary": summary(change, labels, len(alerts), severities),
        "count": len(alerts),
        "severities": dict(severities),
        "truncated": len(alerts) > len(shown),
        "alerts": [alert_entry(a, c) for a, c in shown],
        "generated_at": now.isoformat(),
    }


def change_class(change: str, value: str | None) -> str:
    """Which message a change joins: firing changes go together, resolved and assigned apart."""
    if change == NotifyChange.RESOLVED:
        return NotifyChange.RESOLVED.value
    if change == NotifyChange.ASSIGNED:
        return f"assigned:{value or ''}"
    return "firing"
