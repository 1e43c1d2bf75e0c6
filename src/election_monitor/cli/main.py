"""Root of the ``elmon`` command: global options and the command groups."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from election_monitor import __version__
from election_monitor.cli import alerts as alerts_cli
from election_monitor.cli import constituencies as constituencies_cli
from election_monitor.cli import db as db_cli
from election_monitor.cli import demo as demo_cli
from election_monitor.cli import detect as detect_cli
from election_monitor.cli import elections as elections_cli
from election_monitor.cli import export as export_cli
from election_monitor.cli import ingest as ingest_cli
from election_monitor.cli import notify as notify_cli
from election_monitor.cli import queue as queue_cli
from election_monitor.cli import report as report_cli
from election_monitor.cli import serve as serve_cli
from election_monitor.cli import simulate as simulate_cli
from election_monitor.cli import users as users_cli
from election_monitor.cli.output import err_console
from election_monitor.db import session
from election_monitor.errorlog import error_log_path, log_unexpected

app = typer.Typer(
    name="elmon",
    help="Election Monitoring System: watch blockchain e-voting live, catch irregularities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(elections_cli.app, name="elections")
app.add_typer(constituencies_cli.app, name="constituencies")
app.add_typer(ingest_cli.jobs_app, name="jobs")
app.command("ingest")(ingest_cli.ingest)
app.command("watch")(ingest_cli.watch_dir)
app.add_typer(queue_cli.app, name="queue")
app.command("worker")(queue_cli.worker)
app.command("detect")(detect_cli.detect)
app.add_typer(alerts_cli.app, name="alerts")
app.command("simulate")(simulate_cli.simulate)
app.command("demo")(demo_cli.demo)
app.command("serve")(serve_cli.serve)
app.add_typer(users_cli.app, name="users")
app.add_typer(report_cli.app, name="report")
app.command("export")(export_cli.export)
app.command("notify")(notify_cli.notify)
app.add_typer(notify_cli.channels_app, name="channels")
app.add_typer(notify_cli.silences_app, name="silences")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"elmon {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="ELMON_DATABASE_URL",
            help="SQLAlchemy database URL [default: sqlite:///elmon.db].",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Election Monitoring System."""
    session.configure(database_url)


def run() -> None:
    """The ``elmon`` entry point: the app, with any unexpected error shown as one line and an id
    (its traceback goes to the error log), never as a traceback."""
    try:
        app()
    except Exception as exc:
        command = sys.argv[1] if len(sys.argv) > 1 else ""
        error_id = log_unexpected(exc, context=f"elmon {command}".strip())
        where = error_log_path()
        err_console.print(
            f"[bold red]error:[/] internal error {error_id} ({type(exc).__name__}); "
            + (f"the details are in {where}" if where else "please report it with this id")
        )
        sys.exit(2)
