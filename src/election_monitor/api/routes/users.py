"""Users (admins only): list, create, show, change role, enable/disable, reset password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.status import HTTP_201_CREATED

from election_monitor.accounts import users
from election_monitor.accounts.roles import Role
from election_monitor.api.deps import Admin, DbSession, Paging
from election_monitor.api.pagination import Page, json_response, make_page
from election_monitor.api.routes._common import API_PREFIX, CHANGE, READ, READ_ONE
from election_monitor.api.schemas import UserCreate, UserResponse, UserUpdate

router = APIRouter(prefix=f"{API_PREFIX}/users", tags=["users"])


@router.get("", response_model=Page[UserResponse], summary="List users", responses=READ)
def list_users(
    principal: Admin,
    db: DbSession,
    window: Paging,
    role: Annotated[Role | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
) -> Response:
    found = users.list_users(db, role=role.value if role else None, active=active)
    items = [UserResponse.model_validate(u) for u in found]
    return json_response(
        make_page(items[window.skip : window.skip + window.limit], len(items), window)
    )


@router.post(
    "",
    response_model=UserResponse,
    status_code=HTTP_201_CREATED,
    summary="Create a user",
    responses=CHANGE,
)
def create_user(body: UserCreate, principal: Admin, db: DbSession) -> UserResponse:
    user = users.create_user(
        db,
        username=body.username,
        password=body.password,
        role=body.role.value,
        display_name=body.display_name,
        actor=principal,
    )
    db.commit()
    return UserResponse.model_validate(user)


@router.get("/{user_id}", response_model=UserResponse, summary="Show a user", responses=READ_ONE)
def get_user(user_id: str, principal: Admin, db: DbSession) -> UserResponse:
    return UserResponse.model_validate(users.get_user(db, user_id))


@router.patch(
    "/{user_id}",
    response_model=UserResponse,
    summary="Change a user's role, status, name or password",
    responses=CHANGE,
)
def update_user(user_id: str, body: UserUpdate, principal: Admin, db: DbSession) -> UserResponse:
    user = users.get_user(db, user_id)
    given = body.model_dump(exclude_unset=True)
    if "display_name" in given:
        users.set_display_name(db, user=user, display_name=body.display_name, actor=principal)
    if body.role is not None:
        users.set_role(db, user=user, role=body.role.value, actor=principal)
    if body.is_active is not None:
        users.set_active(db, user=user, active=body.is_active, actor=principal)
    if body.password is not None:
        users.set_password(db, user=user, password=body.password, actor=principal)
    db.commit()
    return UserResponse.model_validate(user)
