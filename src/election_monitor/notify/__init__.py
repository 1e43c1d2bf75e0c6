"""Notification delivery: alert changes reach people through webhooks and e-mail.

Input: ``notification_outbox`` rows, written in the same transaction as each alert change
(``models/notification_outbox.py``). Output: ``notification_deliveries`` sent by the
dispatcher (``Dispatcher``): grouped (``planner``), filtered by silences, inhibition and
snoozes, routed by rules and personal subscriptions, signed (``signing``), retried with
backoff and jitter, and dead-lettered when they cannot be delivered (``deliveries.retry``).
Guarantee: every planned delivery is acknowledged exactly once per channel from the
receiver's point of view (at-least-once sending with a stable idempotency key), or ends as a
dead letter with its last error.
"""

from election_monitor.notify.dispatcher import Dispatcher
from election_monitor.notify.settings import NotifySettings, get_notify_settings

__all__ = ["Dispatcher", "NotifySettings", "get_notify_settings"]
