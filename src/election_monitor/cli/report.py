"""``elmon report``: the election report (HTML, PDF), ``report verify`` and ``report shift``.

Exit codes: 0 done (or *reproduced*), 1 bad input or a report that cannot be written,
3 ``verify`` found files or figures that differ.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from election_monitor.cli.output import JsonOpt, console, fail, print_json
from election_monitor.db import session_scope
from election_monitor.detection.settings import load_settings_file
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.reports.content import ReportFilters
from election_monitor.reports.service import write_report
from election_monitor.reports.shift import write_shift_report
from election_monitor.reports.verify import Verification, verify_report
from election_monitor.timeutil import parse_datetime

app = typer.Typer(
    help="Reports for official submission: write, verify, hand over a shift.",
    invoke_without_command=True,
)

LangOpt = Annotated[str, typer.Option("--lang", help="en or ru.")]
NOT_REPRODUCED = 3


def _time(value: str, label: str) -> datetime:
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise fail(f"{label} must be ISO-8601, got {value!r}") from exc


@app.callback()
def report(
    ctx: typer.Context,
    election_id: Annotated[
        str | None, typer.Option("--election-id", help="The election to report on.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="report.html or report.pdf.")
    ] = None,
    lang: LangOpt = "en",
    region: Annotated[str | None, typer.Option("--region", help="Only this region.")] = None,
    constituency: Annotated[
        str | None, typer.Option("--constituency", help="Only this constituency id.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="ISO time, inclusive (curve, alerts).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="ISO time, exclusive (curve, alerts).")
    ] = None,
    min_severity: Annotated[
        str | None, typer.Option("--min-severity", help="info, warning or critical.")
    ] = None,
    settings: Annotated[
        Path | None, typer.Option("--settings", help="Detection settings TOML in effect.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Write the election report (the format follows the suffix: .html or .pdf) and its
    manifest beside it (REPORT.manifest.json)."""
    if ctx.invoked_subcommand is not None:
        return
    if election_id is None or output is None:
        raise fail("give --election-id ID and --output PATH (.html or .pdf)")
    try:
        filters = ReportFilters(
            region=region,
            constituency=constituency,
            since=_time(since, "--since") if since else None,
            until=_time(until, "--until") if until else None,
            min_severity=min_severity,
        )
        with session_scope() as db:
            written = write_report(
                db,
                election_id=election_id,
                output=output,
                lang=lang,
                filters=filters,
                settings_file=load_settings_file(settings),
            )
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json(written.as_dict())
        return
    if not written.has_data:
        console.print("[yellow]no data in this scope: the report says so on its first page[/]")
    console.print(f"report: {written.path} (sha256 {written.sha256})")
    console.print(f"manifest: {written.manifest_path} (figures {written.figures_sha256})")


def _print_verification(result: Verification) -> None:
    if result.report_sha256_ok is False:
        console.print(f"[red]the report file differs from its manifest's hash:[/] {result.report}")
    for p in result.file_problems:
        where = f" ({p.path})" if p.path else ""
        console.print(
            f"[red]input file {p.name}{where}: {p.problem}[/]"
            + (f" — expected {p.expected}, found {p.found}" if p.found else "")
        )
    for d in result.differences[:50]:
        console.print(f"figure {d.figure}: stated {d.stated}, recomputed {d.recomputed}")
    if len(result.differences) > 50:
        console.print(f"... and {len(result.differences) - 50} more figures differ")
    if result.reproduced:
        console.print(
            f"[green]reproduced[/]: {result.files_checked} files, figures "
            f"{result.figures_sha256_recomputed}"
        )
    else:
        console.print("[red]not reproduced[/]")


@app.command()
def verify(
    report_path: Annotated[
        Path, typer.Argument(help="The report (.html, .pdf) or its .manifest.json.")
    ],
    data: Annotated[Path, typer.Option("--data", help="Folder holding the input files.")],
    json: JsonOpt = False,
) -> None:
    """Re-ingest the report's input files into a fresh database and recompute its figures."""
    try:
        result = verify_report(report_path, data_dir=data)
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json(result.as_dict())
    else:
        _print_verification(result)
    if not result.reproduced:
        raise typer.Exit(NOT_REPRODUCED)


@app.command()
def shift(
    election_id: Annotated[str, typer.Option("--election-id", help="The election.")],
    since: Annotated[str, typer.Option("--since", help="Start of the shift (ISO).")],
    until: Annotated[str, typer.Option("--until", help="End of the shift (ISO).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="shift.html or shift.pdf.")],
    lang: LangOpt = "en",
    json: JsonOpt = False,
) -> None:
    """The shift hand-over (new, escalated, resolved alerts, snoozes expiring, offline
    constituencies, who did what) as a one-page HTML or PDF."""
    start, end = _time(since, "--since"), _time(until, "--until")
    try:
        with session_scope() as db:
            handover = write_shift_report(
                db,
                election_id=election_id,
                since=start,
                until=end,
                output=output,
                lang=lang,
            )
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json(handover)
        return
    console.print(
        f"shift report: {output} ({len(handover.new_alerts)} new, {len(handover.escalated)} "
        f"escalated, {len(handover.resolved)} resolved, {len(handover.actions)} actions)"
    )
