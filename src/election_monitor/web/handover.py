"""The shift hand-over page: what happened since a chosen time, printable. Its JSON twin is
``GET /api/v1/elections/{id}/handover``; both call ``dashboard.handover.build_handover``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from election_monitor.api.deps import DbSession
from election_monitor.dashboard import lists
from election_monitor.dashboard.handover import build_handover
from election_monitor.dashboard.lists import Window
from election_monitor.exceptions import InvalidInputError
from election_monitor.timeutil import utcnow
from election_monitor.web.access import WebUser
from election_monitor.web.rendering import render

router = APIRouter(include_in_schema=False)


#: The hand-over looks back one shift by default.
SHIFT = timedelta(hours=8)


def _local_input(value: datetime, zone: str) -> str:
    """A time as a ``datetime-local`` field shows it, in the election's zone."""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _parse_local(text: str, zone: str, field: str, errors: dict[str, str]) -> datetime | None:
    """A ``datetime-local`` value read in the election's zone; a bad one is noted for its field."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        errors[field] = "enter a date and time like 2026-09-19T08:00"
        return None
    return value.replace(tzinfo=ZoneInfo(zone)) if value.tzinfo is None else value


@router.get("/handover", response_class=HTMLResponse)
def handover_page(
    request: Request,
    principal: WebUser,
    db: DbSession,
    election_id: str | None = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    elections, _ = lists.elections(db, Window(0, 100))
    context: dict[str, object] = {"elections": elections, "election": None, "handover": None}
    if not elections:
        return render(request, "handover.html", context)
    chosen = next((e for e in elections if e.id == election_id), elections[0])
    zone = chosen.timezone or "UTC"
    errors: dict[str, str] = {}
    end = _parse_local(until, zone, "until", errors) if until else utcnow()
    start = _parse_local(since, zone, "since", errors) if since else (end or utcnow()) - SHIFT
    context.update(election=chosen, zone=zone, errors=errors)
    context["since"] = since or (_local_input(start, zone) if start else "")
    context["until"] = until or (_local_input(end, zone) if end else "")
    if start is not None and end is not None and not errors:
        try:
            context["handover"] = build_handover(db, election_id=chosen.id, since=start, until=end)
        except InvalidInputError as exc:
            errors["until"] = str(exc)
    code = 422 if errors else 200
    return render(request, "handover.html", context, status_code=code)
