"""Unexpected errors (bugs) at the edges: logged in full with an id, shown to the user as that id.

An observer at 3 a.m. must never read a traceback, but whoever fixes the bug needs it: the CLI
and the API both call :func:`log_unexpected`, print or answer only the id, and the traceback
goes to the ``election_monitor.errors`` logger and to the error log file (setting
``error_log``; empty disables the file).
"""

from __future__ import annotations

import logging
import secrets
import traceback
from pathlib import Path

from election_monitor.timeutil import utcnow

log = logging.getLogger("election_monitor.errors")
# Without it, a process that configured no logging (the CLI) would have Python's last-resort
# handler print the traceback on stderr, to the user. Configured handlers still receive it.
log.addHandler(logging.NullHandler())


def new_error_id() -> str:
    """A short id a user can read out and an operator can grep for."""
    return f"E-{secrets.token_hex(5)}"


def error_log_path() -> Path | None:
    """Where the traceback of an unexpected error is appended, or None (not configured)."""
    from election_monitor.config import get_settings

    configured = get_settings().error_log.strip()
    return Path(configured) if configured else None


def log_unexpected(exc: BaseException, *, context: str) -> str:
    """Log ``exc`` with a new error id (logger and error log file); returns the id."""
    error_id = new_error_id()
    log.error("unexpected error %s in %s", error_id, context, exc_info=exc)
    path = error_log_path()
    if path is not None:
        text = "".join(traceback.format_exception(exc))
        try:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(f"--- {utcnow().isoformat()} {error_id} {context}\n{text}\n")
        except OSError:
            log.warning("cannot write the error log %s", path)
    return error_id
