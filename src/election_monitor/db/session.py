"""Engine and sessions: one engine per process, configured from settings or an explicit URL."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from election_monitor.config import get_settings

SessionLocal = sessionmaker(autoflush=False, expire_on_commit=False)

_engine: Engine | None = None


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with the per-dialect settings ingest and concurrency rely on."""
    kwargs: dict[str, Any] = {
        "echo": echo,
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
    }
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        cache_kib = get_settings().sqlite_cache_mib * 1024
        in_memory = engine.url.database in (None, "", ":memory:")

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            if not in_memory:
                # WAL lets the dashboard read while ingest writes.
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA cache_size=-{cache_kib}")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


def configure(url: str | None = None) -> Engine:
    """(Re)bind the process to a database; ``None`` means the URL from settings."""
    global _engine
    if _engine is not None:
        _engine.dispose()
    settings = get_settings()
    _engine = make_engine(url or settings.database_url, echo=settings.echo_sql)
    SessionLocal.configure(bind=_engine)
    return _engine


def get_engine() -> Engine:
    """The process's engine, created from settings on first use."""
    if _engine is None:
        return configure()
    return _engine


def get_db() -> Generator[Session, None, None]:
    """Get a database session."""
    get_engine()
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error (CLI commands, jobs)."""
    get_engine()
    db = SessionLocal()
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()
