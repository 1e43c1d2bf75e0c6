"""Notifications: channels, routing rules, silences, dead letters, a person's own subscriptions
and quiet hours, and the delivery log of one alert.

Channels and rules are settings (lead; a channel's URL may hold a chat tool's token, so even
reading them needs lead); silences and dead letters are read by anyone and changed by leads;
``/me/...`` is each caller's own, whatever their role. Every change is audited by the service.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from starlette.status import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from election_monitor.api.deps import DbSession, Lead, Paging, Viewer
from election_monitor.api.pagination import Page, json_response, make_page
from election_monitor.api.routes._common import API_PREFIX, CHANGE, READ, READ_ONE
from election_monitor.exceptions import NotFoundError
from election_monitor.models import NotificationChannel, NotificationSilence
from election_monitor.notify import channels, deliveries, silences
from election_monitor.notify.config import redacted
from election_monitor.notify.matching import silence_active
from election_monitor.schemas.notification import (
    ChannelCreate,
    ChannelResponse,
    ChannelUpdate,
    DeliveryRecord,
    RetryAllRequest,
    RetryAllResponse,
    RuleCreate,
    RuleResponse,
    RuleUpdate,
    SilenceCreate,
    SilenceResponse,
)
from election_monitor.timeutil import utcnow

router = APIRouter(prefix=f"{API_PREFIX}/notifications", tags=["notifications"])
alert_router = APIRouter(prefix=f"{API_PREFIX}/alerts", tags=["notifications"])
GONE: dict[int | str, dict[str, Any]] = {HTTP_204_NO_CONTENT: {"description": "removed"}}


def _channel(channel: NotificationChannel) -> ChannelResponse:
    data: dict[str, Any] = {
        k: getattr(channel, k)
        for k in ChannelResponse.model_fields
        if k != "config" and hasattr(channel, k)
    }
    return ChannelResponse(**data, config=redacted(channel.config or {}))


def _silence(silence: NotificationSilence) -> SilenceResponse:
    out = SilenceResponse.model_validate(silence)
    out.active = silence_active(silence, utcnow())
    return out


# -- channels ---------------------------------------------------------------------------


@router.get(
    "/channels",
    response_model=list[ChannelResponse],
    summary="List channels with their health",
    responses=READ,
)
def list_channels(principal: Lead, db: DbSession) -> list[ChannelResponse]:
    return [_channel(c) for c in channels.list_channels(db)]


@router.post(
    "/channels",
    response_model=ChannelResponse,
    status_code=HTTP_201_CREATED,
    summary="Create a channel",
    responses=CHANGE,
)
def create_channel(body: ChannelCreate, principal: Lead, db: DbSession) -> ChannelResponse:
    channel = channels.create_channel(
        db, name=body.name, kind=body.kind.value, config=body.config, enabled=body.enabled,
        actor=principal,
    )  # fmt: skip
    db.commit()
    return _channel(channel)


@router.get(
    "/channels/{channel_id}",
    response_model=ChannelResponse,
    summary="Show a channel (id or name)",
    responses=READ_ONE,
)
def get_channel(channel_id: str, principal: Lead, db: DbSession) -> ChannelResponse:
    return _channel(channels.get_channel(db, channel_id))


@router.patch(
    "/channels/{channel_id}",
    response_model=ChannelResponse,
    summary="Change a channel's configuration or switch it on/off",
    responses=CHANGE,
)
def update_channel(
    channel_id: str, body: ChannelUpdate, principal: Lead, db: DbSession
) -> ChannelResponse:
    channel = channels.update_channel(
        db, ref=channel_id, config=body.config, enabled=body.enabled, actor=principal
    )
    db.commit()
    return _channel(channel)


@router.delete(
    "/channels/{channel_id}",
    status_code=HTTP_204_NO_CONTENT,
    summary="Remove a channel with its rules and deliveries",
    responses={**CHANGE, **GONE},
)
def delete_channel(channel_id: str, principal: Lead, db: DbSession) -> Response:
    channels.delete_channel(db, ref=channel_id, actor=principal)
    db.commit()
    return Response(status_code=HTTP_204_NO_CONTENT)


# -- routing rules ----------------------------------------------------------------------


@router.get(
    "/rules",
    response_model=list[RuleResponse],
    summary="List routing rules (people's subscriptions too)",
    responses=READ,
)
def list_rules(principal: Lead, db: DbSession) -> list[RuleResponse]:
    return [RuleResponse.model_validate(r) for r in channels.list_rules(db)]


@router.post(
    "/rules",
    response_model=RuleResponse,
    status_code=HTTP_201_CREATED,
    summary="Route alert changes to a channel",
    responses=CHANGE,
)
def create_rule(body: RuleCreate, principal: Lead, db: DbSession) -> RuleResponse:
    fields = body.model_dump(exclude={"channel"})
    rule = channels.create_rule(db, actor=principal, channel_ref=body.channel, **fields)
    db.commit()
    return RuleResponse.model_validate(rule)


@router.get(
    "/rules/{rule_id}",
    response_model=RuleResponse,
    summary="Show a routing rule",
    responses=READ_ONE,
)
def get_rule(rule_id: str, principal: Lead, db: DbSession) -> RuleResponse:
    return RuleResponse.model_validate(channels.get_rule(db, rule_id=rule_id))


@router.patch(
    "/rules/{rule_id}",
    response_model=RuleResponse,
    summary="Change a routing rule",
    responses=CHANGE,
)
def update_rule(rule_id: str, body: RuleUpdate, principal: Lead, db: DbSession) -> RuleResponse:
    rule = channels.update_rule(
        db, rule_id=rule_id, changes=body.model_dump(exclude_unset=True), actor=principal
    )
    db.commit()
    return RuleResponse.model_validate(rule)


@router.delete(
    "/rules/{rule_id}",
    status_code=HTTP_204_NO_CONTENT,
    summary="Remove a routing rule",
    responses={**CHANGE, **GONE},
)
def delete_rule(rule_id: str, principal: Lead, db: DbSession) -> Response:
    channels.delete_rule(db, rule_id=rule_id, actor=principal)
    db.commit()
    return Response(status_code=HTTP_204_NO_CONTENT)


# -- silences ---------------------------------------------------------------------------


@router.get(
    "/silences", response_model=list[SilenceResponse], summary="List silences", responses=READ
)
def list_silences(
    principal: Viewer,
    db: DbSession,
    active: Annotated[bool, Query(description="only those muting now")] = False,
) -> list[SilenceResponse]:
    return [_silence(s) for s in silences.list_silences(db, active_only=active)]


@router.post(
    "/silences",
    response_model=SilenceResponse,
    status_code=HTTP_201_CREATED,
    summary="Mute notifications of matching alerts for a while",
    responses=CHANGE,
)
def create_silence(body: SilenceCreate, principal: Lead, db: DbSession) -> SilenceResponse:
    silence = silences.create_silence(
        db, matchers=body.matchers, starts_at=body.starts_at, ends_at=body.ends_at,
        comment=body.comment, actor=principal,
    )  # fmt: skip
    db.commit()
    return _silence(silence)


@router.get(
    "/silences/{silence_id}",
    response_model=SilenceResponse,
    summary="Show a silence",
    responses=READ_ONE,
)
def get_silence(silence_id: str, principal: Viewer, db: DbSession) -> SilenceResponse:
    silence = db.get(NotificationSilence, silence_id)
    if silence is None:
        raise NotFoundError("NotificationSilence", silence_id)
    return _silence(silence)


@router.post(
    "/silences/{silence_id}/expire",
    response_model=SilenceResponse,
    summary="End a silence now",
    responses=CHANGE,
)
def expire_silence(silence_id: str, principal: Lead, db: DbSession) -> SilenceResponse:
    silence = silences.expire_silence(db, silence_id=silence_id, actor=principal)
    db.commit()
    return _silence(silence)


# -- dead letters -----------------------------------------------------------------------


@router.get(
    "/dead-letters",
    response_model=Page[DeliveryRecord],
    summary="Deliveries given up, with their last error",
    responses=READ,
)
def list_dead_letters(principal: Viewer, db: DbSession, window: Paging) -> Response:
    items, total = deliveries.dead_letter_records(db, offset=window.skip, limit=window.limit)
    return json_response(make_page(items, total, window))


@router.post(
    "/dead-letters/retry",
    response_model=RetryAllResponse,
    summary="Send every dead letter (of one channel) again",
    responses=CHANGE,
)
def retry_dead_letters(body: RetryAllRequest, principal: Lead, db: DbSession) -> RetryAllResponse:
    channel_id = channels.get_channel(db, body.channel).id if body.channel else None
    count = deliveries.retry_all(db, actor=principal, channel_id=channel_id)
    db.commit()
    return RetryAllResponse(queued=count)


@router.post(
    "/deliveries/{delivery_id}/retry",
    response_model=DeliveryRecord,
    summary="Send a dead letter again (same idempotency key)",
    responses=CHANGE,
)
def retry_delivery(delivery_id: str, principal: Lead, db: DbSession) -> DeliveryRecord:
    delivery = deliveries.retry(db, delivery_id=delivery_id, actor=principal)
    db.commit()
    channel = db.get(NotificationChannel, delivery.channel_id)
    return deliveries.as_record(delivery, channel_name=channel.name if channel else None)


# -- one alert's delivery log -----------------------------------------------------------


@alert_router.get(
    "/{alert_id}/deliveries",
    response_model=list[DeliveryRecord],
    summary="Every notification that listed the alert, oldest first",
    responses=READ_ONE,
)
def alert_deliveries(alert_id: str, principal: Viewer, db: DbSession) -> list[DeliveryRecord]:
    return deliveries.delivery_log(db, alert_id=alert_id)
