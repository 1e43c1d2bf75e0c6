"""Login and logout (web sessions), who am I, and one's own API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.status import HTTP_201_CREATED

from election_monitor.accounts import sessions, tokens
from election_monitor.accounts.users import get_user
from election_monitor.api.deps import DbSession, Viewer
from election_monitor.api.errors import error_responses
from election_monitor.api.routes._common import API_PREFIX, CHANGE, READ
from election_monitor.api.schemas import (
    LoginRequest,
    LoginResponse,
    MeResponse,
    TokenCreate,
    TokenCreated,
    TokenResponse,
    UserResponse,
)
from election_monitor.api.security import clear_session_cookie, client_ip, set_session_cookie

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=LoginResponse,
    summary="Sign in with a password; sets the session cookie",
    responses=error_responses(401, 422, 429),
)
def login(body: LoginRequest, request: Request, response: Response, db: DbSession) -> LoginResponse:
    done = sessions.login(
        db,
        username=body.username,
        password=body.password,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    db.commit()
    set_session_cookie(request, response, done)
    return LoginResponse(
        user=UserResponse.model_validate(done.user),
        csrf_token=done.session.csrf_token,
        expires_at=done.session.expires_at,
    )


@router.post(
    "/logout",
    status_code=204,
    summary="End this web session (a token caller has nothing to end)",
    responses=error_responses(401, 403),
)
def logout(principal: Viewer, response: Response, db: DbSession) -> Response:
    if principal.session_id is not None:
        sessions.logout(db, session_id=principal.session_id, actor=principal)
        db.commit()
    result = Response(status_code=204)
    clear_session_cookie(result)
    return result


@router.get("/me", response_model=MeResponse, summary="Who is calling", responses=READ)
def me(principal: Viewer, db: DbSession) -> MeResponse:
    assert principal.user_id is not None
    return MeResponse(
        user=UserResponse.model_validate(get_user(db, principal.user_id)),
        via=principal.via,
        csrf_token=principal.csrf_token,
    )


@router.get("/tokens", response_model=list[TokenResponse], summary="My API tokens", responses=READ)
def list_tokens(
    principal: Viewer, db: DbSession, include_revoked: bool = False
) -> list[TokenResponse]:
    assert principal.user_id is not None
    user = get_user(db, principal.user_id)
    found = tokens.list_tokens(db, user=user, include_revoked=include_revoked)
    return [TokenResponse.model_validate(t) for t in found]


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=HTTP_201_CREATED,
    summary="Create an API token for scripts (the secret is shown once)",
    responses=error_responses(401, 403, 422),
)
def create_token(body: TokenCreate, principal: Viewer, db: DbSession) -> TokenCreated:
    assert principal.user_id is not None
    user = get_user(db, principal.user_id)
    token, secret = tokens.create_token(
        db, user=user, name=body.name, expires_at=body.expires_at, actor=principal
    )
    db.commit()
    return TokenCreated(**TokenResponse.model_validate(token).model_dump(), token=secret)


@router.delete(
    "/tokens/{token_id}",
    response_model=TokenResponse,
    summary="Revoke one of my API tokens",
    responses=CHANGE,
)
def revoke_token(token_id: str, principal: Viewer, db: DbSession) -> TokenResponse:
    assert principal.user_id is not None
    user = get_user(db, principal.user_id)
    token = tokens.revoke_token(db, user=user, token_id=token_id, actor=principal)
    db.commit()
    return TokenResponse.model_validate(token)
