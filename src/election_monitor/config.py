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
    echo_sql: bool = Field(default=False, description="Log every SQL statement (debugging).")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests clear the cache to override."""
    return Settings()
