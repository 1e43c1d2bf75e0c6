"""The dispatcher's settings (``ELMON_NOTIFY_*``), with defaults that work without a file."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    """Grouping, repeats, retries and polling; every field is documented in .env.example."""

    model_config = SettingsConfigDict(env_prefix="ELMON_NOTIFY_", env_file=".env", extra="ignore")

    group_wait_seconds: float = Field(
        default=30.0, ge=0, description="Alerts of one group raised within this wait go together."
    )
    critical_group_wait_seconds: float = Field(
        default=0.0, ge=0, description="The group wait when the group holds a critical alert."
    )
    group_by: list[str] = Field(
        default=["election_id", "type", "region"],
        description="Alert fields that make the group key (any of election_id, type, region, "
        "severity, constituency_id).",
    )
    repeat_interval_hours: float = Field(
        default=4.0, gt=0, description="An unresolved critical alert is notified again after it."
    )
    max_attempts: int = Field(
        default=8, ge=1, description="Tries of one delivery before it becomes a dead letter."
    )
    backoff_seconds: float = Field(
        default=2.0, gt=0, description="First retry delay; doubles per try, with jitter."
    )
    backoff_max_seconds: float = Field(default=600.0, gt=0, description="Longest retry delay.")
    poll_seconds: float = Field(
        default=0.5, gt=0, description="How often the dispatcher looks for new work."
    )
    batch_size: int = Field(
        default=5000, ge=1, description="Outbox rows and due deliveries read per round."
    )
    send_workers: int = Field(
        default=4, ge=1, description="Channels sent to in parallel (one slow one blocks no other)."
    )
    lease_margin_seconds: float = Field(
        default=30.0,
        ge=0,
        description="A claimed delivery is retried after its channel timeout plus this margin "
        "if the sender died mid-attempt.",
    )
    user_channel: str = Field(
        default="email",
        description="The e-mail channel that carries people's own subscriptions.",
    )
    max_alerts_per_message: int = Field(
        default=100, ge=1, description="Alerts listed in one message (the count is always whole)."
    )


@lru_cache
def get_notify_settings() -> NotifySettings:
    """The process-wide settings; tests clear the cache or pass their own."""
    return NotifySettings()
