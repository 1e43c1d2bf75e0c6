"""Settings of the API server, read from ``ELMON_*`` like the rest (see .env.example)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """Uploads, the event stream and proxies."""

    model_config = SettingsConfigDict(env_prefix="ELMON_", env_file=".env", extra="ignore")

    upload_dir: Path = Field(
        default=Path("uploads"), description="Where uploaded files are stored (one folder each)."
    )
    max_upload_mib: int = Field(default=2048, ge=1, description="Largest upload accepted, MiB.")
    max_body_kib: int = Field(
        default=1024, ge=1, description="Largest body of any other request, KiB (else 413)."
    )
    upload_workers: int = Field(
        default=1, ge=1, description="Uploaded files ingested at the same time (threads)."
    )
    events_poll_seconds: float = Field(
        default=0.5, gt=0, description="How often the event stream looks for new events."
    )
    events_stream_seconds: float = Field(
        default=300.0, gt=0, description="A stream closes after this; clients reconnect."
    )
    events_retention_hours: float = Field(
        default=72.0, gt=0, description="Events older than this are pruned."
    )
    events_gap_wait_seconds: float = Field(
        default=15.0, ge=0, description="How long the stream waits for a late commit."
    )
    trust_proxy_headers: bool = Field(
        default=False, description="Take the client address from X-Forwarded-For (behind a proxy)."
    )


@lru_cache
def get_api_settings() -> ApiSettings:
    """The process-wide API settings; tests pass their own to ``create_app``."""
    return ApiSettings()
