"""Settings of logins and passwords, read from ``ELMON_*`` like the rest (see .env.example)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseSettings):
    """Sessions, cookies, the login rate limit and the argon2 cost."""

    model_config = SettingsConfigDict(env_prefix="ELMON_", env_file=".env", extra="ignore")

    session_hours: float = Field(default=12.0, gt=0, description="Lifetime of a web login.")
    cookie_secure: bool | None = Field(
        default=None,
        description="Secure flag of the session cookie; unset: set when served over HTTPS.",
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed logins per user within the window before 429."
    )
    login_max_failures_per_ip: int = Field(
        default=20, ge=1, description="Failed logins from one address within the window before 429."
    )
    login_window_seconds: int = Field(
        default=900, ge=1, description="Window of the login rate limit, in seconds."
    )
    password_min_length: int = Field(default=10, ge=1, description="Shortest password accepted.")
    password_time_cost: int = Field(default=3, ge=1, description="argon2id iterations.")
    password_memory_kib: int = Field(default=65536, ge=8, description="argon2id memory, KiB.")
    token_touch_seconds: int = Field(
        default=300, ge=0, description="How stale a token's last_used_at may get before a write."
    )


@lru_cache
def get_auth_settings() -> AuthSettings:
    """The process-wide auth settings; tests clear the cache to override."""
    return AuthSettings()
