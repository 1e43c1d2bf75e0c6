"""Mounting the dashboard in the API's app: the pages, their static files, and the redirect
of anonymous readers to the login page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from election_monitor.web.access import LoginRequiredError
from election_monitor.web.pages import router

STATIC = Path(__file__).parent / "static"


async def _to_login(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequiredError)
    return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)


def install(app: FastAPI) -> None:
    """Add the pages under ``/`` and the static files under ``/static``."""
    app.add_exception_handler(LoginRequiredError, _to_login)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
