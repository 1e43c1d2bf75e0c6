"""``elmon demo``: simulate, load, detect, brief, write the report, then serve the dashboard."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from election_monitor.cli.output import console, err_console
from election_monitor.db import session_scope
from election_monitor.db.session import get_engine
from election_monitor.demo import DEMO_CONFIG, ensure_demo_login, run_demo
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.reports.briefing import Briefing
from election_monitor.reports.service import write_report


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder for the demo's files (database: --database-url).")
    ] = Path("demo"),
    serve_after: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve",
            help="Serve the dashboard afterwards (--no-serve stops after the briefing).",
        ),
    ] = True,
    constituencies: Annotated[
        int, typer.Option("--constituencies", help="Size of the simulated election.")
    ] = DEMO_CONFIG.constituencies,
    scale: Annotated[
        float, typer.Option("--scale", help="Multiplier of registered voters (smaller is faster).")
    ] = DEMO_CONFIG.scale,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    notify: Annotated[
        bool,
        typer.Option("--notify", help="Send the alerts to a webhook receiver it starts locally."),
    ] = False,
) -> None:
    """Try the system on a simulated election with injected anomalies (safe to re-run)."""
    engine = get_engine()
    if engine.dialect.name == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=err_console,
        disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("loading", total=None)

        def progress(path: Path, rows: int) -> None:
            bar.update(task, description=f"loading {path.name[:24]}", completed=rows)

        config = replace(DEMO_CONFIG, constituencies=constituencies, scale=scale)
        result = run_demo(
            engine, directory, config=config, progress=progress, say=err_console.print
        )
    totals = result.ingest.as_dict()
    console.print(
        f"loaded {totals['transactions_inserted']:,} transactions and "
        f"{totals['events_inserted']:,} contract events from {totals['files']} files "
        f"({totals['skipped_files']} already loaded)"
    )
    print_briefing(result.briefing)
    _write_reports(result.election_id, directory)
    if notify:
        from election_monitor.notify.demo import run_notify_demo

        console.print(run_notify_demo(engine, keep_receiver=serve_after).describe())
    url = engine.url.render_as_string(hide_password=True)
    console.print(
        f"Explore this data: export ELMON_DATABASE_URL={url}; then `elmon alerts list`, "
        "`elmon alerts show ID`, `elmon constituencies list`."
    )
    if not serve_after:
        return
    from election_monitor.cli.serve import serve

    username, password = ensure_demo_login()
    console.print(
        Panel(
            f"Dashboard: http://{host}:{port}/\nSign in as [bold]{username}[/] with password "
            f"[bold]{password}[/] (role lead; a new password on every run).\n"
            "Stop the server with Ctrl+C.",
            title="Open the dashboard",
        )
    )
    serve(host=host, port=port)


def _write_reports(election_id: str, directory: Path) -> None:
    """The demo election's report, as HTML and PDF (with their manifests)."""
    try:
        with session_scope() as db:
            for suffix in ("html", "pdf"):
                written = write_report(
                    db, election_id=election_id, output=directory / f"report.{suffix}"
                )
                console.print(f"Report: {written.path} (manifest {written.manifest_path.name})")
    except ElectionMonitorError as exc:  # e.g. a missing font: the rest of the demo stands
        err_console.print(f"[yellow]report not written:[/] {exc}")


def print_briefing(brief: Briefing) -> None:
    """The briefing as a person reads it on a terminal."""
    status = ", ".join(f"{count} {name}" for name, count in sorted(brief.by_status.items()))
    if brief.awaiting_data:
        status += f" ({brief.awaiting_data} awaiting data)"
    open_alerts = ", ".join(
        f"{brief.open_alerts_by_severity.get(s, 0)} {s}" for s in ("critical", "warning", "info")
    )
    lines = [
        f"[bold]{'; '.join(brief.elections) or 'No election'}[/]",
        f"Constituencies: {brief.constituencies} ({status or 'none'})",
        f"Registered voters: {brief.registered:,}   bulletins issued: {brief.bulletins:,}   "
        f"votes cast: {brief.votes:,}   participation: {brief.participation:.2f}%",
        f"Data up to: {brief.last_data_time:%Y-%m-%d %H:%M} UTC" if brief.last_data_time else "",
        f"Open alerts: {open_alerts}",
    ]
    console.print(Panel("\n".join(line for line in lines if line), title="Briefing"))
    if brief.urgent:
        console.print("[bold]Most urgent alerts[/]")
        for alert in brief.urgent:
            console.print(
                f"[bold]{alert.severity}[/] {alert.type} — {alert.constituency_name}\n"
                f"    {alert.title}\n    elmon alerts show {alert.id}",
                soft_wrap=True,
            )
