"""Health (``/healthz``), readiness (``/readyz``) and metrics (``/metrics``): no login."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from election_monitor.api.deps import AppEngine
from election_monitor.api.errors import error_json, error_responses
from election_monitor.api.metrics import CONTENT_TYPE, Metrics
from election_monitor.api.schemas import Health, Readiness
from election_monitor.db import migrate

router = APIRouter(tags=["health"])


@lru_cache(maxsize=1)
def _head() -> str | None:
    """The newest shipped revision (reading the scripts takes a while: once per process)."""
    return migrate.head_revision()


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The database is reachable and migrated to the newest revision",
    responses=error_responses(503),
)
def readyz(engine: AppEngine) -> Readiness | JSONResponse:
    head = _head()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        return error_json(503, "NotReadyError", f"database unreachable: {type(exc).__name__}")
    if current != head:
        return error_json(
            503,
            "NotReadyError",
            f"database at revision {current}, code expects {head}: run `elmon db upgrade`",
        )
    return Readiness(status="ready", database="ok", revision=current, head=head)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE)
