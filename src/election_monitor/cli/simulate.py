"""``elmon simulate``: write a synthetic election (files + truth.json) for demos and scoring.

A thin shell over :func:`election_monitor.simulate.simulate`: options map one to one onto
``SimulationConfig``; a Rich progress bar runs when stderr is a terminal; ``--json`` prints
the summary as JSON on stdout and nothing else.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from election_monitor.cli.output import console, err_console, fail, print_json, print_table
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.simulate import (
    KINDS,
    Chunking,
    OutputFormat,
    SimulationConfig,
    SimulationSummary,
)
from election_monitor.simulate import simulate as run_simulation

_ANOMALY_HELP = (
    "Injected anomalies: all, none, or NAME[:COUNT[:MAGNITUDE]],... with NAME one of "
    + ", ".join(k.alias for k in KINDS)
    + " (or the alert type). Example: spike:3,night:2,offline:1:6. See docs/simulation.md."
)


def simulate(
    outdir: Annotated[Path, typer.Argument(help="Folder to write into (created if missing).")],
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes.")] = 1,
    constituencies: Annotated[int, typer.Option(help="Number of constituencies.")] = 12,
    regions: Annotated[int, typer.Option(help="Number of regions (time zones), 1-10.")] = 5,
    anomalies: Annotated[str, typer.Option(help=_ANOMALY_HELP)] = "all",
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="File format to write.")
    ] = OutputFormat.DEG_EXPORT,
    chunks: Annotated[
        Chunking, typer.Option(help="deg-export only: one zip per contract, or hourly chunks.")
    ] = Chunking.SINGLE,
    scale: Annotated[float, typer.Option(help="Multiplies registered voters (0.01 = tiny).")] = 1.0,
    voters_max: Annotated[
        int | None, typer.Option(help="Cap on registered voters per constituency.")
    ] = None,
    start: Annotated[
        str, typer.Option(help="Opening, local wall clock (ISO date or date-time).")
    ] = "2026-09-18T08:00",
    hours: Annotated[int, typer.Option(help="Length of the voting window in hours.")] = 60,
    workers: Annotated[int, typer.Option(help="Processes; 0 = automatic.")] = 0,
    force: Annotated[bool, typer.Option(help="Replace an existing OUTDIR/data.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Write a realistic synthetic election with injected anomalies and a truth.json."""
    config = SimulationConfig(
        seed=seed,
        constituencies=constituencies,
        regions=regions,
        anomalies=anomalies,
        output_format=output_format,
        chunks=chunks,
        scale=scale,
        voters_max=voters_max,
        start=start,
        hours=hours,
        workers=workers,
    )
    try:
        if json_output or not sys.stderr.isatty():
            summary = run_simulation(outdir, config, overwrite=force)
        else:
            with Progress(
                TextColumn("simulating"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.completed:,} tx"),
                TimeRemainingColumn(),
                console=err_console,
                transient=True,
            ) as bar:
                task = bar.add_task("simulate", total=None)
                summary = run_simulation(
                    outdir,
                    config,
                    overwrite=force,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
    except ElectionMonitorError as error:
        raise fail(error) from error
    if json_output:
        print_json(summary_json(summary))
        return
    _print_summary(summary)


def summary_json(summary: SimulationSummary) -> dict[str, Any]:
    """The ``--json`` document: paths, totals and the anomalies injected."""
    truth = summary.truth
    return {
        "outdir": str(summary.outdir),
        "data_dir": str(summary.data_dir),
        "registry": str(summary.registry),
        "election": str(summary.election),
        "truth": str(summary.truth_path),
        "files": len(summary.files),
        "format": truth["format"],
        "constituencies": len(truth["constituencies"]),
        "transactions": summary.transactions,
        "lines": summary.lines,
        "seconds": round(summary.seconds, 3),
        "transactions_per_second": round(summary.transactions_per_second),
        "totals": truth["totals"],
        "anomalies": [
            {k: a[k] for k in ("id", "type", "constituency_id", "start", "end", "magnitude")}
            for a in truth["anomalies"]
        ],
    }


def _print_summary(summary: SimulationSummary) -> None:
    truth = summary.truth
    totals = truth["totals"]
    console.print(
        f"[bold]{len(truth['constituencies'])}[/] constituencies, [bold]{len(summary.files)}[/] "
        f"{truth['format']} files in {summary.data_dir}"
    )
    console.print(
        f"{summary.transactions:,} transactions ({totals['bulletins_issued']:,} bulletins, "
        f"{totals['votes_cast']:,} voters) in {summary.seconds:.1f} s "
        f"({summary.transactions_per_second:,.0f} tx/s)"
    )
    console.print(
        f"registry: {summary.registry}  election: {summary.election}  truth: {summary.truth_path}"
    )
    if truth["anomalies"]:
        print_table(
            "Injected anomalies",
            ["id", "type", "constituency", "start (UTC)", "end (UTC)", "magnitude"],
            [
                (
                    a["id"],
                    a["type"],
                    a["constituency_id"][:12],
                    a["start"],
                    a["end"],
                    a["magnitude"],
                )
                for a in truth["anomalies"]
            ],
        )
    else:
        console.print("no anomalies injected")
