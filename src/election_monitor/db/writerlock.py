"""One bulk writer at a time where the database needs it, with a clear message otherwise.

SQLite allows one writer: a second ``elmon ingest`` would wait on the database's own lock for
the busy timeout and then fail with ``database is locked`` in the middle of a file. Instead,
each bulk writer takes an exclusive ``flock`` on ``<db>.writer-lock`` first, and a second one
waits with a one-line message (or, with ``--no-wait``, exits with one). The kernel releases the
lock when its process dies, even by ``kill -9``, so a crash never leaves the database locked.

PostgreSQL takes any number of writers, but ``elmon ingest``'s incremental counters assume one
writer per contract at a time: a direct ingest takes a session advisory lock exclusively,
workers take it shared (they serialise contracts among themselves through their leases). The
session ends with its process, and so does the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator

from sqlalchemy import Engine, text

from election_monitor.exceptions import ConflictError

#: ``pg_advisory_lock(namespace, key)`` pairs; the namespace keeps clear of other users' keys.
LOCK_NAMESPACE = 0x656C6D6E  # "elmn"
WRITER_KEY = 1


class WriterBusyError(ConflictError):
    """Another elmon process is writing to this database and the caller chose not to wait."""


def describe(engine: Engine) -> str:
    """The database as a person recognises it (file path, or host/name without password)."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def busy_message(engine: Engine) -> str:
    """The one line shown while waiting for another writer."""
    return f"another elmon process is writing to {describe(engine)}; waiting…"


@contextlib.contextmanager
def writer_lock(
    engine: Engine,
    *,
    wait: bool = True,
    shared: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the database's writer lock for the block; ``shared`` only on PostgreSQL."""
    backend = engine.url.get_backend_name()
    if backend == "sqlite":
        with _sqlite_lock(engine, wait=wait, on_wait=on_wait):
            yield
    elif backend == "postgresql":
        with _postgres_lock(engine, wait=wait, shared=shared, on_wait=on_wait):
            yield
    else:
        yield


@contextlib.contextmanager
def _sqlite_lock(
    engine: Engine, *, wait: bool, on_wait: Callable[[str], None] | None
) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":
        yield  # a private in-memory database has no second writer
        return
    fd = os.open(f"{database}.writer-lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _busy(engine, wait=wait, on_wait=on_wait)
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _postgres_lock(
    engine: Engine, *, wait: bool, shared: bool, on_wait: Callable[[str], None] | None
) -> Iterator[None]:
    suffix = "_shared" if shared else ""
    args = {"ns": LOCK_NAMESPACE, "key": WRITER_KEY}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        got = conn.execute(text(f"SELECT pg_try_advisory_lock{suffix}(:ns, :key)"), args)
        if not got.scalar_one():
            _busy(engine, wait=wait, on_wait=on_wait)
            conn.execute(text(f"SELECT pg_advisory_lock{suffix}(:ns, :key)"), args)
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock{suffix}(:ns, :key)"), args)


def _busy(engine: Engine, *, wait: bool, on_wait: Callable[[str], None] | None) -> None:
    if not wait:
        raise WriterBusyError(
            f"another elmon process is writing to {describe(engine)}; "
            "not waiting (--no-wait): try again when it has finished"
        )
    if on_wait is not None:
        on_wait(busy_message(engine))
