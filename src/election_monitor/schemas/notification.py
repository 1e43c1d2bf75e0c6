"""Notification channels, rules, silences, deliveries and a person's preferences.

Responses never carry a channel's secrets (``config`` is redacted); the delivery log entry is
a plain model the API and the dashboard both return (``notify.deliveries.delivery_log``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from election_monitor.enums import AlertSeverity, ChannelKind, NotifyChange
from election_monitor.schemas.base import BaseSchema, UTCDatetime, check_member


class ChannelCreate(BaseSchema):
    name: str = Field(min_length=1, max_length=100)
    kind: ChannelKind
    config: dict[str, Any] = Field(
        description="webhook: url, secret, timeout_seconds, headers, body_template; email: "
        "host, port, security, username, password, sender, to, language"
    )
    enabled: bool = True


class ChannelUpdate(BaseSchema):
    """``config`` is merged over the current one; a secret sent back as ``***`` is kept."""

    config: dict[str, Any] | None = None
    enabled: bool | None = None


class ChannelResponse(BaseSchema):
    id: str
    name: str
    kind: str
    enabled: bool
    status: str = Field(description="unknown, ok, failing or invalid (the dispatcher's view)")
    last_error: str | None = None
    last_success_at: UTCDatetime | None = None
    last_failure_at: UTCDatetime | None = None
    config: dict[str, Any] = Field(description="secrets replaced by ***")
    created_at: UTCDatetime


def _severities(values: list[str]) -> list[str]:
    return [check_member(v, AlertSeverity, "severity") for v in values]


def _changes(values: list[str]) -> list[str]:
    return [check_member(v, NotifyChange, "change") for v in values]


class RuleFields(BaseSchema):
    election_id: str | None = None
    region: str | None = None
    alert_type: str | None = None
    severities: list[str] = Field(default_factory=list, description="empty: all severities")
    changes: list[str] = Field(default_factory=list, description="empty: the default changes")

    @field_validator("severities")
    @classmethod
    def _s(cls, values: list[str]) -> list[str]:
        return _severities(values)

    @field_validator("changes")
    @classmethod
    def _c(cls, values: list[str]) -> list[str]:
        return _changes(values)


class RuleCreate(RuleFields):
    name: str = Field(default="rule", min_length=1, max_length=200)
    channel: str = Field(description="the channel's id or name")


class RuleUpdate(BaseSchema):
    """Only the fields given change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    election_id: str | None = None
    region: str | None = None
    alert_type: str | None = None
    severities: list[str] | None = None
    changes: list[str] | None = None
    enabled: bool | None = None

    @field_validator("severities")
    @classmethod
    def _s(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _severities(values)

    @field_validator("changes")
    @classmethod
    def _c(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _changes(values)


class SubscriptionCreate(RuleFields):
    """A person's own e-mail subscription (to their address)."""

    name: str = Field(default="my subscription", min_length=1, max_length=200)


class RuleResponse(BaseSchema):
    id: str
    name: str
    channel_id: str | None = None
    user_id: str | None = None
    election_id: str | None = None
    region: str | None = None
    alert_type: str | None = None
    severities: list[str]
    changes: list[str]
    enabled: bool
    created_by: str | None = None
    created_at: UTCDatetime


class SilenceCreate(BaseSchema):
    matchers: dict[str, str] = Field(
        description="alert fields that must all equal: election_id, region, type, severity, "
        "constituency_id"
    )
    starts_at: UTCDatetime | None = Field(default=None, description="default: now")
    ends_at: UTCDatetime
    comment: str = Field(min_length=1, max_length=2000)


class SilenceResponse(BaseSchema):
    id: str
    matchers: dict[str, str]
    starts_at: UTCDatetime
    ends_at: UTCDatetime
    author: str
    comment: str
    expired_at: UTCDatetime | None = None
    active: bool = False
    created_at: UTCDatetime


class DeliveryRecord(BaseSchema):
    """One message to one channel (or person): a dead letter or a line of an alert's log."""

    id: str = Field(description="also the idempotency key the receiver sees")
    channel_id: str
    channel_name: str | None = None
    change: str = Field(description="the change of the message (raised, resolved, ...)")
    alert_change: str | None = Field(
        default=None, description="in an alert's log: the change this alert was listed for"
    )
    recipient: str | None = None
    status: str = Field(description="pending, sending, delivered or dead")
    attempts: int
    last_error: str | None = None
    summary: str | None = None
    count: int | None = Field(default=None, description="alerts in the message")
    created_at: UTCDatetime
    last_attempt_at: UTCDatetime | None = None
    next_attempt_at: UTCDatetime | None = None
    delivered_at: UTCDatetime | None = None


class RetryAllRequest(BaseSchema):
    channel: str | None = Field(default=None, description="only this channel's (id or name)")


class RetryAllResponse(BaseSchema):
    queued: int


class PreferencesUpdate(BaseSchema):
    """Only the fields given change; ``null`` clears one."""

    email: str | None = Field(default=None, max_length=320)
    language: str | None = Field(default=None, description="en or ru")
    quiet_hours_start: str | None = Field(default=None, description="HH:MM, local time")
    quiet_hours_end: str | None = Field(default=None, description="HH:MM, local time")
    timezone: str | None = Field(default=None, description="IANA name; UTC when unset")


class PreferencesResponse(BaseSchema):
    email: str | None = None
    language: str
    quiet_hours_start: str | None = None
    quiet_hours_end: str | None = None
    timezone: str | None = None
