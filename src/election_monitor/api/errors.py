"""The one place where errors become HTTP: ``{"error": "<ErrorName>", "detail": "..."}``.

================================  ====
NotFoundError                     404
ConflictError, InvalidTransition  409
InvalidInputError, validation     422  (``errors`` names each field and its allowed values)
AuthenticationError               401  (with ``WWW-Authenticate: Bearer``)
PermissionDeniedError             403
RateLimitedError                  429  (with ``Retry-After``)
anything else                     500  (logged with an error id; the client sees the id)
================================  ====
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from election_monitor.accounts.errors import (
    AuthenticationError,
    PermissionDeniedError,
    RateLimitedError,
)
from election_monitor.api.security_headers import HEADERS as SECURITY_HEADERS
from election_monitor.errorlog import log_unexpected
from election_monitor.exceptions import (
    ConflictError,
    ElectionMonitorError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
)

log = logging.getLogger("election_monitor.api")


class FieldError(BaseModel):
    """One invalid input: where it is, what is wrong, and what would be accepted."""

    field: str = Field(description="e.g. body.status, query.limit")
    message: str
    allowed: list[str] | None = None


class ErrorResponse(BaseModel):
    """Every error the API returns."""

    error: str = Field(description="the project's error name, e.g. NotFoundError")
    detail: str = Field(description="what went wrong, in words")
    errors: list[FieldError] | None = Field(default=None, description="422: each bad field")
    allowed: list[str] | None = Field(default=None, description="409: the allowed statuses")
    error_id: str | None = Field(
        default=None, description="500: the id under which the error is in the server's log"
    )


DESCRIPTIONS = {
    401: "Not authenticated (no, wrong, expired or revoked credentials)",
    403: "Authenticated, but the role (or a missing CSRF token) does not allow it",
    404: "No record with that id",
    409: "Refused by the current state (e.g. a status change the lifecycle forbids)",
    413: "Upload larger than the configured limit",
    422: "Invalid input: each field, the problem and the allowed values",
    429: "Too many failed logins; retry after Retry-After seconds",
    503: "Not ready (database unreachable or migrations behind)",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given status codes."""
    return {code: {"model": ErrorResponse, "description": DESCRIPTIONS[code]} for code in codes}


def error_json(
    status: int, error: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = ErrorResponse(error=error, detail=detail, **extra)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _allowed(err: dict[str, Any]) -> list[str] | None:
    expected = (err.get("ctx") or {}).get("expected")
    if not isinstance(expected, str):
        return None
    parts = expected.replace(" or ", ", ").split(", ")
    return [p.strip().strip("'") for p in parts if p.strip()]


def field_errors(exc: RequestValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        out.append(
            FieldError(
                field=".".join(str(p) for p in err.get("loc", ())),
                message=message,
                allowed=_allowed(err),
            )
        )
    return out


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or "invalid request"
    return error_json(422, "ValidationError", detail, errors=errors)


async def _project(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ElectionMonitorError)
    name = type(exc).__name__
    if isinstance(exc, NotFoundError):
        return error_json(404, name, str(exc))
    if isinstance(exc, InvalidTransitionError):
        return error_json(409, name, str(exc), allowed=exc.allowed)
    if isinstance(exc, ConflictError):
        return error_json(409, name, str(exc))
    if isinstance(exc, InvalidInputError):
        return error_json(422, name, str(exc))
    if isinstance(exc, AuthenticationError):
        return error_json(401, name, str(exc), headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, PermissionDeniedError):
        return error_json(403, name, str(exc))
    if isinstance(exc, RateLimitedError):
        return error_json(429, name, str(exc), headers={"Retry-After": str(exc.retry_after)})
    return error_json(400, name, str(exc))


HTTP_NAMES = {404: "NotFoundError", 405: "MethodNotAllowedError", 413: "PayloadTooLargeError"}


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    name = HTTP_NAMES.get(exc.status_code, "HTTPError")
    try:
        default = HTTPStatus(exc.status_code).phrase
    except ValueError:
        default = "error"
    detail = exc.detail if isinstance(exc.detail, str) else default
    headers = dict(exc.headers) if exc.headers else None
    return error_json(exc.status_code, name, detail, headers=headers)


async def _data(_request: Request, exc: Exception) -> JSONResponse:
    # The database refused a value the schema let through (a NUL byte, an out-of-range number).
    log.info("database refused a value: %s", exc)
    return error_json(422, "InvalidInputError", "a value was refused by the database")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    error_id = log_unexpected(exc, context=f"{request.method} {request.url.path}")
    return error_json(
        500,
        "InternalServerError",
        f"internal error {error_id}; it has been logged under this id",
        # Sent by the outermost Starlette layer, past every middleware: headers set here.
        headers=dict(SECURITY_HEADERS),
        error_id=error_id,
    )


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ElectionMonitorError, _project)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(DataError, _data)
    app.add_exception_handler(Exception, _unexpected)
