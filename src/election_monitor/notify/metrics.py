"""Prometheus counters of this process's dispatcher: sent, failed, retried, dead-lettered,
muted. Registered on the API's registry when ``elmon serve`` runs the dispatcher, so
``/metrics`` shows them; a standalone ``elmon notify`` keeps its own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class NotifyCounters:
    """Counters by channel name (and by reason for muted alerts)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.sent = Counter(
            "elmon_notifications_sent",
            "Deliveries acknowledged by the channel",
            ["channel"],
            registry=self.registry,
        )
        self.failed = Counter(
            "elmon_notifications_failed",
            "Delivery attempts that failed",
            ["channel"],
            registry=self.registry,
        )
        self.retried = Counter(
            "elmon_notifications_retried",
            "Failed deliveries scheduled for another attempt",
            ["channel"],
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            "elmon_notifications_dead_lettered",
            "Deliveries given up (dead letters)",
            ["channel"],
            registry=self.registry,
        )
        self.muted = Counter(
            "elmon_notifications_muted",
            "Alert changes not notified, by reason (silenced, inhibited, snoozed, ...)",
            ["reason"],
            registry=self.registry,
        )
