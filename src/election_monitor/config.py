"""Settings read once from ``ELMON_*`` environment variables and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration; every field is documented in ``.env.example``."""

    model_config = SettingsConfigDict(env_prefix="ELMON_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///elmon.db",
        description="SQLAlchemy URL; default is the SQLite file elmon.db in the working directory.",
    )
    sqlite_cache_mib: int = Field(
        default=256, description="SQLite page cache per connection, in MiB (bulk ingest speed)."
    )
    ingest_batch_size: int = Field(
        default=20_000,
        ge=1,
        description="Rows per committed ingest batch (bigger is faster, smaller resumes sooner).",
    )
    ingest_commit_rows: int = Field(
        default=100_000,
        ge=1,
        description="Rows per ingest commit (a crash re-reads at most this many rows).",
    )
    ingest_time_margin_before_hours: float = Field(
        default=24,
        ge=0,
        description="Rows timed earlier than the election start minus this are rejected.",
    )
    ingest_time_margin_after_hours: float = Field(
        default=168,
        ge=0,
        description="Rows timed later than the election end plus this are rejected.",
    )
    ingest_max_line_chars: int = Field(
        default=1_000_000, ge=1024, description="Longest line read; a longer one is rejected."
    )
    ingest_max_field_chars: int = Field(
        default=262_144, ge=64, description="Longest field of a line; a longer one is rejected."
    )
    ingest_max_json_depth: int = Field(
        default=32, ge=2, le=512, description="Deepest JSON nesting in a field or block."
    )
    ingest_max_archive_members: int = Field(
        default=10_000, ge=1, description="Most members a zip archive may hold."
    )
    ingest_max_compression_ratio: int = Field(
        default=200, ge=2, description="Largest uncompressed/compressed ratio (zip bombs)."
    )
    error_log: str = Field(
        default="elmon-errors.log",
        description="File where unexpected errors are logged with their error id.",
    )
    echo_sql: bool = Field(default=False, description="Log every SQL statement (debugging).")
    browser_executable: str = Field(
        default="/usr/bin/chromium",
        description="Chromium the browser tests drive (Debian's package; no browser download).",
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests clear the cache to override."""
    return Settings()
