"""Request and response bodies of the API that the seed's schemas do not cover."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import Field, model_validator

from election_monitor.accounts.roles import Role
from election_monitor.enums import AlertStatus
from election_monitor.schemas import AlertResponse, FileProcessingJobResponse
from election_monitor.schemas.base import BaseSchema, UTCDatetime

# -- accounts -------------------------------------------------------------------------


class LoginRequest(BaseSchema):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class UserResponse(BaseSchema):
    id: str
    username: str
    display_name: str | None = None
    role: Role
    is_active: bool
    created_at: UTCDatetime
    last_login_at: UTCDatetime | None = None


class LoginResponse(BaseSchema):
    user: UserResponse
    csrf_token: str = Field(description="send as X-CSRF-Token with every change")
    expires_at: UTCDatetime


class MeResponse(BaseSchema):
    user: UserResponse
    via: str = Field(description="session or token")
    csrf_token: str | None = Field(default=None, description="for session logins")


class UserCreate(BaseSchema):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=1000)
    role: Role
    display_name: str | None = Field(default=None, max_length=200)


class UserUpdate(BaseSchema):
    """Only the fields given change."""

    role: Role | None = None
    is_active: bool | None = None
    display_name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=1, max_length=1000)


class TokenCreate(BaseSchema):
    name: str = Field(min_length=1, max_length=200, description="what script or machine uses it")
    expires_at: UTCDatetime | None = None


class TokenResponse(BaseSchema):
    id: str
    name: str
    prefix: str = Field(description="the first characters of the secret, to recognise it")
    created_at: UTCDatetime
    expires_at: UTCDatetime | None = None
    last_used_at: UTCDatetime | None = None
    revoked_at: UTCDatetime | None = None


class TokenCreated(TokenResponse):
    token: str = Field(description="the secret: shown this once, never again")


class AuditEntryResponse(BaseSchema):
    id: int
    at: UTCDatetime
    actor: str
    actor_id: str | None = None
    role: str | None = None
    via: str
    action: str
    entity_type: str
    entity_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    details: dict[str, Any] | None = None


# -- alerts ---------------------------------------------------------------------------


class StatusChange(BaseSchema):
    status: AlertStatus = Field(description="snoozing has its own endpoint (/snooze)")
    note: str | None = Field(default=None, max_length=10_000, description="added with the change")


class NoteCreate(BaseSchema):
    text: str = Field(min_length=1, max_length=10_000)


class AssignRequest(BaseSchema):
    assignee: str | None = Field(
        default=None, max_length=200, description="a username; null or empty unassigns"
    )


class SnoozeRequest(BaseSchema):
    until: UTCDatetime | None = Field(default=None, description="wake up at this time")
    until_worse: bool = Field(default=False, description="wake up when the evidence worsens")

    @model_validator(mode="after")
    def _wakes_up_somehow(self) -> SnoozeRequest:
        if self.until is None and not self.until_worse:
            raise ValueError("give until, until_worse, or both")
        return self


class AlertDetail(AlertResponse):
    allowed_transitions: list[str] = Field(description="statuses it may move to now")
    snoozed_until: UTCDatetime | None = None


class AlertEventResponse(BaseSchema):
    id: int
    alert_id: str
    at: UTCDatetime
    actor: str
    action: str
    from_value: str | None = None
    to_value: str | None = None
    note: str | None = None


# -- jobs and uploads -----------------------------------------------------------------


class JobDetail(FileProcessingJobResponse):
    """A job with its progress counters (additions to the seed's response)."""

    path: str | None = None
    format: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    election_id: str | None = None
    rows_inserted: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    summary: dict[str, Any] | None = Field(default=None, description="details, parsed")

    @classmethod
    def of(cls, job: Any) -> JobDetail:
        detail = cls.model_validate(job)
        try:
            parsed = orjson.loads(job.details) if job.details else None
        except orjson.JSONDecodeError:
            parsed = None
        detail.summary = parsed if isinstance(parsed, dict) else None
        return detail


class UploadResponse(BaseSchema):
    job: JobDetail
    action: str = Field(description="new: queued; duplicate: these bytes were already ingested")


class RejectedRowResponse(BaseSchema):
    id: int
    source: str
    line: int
    kind: str
    reason: str
    text: str
    tx_id: str | None = None


# -- health ---------------------------------------------------------------------------


class Health(BaseSchema):
    status: str


class Readiness(BaseSchema):
    status: str
    database: str
    revision: str | None = None
    head: str | None = None
