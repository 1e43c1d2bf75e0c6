"""The caller's own notification settings, whatever their role: e-mail address, language,
quiet hours and e-mail subscriptions (audited like every change)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.status import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from election_monitor.api.deps import DbSession, Viewer
from election_monitor.api.routes._common import API_PREFIX, CHANGE, READ
from election_monitor.api.routes.notifications import GONE
from election_monitor.exceptions import InvalidInputError
from election_monitor.models import User
from election_monitor.notify import channels, preferences
from election_monitor.schemas.notification import (
    PreferencesResponse,
    PreferencesUpdate,
    RuleResponse,
    SubscriptionCreate,
)

router = APIRouter(prefix=f"{API_PREFIX}/me", tags=["notifications"])


def _me(db: DbSession, principal: Viewer) -> User:
    user = db.get(User, principal.user_id) if principal.user_id else None
    if user is None:
        raise InvalidInputError("this caller has no user account")
    return user


@router.get(
    "/notifications",
    response_model=PreferencesResponse,
    summary="My e-mail address, language and quiet hours",
    responses=READ,
)
def my_preferences(principal: Viewer, db: DbSession) -> PreferencesResponse:
    return PreferencesResponse.model_validate(_me(db, principal))


@router.patch(
    "/notifications",
    response_model=PreferencesResponse,
    summary="Change my e-mail address, language or quiet hours",
    responses=CHANGE,
)
def update_my_preferences(
    body: PreferencesUpdate, principal: Viewer, db: DbSession
) -> PreferencesResponse:
    user = preferences.update_preferences(
        db, user_id=_me(db, principal).id, changes=body.model_dump(exclude_unset=True),
        actor=principal,
    )  # fmt: skip
    db.commit()
    return PreferencesResponse.model_validate(user)


@router.get(
    "/subscriptions",
    response_model=list[RuleResponse],
    summary="My e-mail subscriptions",
    responses=READ,
)
def my_subscriptions(principal: Viewer, db: DbSession) -> list[RuleResponse]:
    rules = channels.list_rules(db, user_id=_me(db, principal).id)
    return [RuleResponse.model_validate(r) for r in rules]


@router.post(
    "/subscriptions",
    response_model=RuleResponse,
    status_code=HTTP_201_CREATED,
    summary="Subscribe to alert changes by e-mail",
    responses=CHANGE,
)
def subscribe(body: SubscriptionCreate, principal: Viewer, db: DbSession) -> RuleResponse:
    rule = channels.create_rule(
        db, actor=principal, user_id=_me(db, principal).id, **body.model_dump()
    )
    db.commit()
    return RuleResponse.model_validate(rule)


@router.delete(
    "/subscriptions/{rule_id}",
    status_code=HTTP_204_NO_CONTENT,
    summary="Remove one of my subscriptions",
    responses={**CHANGE, **GONE},
)
def unsubscribe(rule_id: str, principal: Viewer, db: DbSession) -> Response:
    channels.delete_rule(db, rule_id=rule_id, actor=principal, user_id=_me(db, principal).id)
    db.commit()
    return Response(status_code=HTTP_204_NO_CONTENT)
