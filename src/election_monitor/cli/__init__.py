"""The ``elmon`` command line: a thin Typer shell over the services."""

from election_monitor.cli.main import app, run

__all__ = ["app", "run"]
