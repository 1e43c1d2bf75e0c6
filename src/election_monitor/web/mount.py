"""Mounting the dashboard in the API's app: the pages, their static files, and the redirect
of anonymous readers to the login page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from election_monitor.web import admin, bulk, files, handover, report
from election_monitor.web.access import LoginRequiredError
from election_monitor.web.charts import PLOTLY_JS, PLOTLY_ROUTE
from election_monitor.web.pages import router

STATIC = Path(__file__).parent / "static"


async def _to_login(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequiredError)
    return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)


def _plotly_js() -> Response:
    """The plotly.js of the installed ``plotly`` package: charts work with no internet."""
    return FileResponse(
        PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


def install(app: FastAPI) -> None:
    """Add the pages under ``/``, the static files under ``/static`` and plotly.js."""
    app.add_exception_handler(LoginRequiredError, _to_login)
    # Before the /static mount, which would otherwise answer for this path.
    app.add_api_route(PLOTLY_ROUTE, _plotly_js, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(bulk.router)  # before /alerts/{alert_id}/... of the pages
    app.include_router(router)
    app.include_router(handover.router)
    app.include_router(files.router)
    app.include_router(report.router)
    app.include_router(admin.router)
