"""``elmon queue`` and ``elmon worker``: a durable file queue and the processes that drain it."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from election_monitor.cli.ingest import ElectionOpt, FormatOpt, SettingsOpt
from election_monitor.cli.output import JsonOpt, console, err_console, fail, print_json, print_table
from election_monitor.config import get_settings
from election_monitor.db.session import get_engine
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.ingest.queue import add_paths, queue_status, retry_failed
from election_monitor.ingest.readers import FORMATS
from election_monitor.ingest.workers import WorkerOptions, default_worker_id, run_worker

app = typer.Typer(help="The file queue that `elmon worker` processes drain.", no_args_is_help=True)


@app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(exists=True, help="Files or folders (recursive).")],
    election_id: ElectionOpt = None,
    fmt: FormatOpt = "auto",
    json: JsonOpt = False,
) -> None:
    """Queue files for the workers (one batch; detection runs once the batch is loaded)."""
    if fmt != "auto" and fmt not in FORMATS:
        raise fail(f"unknown format {fmt!r}; use auto or one of {sorted(FORMATS)}")
    try:
        result = add_paths(get_engine(), paths, election_id=election_id, fmt=fmt)
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json(vars(result))
        return
    console.print(
        f"queued {result.added:,} files as batch {result.batch_id}"
        + (f" ({result.already_queued:,} already waiting)" if result.already_queued else "")
    )


@app.command("status")
def status(json: JsonOpt = False) -> None:
    """Files per state, the leases held now, failed files and the detection backlog."""
    report = queue_status(get_engine())
    if json:
        print_json(report.as_dict())
        return
    print_table("Queue", ["state", "files"], sorted(report.states.items()))
    if report.leases:
        print_table(
            "Leases",
            ["id", "file", "owner", "expires", "attempts"],
            [
                (
                    lease["id"],
                    Path(lease["path"]).name,
                    lease["owner"],
                    lease["lease_expires_at"] + (" (expired)" if lease["expired"] else ""),
                    lease["attempts"],
                )
                for lease in report.leases
            ],
        )
    for failed in report.failed:
        err_console.print(
            f"[bold red]failed:[/] #{failed['id']} {failed['path']}: {failed['error']}"
        )
    console.print(f"detection backlog: {report.detection_backlog:,} constituency-hours")


@app.command("retry")
def retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Entry ids (default: every failed).")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Put failed files back in the queue (their jobs resume after the rows they settled)."""
    count = retry_failed(get_engine(), ids=ids or ())
    if json:
        print_json({"requeued": count})
        return
    console.print(f"requeued {count:,} failed files")


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Drain what is claimable now, then exit.")
    ] = False,
    lease_seconds: Annotated[
        float,
        typer.Option("--lease-seconds", min=1.0, help="Lease on a file, renewed by a heartbeat."),
    ] = 60.0,
    poll_seconds: Annotated[
        float,
        typer.Option("--poll-seconds", min=0.05, help="Wait between polls of an empty queue."),
    ] = 2.0,
    worker_id: Annotated[
        str | None, typer.Option("--worker-id", help="Name in leases [default: host:pid].")
    ] = None,
    settings: SettingsOpt = None,
    json: JsonOpt = False,
) -> None:
    """Load queued files; run any number of these against one PostgreSQL database."""
    config = get_settings()
    options = WorkerOptions(
        worker_id=worker_id or default_worker_id(),
        lease_seconds=lease_seconds,
        poll_seconds=poll_seconds,
        once=once,
        batch_size=config.ingest_batch_size,
        commit_rows=config.ingest_commit_rows,
        detection_settings=settings,
    )
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()  # finish the file in hand; its lease is released by completing it

    previous = signal.signal(signal.SIGTERM, _stop)

    def on_file(outcome: dict[str, Any]) -> None:
        if not json:
            note = outcome.get("error") or f"{outcome.get('inserted', 0):,} rows inserted"
            console.print(f"{outcome['state']}: {Path(outcome['path']).name}: {note}")

    if not json:
        err_console.print(f"worker {options.worker_id} started (Ctrl-C or SIGTERM to stop)")
    try:
        report = run_worker(
            get_engine(), options, stop=stop, on_wait=err_console.print, on_file=on_file
        )
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    if json:
        print_json(report.as_dict())
    else:
        console.print(
            f"worker {options.worker_id}: {len(report.files)} files, "
            f"{report.detection_runs} detection passes"
        )
