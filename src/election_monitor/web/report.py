"""The election's report button: a form post that calls the API's ``POST /api/v1/reports``
route function, so the page downloads the same bytes as the API and ``elmon report``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from election_monitor.accounts.errors import PermissionDeniedError
from election_monitor.api.deps import DbSession
from election_monitor.api.routes.reports import ReportRequest, create_report
from election_monitor.exceptions import ElectionMonitorError, NotFoundError
from election_monitor.web.access import WebUser, check_csrf
from election_monitor.web.rendering import language_of, render

router = APIRouter(include_in_schema=False)


@router.post("/report")
def report_button(
    request: Request,
    principal: WebUser,
    db: DbSession,
    election_id: Annotated[str, Form(max_length=200)] = "",
    format: Annotated[str, Form(max_length=10)] = "pdf",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        check_csrf(principal, csrf_token)
        body = ReportRequest.model_validate(
            {"election_id": election_id, "format": format, "lang": language_of(request)}
        )
        return create_report(body, principal, db)
    except PermissionDeniedError as exc:
        return render(request, "bulk_error.html", {"message": str(exc), "field": "csrf"}, 403)
    except ValidationError as exc:
        message = "; ".join(str(e["msg"]) for e in exc.errors())
        return render(request, "bulk_error.html", {"message": message, "field": "format"}, 422)
    except NotFoundError:
        raise
    except ElectionMonitorError as exc:
        return render(request, "bulk_error.html", {"message": str(exc), "field": "report"}, 422)
