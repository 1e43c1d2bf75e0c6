"""Channels and routing rules: create, list, change, remove; every change is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from election_monitor.accounts import audit
from election_monitor.accounts.audit import Actor
from election_monitor.enums import AlertSeverity, ChannelStatus, NotifyChange
from election_monitor.exceptions import ConflictError, InvalidInputError, NotFoundError
from election_monitor.models import NotificationChannel, NotificationRule
from election_monitor.notify.config import SECRET_KEYS, parse_config, redacted


def get_channel(db: Session, ref: str) -> NotificationChannel:
    """A channel by id or by name."""
    channel = db.get(NotificationChannel, ref) or db.scalar(
        select(NotificationChannel).where(NotificationChannel.name == ref)
    )
    if channel is None:
        raise NotFoundError("NotificationChannel", ref)
    return channel


def list_channels(db: Session) -> list[NotificationChannel]:
    return list(db.scalars(select(NotificationChannel).order_by(NotificationChannel.name)))


def create_channel(
    db: Session,
    *,
    name: str,
    kind: str,
    config: dict[str, Any],
    actor: Actor,
    enabled: bool = True,
) -> NotificationChannel:
    """A new channel; its configuration is checked first (``InvalidInputError``)."""
    if not name.strip():
        raise InvalidInputError("a channel needs a name")
    parse_config(kind, config)
    if db.scalar(select(NotificationChannel.id).where(NotificationChannel.name == name)):
        raise ConflictError(f"a channel named {name!r} already exists")
    channel = NotificationChannel(name=name, kind=kind, config=config, enabled=enabled)
    db.add(channel)
    db.flush()
    audit.record(
        db, actor, action="channel.create", entity_type="notification_channel",
        entity_id=channel.id, details={"name": name, "kind": kind, "config": redacted(config)},
    )  # fmt: skip
    return channel


def update_channel(
    db: Session,
    *,
    ref: str,
    actor: Actor,
    config: dict[str, Any] | None = None,
    enabled: bool | None = None,
) -> NotificationChannel:
    """Change the configuration (merged over the old one; checked) or switch it on/off."""
    channel = get_channel(db, ref)
    if config is not None:
        # A secret sent back as shown ("***") means "keep it", not "set it to ***".
        config = {k: v for k, v in config.items() if not (k in SECRET_KEYS and v == "***")}
        merged = {**(channel.config or {}), **config}
        parse_config(channel.kind, merged)
        channel.config = merged
        channel.status = ChannelStatus.UNKNOWN.value  # the next attempt tells
        channel.last_error = None
    if enabled is not None:
        channel.enabled = enabled
    db.flush()
    audit.record(
        db, actor, action="channel.update", entity_type="notification_channel",
        entity_id=channel.id,
        details={"config": redacted(config) if config else None, "enabled": enabled},
    )  # fmt: skip
    return channel


def delete_channel(db: Session, *, ref: str, actor: Actor) -> None:
    """Remove a channel with its rules and deliveries."""
    channel = get_channel(db, ref)
    audit.record(
        db, actor, action="channel.delete", entity_type="notification_channel",
        entity_id=channel.id, details={"name": channel.name},
    )  # fmt: skip
    db.delete(channel)
    db.flush()


def _check_values(severities: list[str], changes: list[str]) -> None:
    allowed_s = {s.value for s in AlertSeverity}
    allowed_c = {c.value for c in NotifyChange}
    bad_s = [s for s in severities if s not in allowed_s]
    bad_c = [c for c in changes if c not in allowed_c]
    if bad_s:
        raise InvalidInputError(f"severities must be among {sorted(allowed_s)}, got {bad_s}")
    if bad_c:
        raise InvalidInputError(f"changes must be among {sorted(allowed_c)}, got {bad_c}")


def create_rule(
    db: Session,
    *,
    actor: Actor,
    name: str,
    channel_ref: str | None = None,
    user_id: str | None = None,
    election_id: str | None = None,
    region: str | None = None,
    alert_type: str | None = None,
    severities: list[str] | None = None,
    changes: list[str] | None = None,
) -> NotificationRule:
    """A route to a channel, or (``user_id``) a person's own e-mail subscription."""
    severities, changes = list(severities or []), list(changes or [])
    _check_values(severities, changes)
    channel_id = get_channel(db, channel_ref).id if channel_ref else None
    if channel_id is None and user_id is None:
        raise InvalidInputError("a rule needs a channel (or is a person's subscription)")
    rule = NotificationRule(
        name=name or "rule",
        channel_id=channel_id,
        user_id=user_id,
        election_id=election_id or None,
        region=region or None,
        alert_type=alert_type or None,
        severities=severities,
        changes=changes,
        created_by=actor.username,
    )
    db.add(rule)
    db.flush()
    audit.record(
        db, actor, action="notification_rule.create", entity_type="notification_rule",
        entity_id=rule.id, details=rule_dict(rule),
    )  # fmt: skip
    return rule


def rule_dict(rule: NotificationRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "channel_id": rule.channel_id,
        "user_id": rule.user_id,
        "election_id": rule.election_id,
        "region": rule.region,
        "alert_type": rule.alert_type,
        "severities": rule.severities,
        "changes": rule.changes,
    }


def list_rules(db: Session, *, user_id: str | None = None) -> list[NotificationRule]:
    """Every rule, or one person's subscriptions."""
    stmt = select(NotificationRule).order_by(NotificationRule.created_at, NotificationRule.id)
    if user_id is not None:
        stmt = stmt.where(NotificationRule.user_id == user_id)
    return list(db.scalars(stmt))


def get_rule(db: Session, *, rule_id: str, user_id: str | None = None) -> NotificationRule:
    """A rule by id (``user_id``: only if it is that person's)."""
    rule = db.get(NotificationRule, rule_id)
    if rule is None or (user_id is not None and rule.user_id != user_id):
        raise NotFoundError("NotificationRule", rule_id)
    return rule


#: What ``update_rule`` may change.
RULE_FIELDS = ("name", "election_id", "region", "alert_type", "severities", "changes", "enabled")


def update_rule(
    db: Session, *, rule_id: str, changes: dict[str, Any], actor: Actor
) -> NotificationRule:
    """Change the given matchers, name or ``enabled`` (others unchanged); audited."""
    rule = get_rule(db, rule_id=rule_id)
    changes = {k: v for k, v in changes.items() if k in RULE_FIELDS}
    if changes.get("enabled", False) is None:
        del changes["enabled"]  # "null" is not "off"
    _check_values(list(changes.get("severities") or []), list(changes.get("changes") or []))
    for key, value in changes.items():
        if key in ("severities", "changes"):
            value = list(value or [])
        elif key == "enabled":
            value = bool(value)
        elif key == "name":
            value = value or rule.name
        else:
            value = value or None
        setattr(rule, key, value)
    db.flush()
    audit.record(
        db, actor, action="notification_rule.update", entity_type="notification_rule",
        entity_id=rule.id, details=changes,
    )  # fmt: skip
    return rule


def delete_rule(db: Session, *, rule_id: str, actor: Actor, user_id: str | None = None) -> None:
    """Remove a rule (``user_id``: only if it is that person's)."""
    rule = get_rule(db, rule_id=rule_id, user_id=user_id)
    audit.record(
        db, actor, action="notification_rule.delete", entity_type="notification_rule",
        entity_id=rule.id, details=rule_dict(rule),
    )  # fmt: skip
    db.delete(rule)
    db.flush()
