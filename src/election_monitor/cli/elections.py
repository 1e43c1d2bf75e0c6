"""``elmon elections``: create and list elections."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError

from election_monitor.cli.output import (
    JsonOpt,
    LimitOpt,
    fail,
    print_json,
    print_table,
    validation_message,
)
from election_monitor.crud import ElectionCRUD
from election_monitor.db import session_scope
from election_monitor.enums import ElectionStatus
from election_monitor.schemas import ElectionCreate, ElectionResponse
from election_monitor.timeutil import parse_datetime, utcnow

app = typer.Typer(
    help="Elections: a voting event with its dates and time zone.", no_args_is_help=True
)


def status_for(start: datetime, end: datetime, now: datetime) -> str:
    """Upcoming before the start, completed after the end, active in between."""
    if now < start:
        return ElectionStatus.UPCOMING.value
    if now > end:
        return ElectionStatus.COMPLETED.value
    return ElectionStatus.ACTIVE.value


@app.command()
def create(
    name: Annotated[str, typer.Option("--name", help="Election name.")],
    start: Annotated[str, typer.Option("--start", help="Start, ISO-8601 (naive means UTC).")],
    end: Annotated[str, typer.Option("--end", help="End, ISO-8601 (naive means UTC).")],
    timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone.")] = "UTC",
    json: JsonOpt = False,
) -> None:
    """Create an election; prints its id."""
    try:
        start_dt, end_dt = parse_datetime(start), parse_datetime(end)
    except ValueError as exc:
        raise fail(f"dates must be ISO-8601: {exc}") from exc
    try:
        data = ElectionCreate(
            name=name,
            start_date=start_dt,
            end_date=end_dt,
            status=status_for(start_dt, end_dt, utcnow()),
            timezone=timezone,
        )
    except ValidationError as exc:
        raise fail(validation_message(exc)) from exc
    with session_scope() as db:
        election = ElectionCRUD(db).create(data)
        response = ElectionResponse.model_validate(election)
    if json:
        print_json(response)
    else:
        typer.echo(response.id)


@app.command("list")
def list_(
    limit: LimitOpt = None,
    json: JsonOpt = False,
) -> None:
    """List elections, oldest first."""
    with session_scope() as db:
        rows = [ElectionResponse.model_validate(e) for e in ElectionCRUD(db).all(limit=limit)]
    if json:
        print_json(rows)
        return
    print_table(
        "Elections",
        ["id", "name", "start", "end", "timezone", "status", "constituencies"],
        [
            (e.id, e.name, e.start_date, e.end_date, e.timezone, e.status, e.total_constituencies)
            for e in rows
        ],
    )
