"""``elmon detect``: run every detector now and reconcile the alerts (same result as the
incremental runs after each ingested batch)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from election_monitor.cli.output import JsonOpt, console, fail, print_json, print_table
from election_monitor.db.session import get_engine
from election_monitor.detection import detect as run_detect
from election_monitor.exceptions import ElectionMonitorError


def detect(
    election_id: Annotated[
        str | None, typer.Option("--election-id", help="Only this election (default: all).")
    ] = None,
    settings: Annotated[
        Path | None,
        typer.Option(
            "--settings",
            exists=True,
            dir_okay=False,
            help="Detector thresholds (TOML); default $ELMON_DETECTION_SETTINGS, else built-in.",
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Run all detection rules over the stored data and update alerts and anomaly scores."""
    try:
        with get_engine().begin() as conn:
            reports = run_detect(conn, election_id=election_id, settings_path=settings)
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json([r.as_dict() for r in reports])
        return
    for r in reports:
        print_table(
            f"Detection — election {r.election_id}",
            ["rule", "signals"],
            [(rule, n) for rule, n in r.by_rule.items()],
        )
        changes = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in r.reconciled.items() if n)
        console.print(
            f"{r.signals} signals over {r.closed_hours} complete hours (data up to {r.data_time}); "
            f"alerts: {changes or 'no changes'}; {r.scored} constituencies scored; "
            f"{r.seconds:.2f} s."
        )
