"""``elmon db``: schema migrations."""

from __future__ import annotations

import typer

from election_monitor.cli.output import console
from election_monitor.db import migrate
from election_monitor.db.session import get_engine

app = typer.Typer(help="Database schema: apply or inspect migrations.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations (create or update the schema)."""
    engine = get_engine()
    migrate.upgrade(engine, revision)
    console.print(
        f"database {engine.url.render_as_string(hide_password=True)} "
        f"at revision {migrate.current_revision(engine)}"
    )


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, or 'base'.")) -> None:
    """Revert migrations down to a revision."""
    engine = get_engine()
    migrate.downgrade(engine, revision)
    console.print(f"database at revision {migrate.current_revision(engine)}")


@app.command()
def current() -> None:
    """Show the database's revision and the newest one this version ships."""
    engine = get_engine()
    console.print(f"current: {migrate.current_revision(engine)}  head: {migrate.head_revision()}")
