"""``python -m election_monitor`` runs the ``elmon`` command line."""

from election_monitor.cli import run

run()
