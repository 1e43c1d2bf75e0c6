"""Channel configurations: what a webhook or an e-mail channel needs, checked before use.

The same models check a configuration when it is created (a clear 422 or CLI error) and
when the dispatcher uses it (a configuration edited in the database, or from an older
version, marks the channel ``invalid`` and dead-letters its deliveries with the reason,
instead of raising inside the dispatcher).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from election_monitor.enums import ChannelKind
from election_monitor.exceptions import InvalidInputError

#: Keys never shown back by the API or the CLI.
SECRET_KEYS = frozenset({"secret", "password"})


class WebhookConfig(BaseModel):
    """POST a JSON body to ``url``, signed with ``secret`` (HMAC-SHA256)."""

    model_config = ConfigDict(extra="forbid")

    url: str
    secret: str = Field(min_length=8)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    headers: dict[str, str] = Field(default_factory=dict)
    #: A Jinja2 template rendering the body (for chat tools); the default body when empty.
    body_template: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value


class EmailConfig(BaseModel):
    """Send through an SMTP server; ``to`` receives team routes, people get their own."""

    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str = Field(min_length=3)
    to: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    language: Literal["en", "ru"] = "en"

    @field_validator("sender")
    @classmethod
    def _address(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("sender must be an e-mail address")
        return value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if "@" not in a]
        if bad:
            raise ValueError(f"not e-mail addresses: {bad}")
        return value


ChannelConfig = WebhookConfig | EmailConfig


def _explain(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "config"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def parse_config(kind: str, config: dict[str, Any]) -> ChannelConfig:
    """The checked configuration, or ``InvalidInputError`` saying what is wrong."""
    try:
        channel_kind = ChannelKind(kind)
    except ValueError as exc:
        raise InvalidInputError(
            f"channel kind must be one of {[k.value for k in ChannelKind]}, got {kind!r}"
        ) from exc
    model: type[BaseModel] = WebhookConfig if channel_kind == ChannelKind.WEBHOOK else EmailConfig
    try:
        parsed = model.model_validate(config)
    except ValidationError as exc:
        raise InvalidInputError(f"invalid {kind} channel configuration: {_explain(exc)}") from exc
    assert isinstance(parsed, WebhookConfig | EmailConfig)
    return parsed


def redacted(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration with its secrets replaced by ``"***"``."""
    return {k: ("***" if k in SECRET_KEYS and v else v) for k, v in config.items()}
