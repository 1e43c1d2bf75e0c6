"""``elmon export TABLE``: constituencies, hourly stats, alerts or transactions as CSV or
Parquet (see docs/exports.md); ``all`` writes the four into a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from election_monitor.cli.output import JsonOpt, console, fail, print_json
from election_monitor.db.session import get_engine
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.export import TABLES, ExportResult, export_table


def export(
    table: Annotated[
        str, typer.Argument(help=f"{', '.join(TABLES)} or all (then --output is a folder).")
    ],
    election_id: Annotated[str, typer.Option("--election-id", help="The election.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File (or folder for all).")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="csv or parquet [default: from the suffix; all: csv]."),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Export one table of an election, streamed at flat memory."""
    engine = get_engine()
    results: list[ExportResult] = []
    try:
        if table == "all":
            if not output.is_dir():
                raise fail(f"--output {output} must be an existing folder for 'all'")
            chosen = fmt or "csv"
            for name in TABLES:
                results.append(
                    export_table(
                        engine,
                        table=name,
                        election_id=election_id,
                        output=output / f"{name}.{chosen}",
                        fmt=chosen,
                    )
                )
        else:
            results.append(
                export_table(engine, table=table, election_id=election_id, output=output, fmt=fmt)
            )
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json([vars(r) for r in results])
        return
    for r in results:
        console.print(f"{r.table}: {r.rows:,} rows -> {r.path} ({r.format})")
