"""Alerts: the lifecycle (allowed transitions), raise-or-update with de-duplication, notes,
assignment, snoozing and the audit trail.

Input: signals from detection, or a person's change. Output: ``alerts`` rows and one
``alert_events`` row per change. Guarantees: one open alert per constituency x type x window;
severity never drops silently; integrity alerts are never resolved automatically.
"""

from election_monitor.alerts.lifecycle import TRANSITIONS, allowed_next
from election_monitor.alerts.service import (
    Signal,
    add_note,
    assign,
    change_status,
    history,
    raise_or_update,
    update_alert,
)

__all__ = [
    "TRANSITIONS",
    "Signal",
    "add_note",
    "allowed_next",
    "assign",
    "change_status",
    "history",
    "raise_or_update",
    "update_alert",
]
