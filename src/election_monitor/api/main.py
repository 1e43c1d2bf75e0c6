"""``create_app()``: the FastAPI application (REST under ``/api/v1``, events, health, metrics)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from election_monitor import __version__
from election_monitor.api import errors
from election_monitor.api.body_limit import BodyLimitMiddleware
from election_monitor.api.events import router as events_router
from election_monitor.api.jobrunner import HooksFactory, JobRunner, default_hooks
from election_monitor.api.metrics import Metrics, MetricsMiddleware
from election_monitor.api.routes import (
    alerts,
    audit,
    auth,
    constituencies,
    elections,
    health,
    jobs,
    me,
    notifications,
    operations,
    reports,
    transactions,
    users,
)
from election_monitor.api.security_headers import SecurityHeadersMiddleware
from election_monitor.api.settings import ApiSettings, get_api_settings
from election_monitor.api.uploads import MIB
from election_monitor.db.session import get_engine, make_engine
from election_monitor.events import prune
from election_monitor.notify.metrics import NotifyCounters
from election_monitor.timeutil import utcnow
from election_monitor.web.mount import install as install_web

log = logging.getLogger("election_monitor.api")

PRUNE_EVERY_SECONDS = 600.0

DESCRIPTION = """Election Monitoring System API.

Authenticate with an API token (`Authorization: Bearer elmon_…`, created at
`POST /api/v1/auth/tokens`) or a web login (`POST /api/v1/auth/login` sets a session cookie;
changes then need the `X-CSRF-Token` header). Roles: **viewer** reads; **observer** also adds
notes, changes alert status and assigns; **lead** also uploads files, retries jobs, snoozes
alerts and edits elections and constituencies; **admin** also manages users and reads the audit
log. Errors are JSON: `{"error": "<ErrorName>", "detail": "..."}`."""


def _prune(engine: Engine, settings: ApiSettings) -> None:
    with engine.begin() as conn:
        prune(conn, older_than=utcnow() - timedelta(hours=settings.events_retention_hours))


async def _prune_forever(engine: Engine, settings: ApiSettings) -> None:
    while True:
        try:
            await run_in_threadpool(_prune, engine, settings)
        except Exception:  # pruning is housekeeping: never let it take the server down
            log.exception("pruning stream events failed")
        await asyncio.sleep(PRUNE_EVERY_SECONDS)


def create_app(
    database_url: str | None = None,
    *,
    engine: Engine | None = None,
    settings: ApiSettings | None = None,
    ingest_hooks: HooksFactory = default_hooks,
) -> FastAPI:
    """The application bound to a database: ``engine``, else ``database_url``, else the
    process's configured engine (``--database-url`` / ``ELMON_DATABASE_URL``)."""
    settings = settings or get_api_settings()
    owned = engine is None and database_url is not None
    if engine is None:
        engine = make_engine(database_url) if database_url else get_engine()
    metrics = Metrics(engine)
    runner = JobRunner(engine, workers=settings.upload_workers, hooks=ingest_hooks)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pruner = asyncio.create_task(_prune_forever(engine, settings))
        try:
            yield
        finally:
            pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pruner
            await run_in_threadpool(runner.shutdown)
            if owned:
                engine.dispose()

    app = FastAPI(
        title="Election Monitoring System",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)
    app.state.settings = settings
    app.state.metrics = metrics
    # The dispatcher run by `elmon serve` counts on the app's registry, so /metrics shows it.
    app.state.notify_counters = NotifyCounters(metrics.registry)
    app.state.runner = runner

    errors.install(app)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_kib * 1024,
        # Multipart framing on top of the file; the upload route enforces the file's own limit.
        max_upload_bytes=(settings.max_upload_mib + 1) * MIB,
    )
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: on every answer, 413s included

    modules = (
        auth,
        users,
        audit,
        elections,
        operations,
        constituencies,
        transactions,
        alerts,
        jobs,
        reports,
    )
    for module in modules:
        app.include_router(module.router)
    app.include_router(notifications.router)
    app.include_router(me.router)
    app.include_router(notifications.alert_router)
    app.include_router(events_router)
    app.include_router(health.router)
    install_web(app)
    return app
