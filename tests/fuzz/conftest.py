"""Hypothesis profiles for the fuzz tests, and one migrated database reused by every example.

``HYPOTHESIS_PROFILE=long`` (``make fuzz``) runs ``ELMON_FUZZ_EXAMPLES`` files (default 10,000);
the default ``ci`` profile runs a few per test so the normal suite stays fast.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, text

from election_monitor import models  # noqa: F401  (every table on Base.metadata)
from election_monitor.config import get_settings
from election_monitor.db import migrate
from election_monitor.db.base import Base
from election_monitor.db.session import make_engine
from tests.databases import drop_postgres_url, new_database_url
from tests.fuzz import strategies

_COMMON = {
    "deadline": None,
    "derandomize": False,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                              HealthCheck.large_base_example, HealthCheck.function_scoped_fixture],
}  # fmt: skip
settings.register_profile("ci", max_examples=12, **_COMMON)  # type: ignore[arg-type]
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("ELMON_FUZZ_EXAMPLES", "10000")),
    **_COMMON,  # type: ignore[arg-type]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

FUZZ_ENV = {
    "ELMON_INGEST_MAX_FIELD_CHARS": str(strategies.MAX_FIELD_CHARS),
    "ELMON_INGEST_MAX_LINE_CHARS": str(strategies.MAX_LINE_CHARS),
    "ELMON_INGEST_MAX_JSON_DEPTH": str(strategies.MAX_JSON_DEPTH),
}


@dataclass
class FuzzDatabase:
    """A migrated database with one election; :meth:`reset` empties it between examples."""

    engine: Engine
    files: int = 0
    rows: int = 0
    #: The largest rise of the process's peak RSS during one file (KiB): what one file costs.
    max_file_rss_rise_kib: int = 0
    #: Print a progress line every this many files (0: never); ``make fuzz`` sets it.
    progress_every: int = int(os.environ.get("ELMON_FUZZ_PROGRESS", "0"))

    def done(self, rows: int, rss_before_kib: int) -> None:
        """Count one checked file and what it cost."""
        self.files += 1
        self.rows += rows
        rise = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before_kib
        self.max_file_rss_rise_kib = max(self.max_file_rss_rise_kib, rise)
        if self.progress_every and self.files % self.progress_every == 0:
            print(f"fuzz: {self.files} files, {self.rows} rows", flush=True)

    def reset(self) -> None:
        with self.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
            conn.execute(
                text(
                    "INSERT INTO elections (id, name, start_date, end_date, status, "
                    "total_constituencies, timezone) VALUES ('E1', 'Fuzz election', "
                    "'2026-09-18 05:00:00', '2026-09-20 17:00:00', 'active', 0, 'Europe/Moscow')"
                )
            )


@pytest.fixture(scope="module")
def fuzz_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzDatabase]:
    saved = {key: os.environ.get(key) for key in FUZZ_ENV}
    os.environ.update(FUZZ_ENV)
    get_settings.cache_clear()
    url = new_database_url(backend, tmp_path_factory.mktemp("fuzz"), "fuzz")
    engine = make_engine(url)
    migrate.upgrade(engine)
    database = FuzzDatabase(engine)
    yield database
    engine.dispose()
    if backend == "postgres":
        drop_postgres_url(url)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(  # the figure docs/ingest.md quotes (make fuzz runs pytest with -s)
        f"\nfuzz[{backend}]: {database.files} files, {database.rows} rows, "
        f"peak RSS of the process {peak_mib:.0f} MiB, largest rise during one file "
        f"{database.max_file_rss_rise_kib / 1024:.1f} MiB"
    )
