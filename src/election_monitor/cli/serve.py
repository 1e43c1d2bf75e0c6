"""``elmon serve``: the API and dashboard server (uvicorn), on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from election_monitor.cli.output import err_console
from election_monitor.db import migrate
from election_monitor.db.session import get_engine
from election_monitor.notify import Dispatcher


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; 0.0.0.0 exposes it to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Server processes (each with its own pool).")
    ] = 1,
    notify: Annotated[
        bool,
        typer.Option("--notify/--no-notify", help="Run the notification dispatcher too."),
    ] = True,
) -> None:
    """Serve the HTTP API (/api/v1, /docs, /healthz, /readyz, /metrics) and send notifications."""
    import uvicorn

    from election_monitor.api import create_app

    engine = get_engine()
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current != head:
        err_console.print(
            f"[yellow]warning:[/] database at revision {current}, code expects {head}: "
            "run `elmon db upgrade` (/readyz reports not ready until then)"
        )
    dispatcher = None
    if workers == 1:
        app = create_app(engine=engine)
        if notify:
            # Counters on the app's registry, so /metrics shows the dispatcher's work.
            dispatcher = Dispatcher(engine, counters=app.state.notify_counters)
            dispatcher.start()
        try:
            uvicorn.run(app, host=host, port=port, log_level=log_level)
        finally:
            if dispatcher is not None:
                dispatcher.stop()
        return
    if notify:
        # One dispatcher beside the worker processes (their apps do not start one).
        dispatcher = Dispatcher(engine)
        dispatcher.start()
    # Each worker process builds its own app, reading the database URL from the environment.
    os.environ["ELMON_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    uvicorn.run(
        "election_monitor.api.main:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        workers=workers,
    )
    if dispatcher is not None:
        dispatcher.stop()
