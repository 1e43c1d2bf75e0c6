"""The project's vocabularies: statuses, types and severities (models, schemas, API)."""

from __future__ import annotations

from enum import StrEnum


class ElectionStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    UPCOMING = "upcoming"


class ConstituencyType(StrEnum):
    URBAN = "urban"
    RURAL = "rural"
    SUBURBAN = "suburban"


#: Stored type of a constituency created from chain data before its registry entry arrived.
#: Never accepted as input (the seed's validators allow only ConstituencyType); shown as is.
UNKNOWN_CONSTITUENCY_TYPE = "unknown"


class ConstituencyStatus(StrEnum):
    ACTIVE = "active"
    OFFLINE = "offline"
    COMPLETED = "completed"


class TransactionType(StrEnum):
    BLIND_SIG_ISSUE = "blindSigIssue"
    VOTE = "vote"


class AlertSeverity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


class AlertStatus(StrEnum):
    ACTIVE = "active"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    SNOOZED = "snoozed"


class JobStatus(StrEnum):
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class QueueState(StrEnum):
    """A ``file_queue`` entry: waiting, held by a worker under a lease, loaded, or failed."""

    QUEUED = "queued"
    LEASED = "leased"
    DONE = "done"
    FAILED = "failed"


class AlertType(StrEnum):
    """The vocabulary of ``Alert.type`` (DESIGN.md); more may be added."""

    VOTES_EXCEED_BULLETINS = "votes_exceed_bulletins"
    UNUSUAL_SPIKE = "unusual_spike"
    UNUSUAL_DROP = "unusual_drop"
    NIGHT_ACTIVITY = "night_activity"
    BASELINE_DEVIATION = "baseline_deviation"
    CORRELATED_SPIKE = "correlated_spike"
    CONSTITUENCY_OFFLINE = "constituency_offline"
    DUPLICATE_VOTE = "duplicate_vote"
    TURNOUT_EXCEEDS_REGISTERED = "turnout_exceeds_registered"
    VOTE_OUTSIDE_WINDOW = "vote_outside_window"
    HIGH_REJECTION_RATE = "high_rejection_rate"
    RESULTS_MISMATCH = "results_mismatch"
    DATA_INTEGRITY = "data_integrity"


def values(enum: type[StrEnum]) -> list[str]:
    """The allowed values of an enumeration, in declaration order (used in error messages)."""
    return [member.value for member in enum]


class ChannelKind(StrEnum):
    """How a notification channel delivers (chat tools are reached by webhook)."""

    WEBHOOK = "webhook"
    EMAIL = "email"


class ChannelStatus(StrEnum):
    """A channel's health as the dispatcher last saw it."""

    UNKNOWN = "unknown"  # nothing sent yet
    OK = "ok"
    FAILING = "failing"  # the last attempt failed; retries are scheduled
    INVALID = "invalid"  # its configuration cannot be used (fix it, then retry dead letters)


class NotifyChange(StrEnum):
    """The alert changes a notification can be about."""

    RAISED = "raised"
    ESCALATED = "escalated"
    REOPENED = "reopened"
    RESOLVED = "resolved"
    ASSIGNED = "assigned"
    REPEAT = "repeat"  # an unresolved critical alert, repeated after the repeat interval


class DeliveryStatus(StrEnum):
    """Where one message to one channel (or person) stands."""

    PENDING = "pending"  # waiting for its next attempt (or for the end of quiet hours)
    SENDING = "sending"  # an attempt is under way (a lease: retried if the sender died)
    DELIVERED = "delivered"  # acknowledged (webhook 2xx, SMTP accepted): never sent again
    DEAD = "dead"  # gave up (too many tries or a permanent error): a dead letter to retry
