"""``GET /api/v1/events``: server-sent events backed by the ``stream_events`` table.

The table is written by whichever process changes something (an ingest worker, the CLI,
this server), so the stream polls it. Each message carries its id; a client that reconnects
with ``Last-Event-ID`` (browsers do it by themselves) gets everything after that id that is
still kept (``ELMON_EVENTS_RETENTION_HOURS``); if that is older than what is kept, a
``stream.reset`` event tells it to reload. A stream ends after ``duration`` seconds and the
client reconnects, so no connection is held forever.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from election_monitor.api.deps import AppEngine, DbSession, Settings, Viewer
from election_monitor.api.errors import error_responses
from election_monitor.api.routes._common import API_PREFIX
from election_monitor.events import StreamReader
from election_monitor.exceptions import InvalidInputError

router = APIRouter(prefix=API_PREFIX, tags=["events"])

HEARTBEAT_SECONDS = 15.0
RETRY_MS = 2000


class EventKind(StrEnum):
    ALERT_CREATED = "alert.created"
    ALERT_UPDATED = "alert.updated"
    JOB_CREATED = "job.created"
    JOB_PROGRESS = "job.progress"
    JOB_FINISHED = "job.finished"
    CONSTITUENCIES_REFRESHED = "constituencies.refreshed"


def format_event(event_id: int | None, kind: str, data: Any) -> str:
    """One SSE message (``id``, ``event``, ``data`` lines)."""
    lines = [] if event_id is None else [f"id: {event_id}"]
    lines.append(f"event: {kind}")
    lines.append(f"data: {orjson.dumps(data).decode()}")
    return "\n".join(lines) + "\n\n"


def _parse_last_id(header: str | None, query: int | None) -> int | None:
    if query is not None:
        return query
    if header is None or not header.strip():
        return None
    try:
        value = int(header.strip())
    except ValueError:
        raise InvalidInputError("Last-Event-ID must be an event id (an integer)") from None
    if value < 0:
        raise InvalidInputError("Last-Event-ID must not be negative")
    return value


DESCRIPTION = """Server-sent events (`text/event-stream`). Event types:
`alert.created`, `alert.updated` (data: the alert's id, constituency, type, severity,
status, title, assignee, and the change: action, from, to, actor, at);
`job.created`, `job.progress`, `job.finished` (data: the job's counters);
`constituencies.refreshed` (data: the election id and the new totals of each constituency a
batch touched); `stream.reset` (the requested Last-Event-ID is older than what is kept:
reload, then follow). Reconnect with the `Last-Event-ID` header (or `last_event_id`) to
miss nothing."""


@router.get(
    "/events",
    summary="Live event stream (SSE)",
    description=DESCRIPTION,
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **error_responses(401, 403, 422),
    },
)
async def stream_events(
    request: Request,
    principal: Viewer,
    db: DbSession,
    engine: AppEngine,
    settings: Settings,
    election_id: Annotated[str | None, Query(description="only this election's events")] = None,
    kind: Annotated[list[EventKind] | None, Query(description="only these kinds")] = None,
    last_event_id: Annotated[
        int | None, Query(ge=0, le=2**62, description="like the Last-Event-ID header")
    ] = None,
    duration: Annotated[
        float | None, Query(gt=0, le=3600, description="close after this many seconds")
    ] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    after = _parse_last_id(last_event_id_header, last_event_id)
    # The login check is done: give its connection back rather than hold it for the stream.
    await run_in_threadpool(db.close)
    reader = await run_in_threadpool(
        StreamReader, engine, after_id=after, gap_wait=settings.events_gap_wait_seconds
    )
    kinds = {k.value for k in kind} if kind else None
    seconds = duration or settings.events_stream_seconds

    async def messages() -> AsyncIterator[str]:
        yield f"retry: {RETRY_MS}\n\n"
        if reader.reset:
            yield format_event(
                reader.cursor, "stream.reset", {"reason": "older events were pruned; reload"}
            )
        deadline = time.monotonic() + seconds
        beat = time.monotonic()
        while time.monotonic() < deadline:
            if await request.is_disconnected():
                return
            rows = await run_in_threadpool(reader.poll)
            for row in rows:
                if kinds is not None and row.kind not in kinds:
                    continue
                if election_id is not None and row.election_id != election_id:
                    continue
                yield format_event(row.id, row.kind, row.data)
                beat = time.monotonic()
            if not rows:
                if time.monotonic() - beat >= HEARTBEAT_SECONDS:
                    yield ": keep-alive\n\n"
                    beat = time.monotonic()
                remaining = deadline - time.monotonic()
                await asyncio.sleep(max(0.0, min(settings.events_poll_seconds, remaining)))

    return StreamingResponse(
        messages(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
