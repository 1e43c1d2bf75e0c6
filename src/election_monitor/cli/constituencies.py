"""``elmon constituencies``: import the registry, list constituencies with their totals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from election_monitor.cli.output import JsonOpt, LimitOpt, fail, print_json, print_table
from election_monitor.crud import ConstituencyCRUD
from election_monitor.db import session_scope
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.ingest.registry import import_registry
from election_monitor.schemas import ConstituencyResponse

app = typer.Typer(
    help="Constituencies: one voting contract each, with registry metadata and live totals.",
    no_args_is_help=True,
)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Registry CSV.")],
    election_id: Annotated[str, typer.Option("--election-id", help="Election they belong to.")],
    json: JsonOpt = False,
) -> None:
    """Import `id;name;region;type;registered_voters[;timezone]` rows."""
    try:
        with session_scope() as db:
            result = import_registry(db, file, election_id=election_id)
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json(
            {"created": result.created, "updated": result.updated, "rejected": result.rejected}
        )
    else:
        typer.echo(
            f"created {result.created}, updated {result.updated}, rejected {len(result.rejected)}"
        )
        for reason in result.rejected:
            typer.echo(f"  rejected {reason}", err=True)
    if result.rejected:
        raise typer.Exit(1)


@app.command("list")
def list_(
    election_id: Annotated[str | None, typer.Option("--election-id")] = None,
    region: Annotated[str | None, typer.Option("--region")] = None,
    status: Annotated[str | None, typer.Option("--status")] = None,
    type_: Annotated[str | None, typer.Option("--type")] = None,
    limit: LimitOpt = None,
    json: JsonOpt = False,
) -> None:
    """List constituencies with bulletins, votes and participation."""
    with session_scope() as db:
        rows = ConstituencyCRUD(db).filtered(
            election_id=election_id, region=region, status=status, type=type_, limit=limit
        )
        items = [ConstituencyResponse.model_validate(c) for c in rows]
    if json:
        print_json(items)
        return
    print_table(
        "Constituencies",
        ["id", "name", "region", "type", "registered", "bulletins", "votes", "turnout %", "status"],
        [
            (
                c.id[:16] + ("…" if len(c.id) > 16 else ""),
                c.name,
                c.region,
                c.type + (" (inferred)" if c.inferred else ""),
                c.registered_voters or c.voters_listed,
                c.bulletins_issued,
                c.votes_cast,
                f"{c.participation_rate:.2f}",
                c.status,
            )
            for c in items
        ],
    )
    inferred = sum(1 for c in items if c.inferred)
    if inferred:
        typer.echo(
            f"{inferred} constituencies were created from chain data without registry metadata "
            "(region, type, registered voters): supply them with "
            "`elmon constituencies import FILE --election-id ID`.",
            err=True,
        )
