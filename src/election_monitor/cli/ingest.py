"""``elmon ingest``, ``elmon watch`` and ``elmon jobs``: load files and follow their jobs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from election_monitor.cli.output import (
    JsonOpt,
    LimitOpt,
    console,
    err_console,
    fail,
    print_json,
    print_table,
)
from election_monitor.config import get_settings
from election_monitor.crud import FileProcessingJobCRUD
from election_monitor.db import session_scope
from election_monitor.db.session import get_engine
from election_monitor.db.writerlock import writer_lock
from election_monitor.detection.service import DetectionHook
from election_monitor.events import EventsHook
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.ingest.readers import FORMATS
from election_monitor.ingest.service import BatchHook, IngestSummary, ingest_paths
from election_monitor.ingest.watcher import settled_batches
from election_monitor.models import RejectedRow
from election_monitor.schemas import FileProcessingJobResponse

jobs_app = typer.Typer(
    help="File processing jobs and the rows they rejected.", no_args_is_help=True
)

ElectionOpt = Annotated[
    str | None,
    typer.Option("--election-id", help="Election for constituencies first seen in the data."),
]
SettingsOpt = Annotated[
    Path | None,
    typer.Option("--settings", help="Detection thresholds (TOML); defaults apply without it."),
]
NoWaitOpt = Annotated[
    bool,
    typer.Option(
        "--no-wait", help="Fail at once if another elmon process is writing to the database."
    ),
]
FormatOpt = Annotated[
    str, typer.Option("--format", help=f"auto or one of: {', '.join(sorted(FORMATS))}.")
]


def run_ingest(
    paths: list[Path],
    *,
    election_id: str | None,
    fmt: str,
    reprocess: bool,
    show_progress: bool,
    detection_settings: Path | None = None,
    wait: bool = True,
) -> IngestSummary:
    """Ingest with a progress line per file when a person is watching; detection runs on
    every batch (incrementally, for what the batch touched). One direct ingest writes to a
    database at a time: a second one waits with a message (or, ``wait=False``, fails)."""
    if fmt != "auto" and fmt not in FORMATS:
        raise fail(f"unknown format {fmt!r}; use auto or one of {sorted(FORMATS)}")
    engine = get_engine()
    with writer_lock(engine, wait=wait, on_wait=err_console.print):
        return _run_ingest(
            paths,
            election_id=election_id,
            fmt=fmt,
            reprocess=reprocess,
            show_progress=show_progress,
            detection_settings=detection_settings,
        )


def _run_ingest(
    paths: list[Path],
    *,
    election_id: str | None,
    fmt: str,
    reprocess: bool,
    show_progress: bool,
    detection_settings: Path | None,
) -> IngestSummary:
    engine = get_engine()
    settings = get_settings()
    batch_size = settings.ingest_batch_size
    commit_rows = settings.ingest_commit_rows
    # Detection first, so the events hook announces the alerts and totals it changed.
    hooks: list[BatchHook] = [DetectionHook(settings_path=detection_settings), EventsHook()]
    if not show_progress:
        return ingest_paths(
            engine,
            paths,
            election_id=election_id,
            fmt=fmt,
            reprocess=reprocess,
            batch_size=batch_size,
            commit_rows=commit_rows,
            hooks=hooks,
        )
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        tasks: dict[Path, TaskID] = {}

        def progress(path: Path, rows: int) -> None:
            if path not in tasks:
                tasks[path] = bar.add_task(path.name, total=None)
            bar.update(tasks[path], completed=rows)

        return ingest_paths(
            engine,
            paths,
            election_id=election_id,
            fmt=fmt,
            reprocess=reprocess,
            progress=progress,
            batch_size=batch_size,
            commit_rows=commit_rows,
            hooks=hooks,
        )


def print_summary(summary: IngestSummary) -> None:
    totals = summary.as_dict()
    print_table(
        "Ingest",
        ["file", "status", "format", "read", "inserted", "duplicates", "rejected", "note"],
        [
            (
                Path(f.path).name,
                f.status,
                f.format,
                f.rows_read,
                f.inserted,
                f.duplicates,
                f.rejected,
                ("failed (see below)" if f.error else "")
                or ("publisher rewrote this file" if f.rewritten_from else "")
                or (f"resumed after row {f.resumed_after}" if f.resumed_after else "")
                or ("identical file already ingested" if f.status == "skipped" else ""),
            )
            for f in summary.files
        ],
    )
    for failed in summary.failed:
        err_console.print(f"[bold red]failed:[/] {failed.path}: {failed.error}")
    console.print(
        f"{totals['files']} files: {totals['transactions_inserted']:,} transactions and "
        f"{totals['events_inserted']:,} contract events inserted, {totals['duplicates']:,} "
        f"duplicates, {totals['rejected_rows']:,} rejected rows "
        f"(list them with `elmon jobs show JOB_ID`)."
    )


def ingest(
    paths: Annotated[list[Path], typer.Argument(exists=True, help="Files or folders (recursive).")],
    election_id: ElectionOpt = None,
    fmt: FormatOpt = "auto",
    reprocess: Annotated[
        bool,
        typer.Option("--reprocess", help="Re-read files already ingested with the same bytes."),
    ] = False,
    settings: SettingsOpt = None,
    no_wait: NoWaitOpt = False,
    json: JsonOpt = False,
) -> None:
    """Load transaction files into the database (idempotent: re-running adds nothing)."""
    try:
        summary = run_ingest(
            paths,
            election_id=election_id,
            fmt=fmt,
            reprocess=reprocess,
            show_progress=not json and sys.stderr.isatty(),
            detection_settings=settings,
            wait=not no_wait,
        )
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json(summary.as_dict())
    else:
        print_summary(summary)
    if summary.failed:
        raise typer.Exit(1)


def watch_dir(
    directory: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="Folder to watch.")
    ],
    election_id: ElectionOpt = None,
    fmt: FormatOpt = "auto",
    settle: Annotated[
        float, typer.Option("--settle", help="Seconds a file must stay unchanged before loading.")
    ] = 2.0,
    settings: SettingsOpt = None,
) -> None:
    """Keep running: ingest each new or changed file once it has stopped growing."""
    console.print(f"watching {directory} (Ctrl-C to stop)")
    for ready in settled_batches(directory, settle_seconds=settle):
        try:
            summary = run_ingest(
                ready,
                election_id=election_id,
                fmt=fmt,
                reprocess=False,
                show_progress=False,
                detection_settings=settings,
            )
        except ElectionMonitorError as exc:
            err_console.print(f"[bold red]error:[/] {exc}")
            continue
        print_summary(summary)


@jobs_app.command("list")
def jobs_list(
    status: Annotated[str | None, typer.Option("--status")] = None,
    limit: LimitOpt = None,
    json: JsonOpt = False,
) -> None:
    """List file jobs, oldest first."""
    with session_scope() as db:
        crud = FileProcessingJobCRUD(db)
        jobs = crud.get_by_status(status=status) if status else crud.all(limit=limit)
        rows = [FileProcessingJobResponse.model_validate(j) for j in jobs[: limit or None]]
    if json:
        print_json(rows)
        return
    print_table(
        "File jobs",
        ["id", "file", "status", "rows", "started", "completed"],
        [
            (j.id, j.filename, j.status, j.transactions_processed, j.started_at, j.completed_at)
            for j in rows
        ],
    )


@jobs_app.command("show")
def jobs_show(
    job_id: Annotated[str, typer.Argument(help="Job id.")],
    json: JsonOpt = False,
) -> None:
    """A job's summary and every row it rejected, with file, line and reason."""
    with session_scope() as db:
        job = FileProcessingJobCRUD(db).get(job_id)
        if job is None:
            raise fail(f"FileProcessingJob {job_id!r} not found")
        response = FileProcessingJobResponse.model_validate(job)
        rejected = (
            db.execute(
                select(RejectedRow).where(RejectedRow.job_id == job_id).order_by(RejectedRow.id)
            )
            .scalars()
            .all()
        )
        rejected_rows = [
            {"source": r.source, "line": r.line, "kind": r.kind, "reason": r.reason, "text": r.text}
            for r in rejected
        ]
    if json:
        print_json({"job": response, "rejected_rows": rejected_rows})
        return
    console.print(response.model_dump_json(indent=2, exclude={"details"}))
    if response.details:
        console.print_json(orjson.dumps(orjson.loads(response.details)).decode())
    print_table(
        "Rejected rows",
        ["source", "line", "kind", "reason"],
        [(r["source"], r["line"], r["kind"], r["reason"]) for r in rejected_rows],
    )
