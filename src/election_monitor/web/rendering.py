"""Jinja2 templates (autoescaped: a note or file name containing HTML shows as text) rendered
in the reader's language, with the helpers every page uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from election_monitor import __version__
from election_monitor.enums import AlertSeverity
from election_monitor.web.i18n import LANG_COOKIE, LANGUAGES, Formatter, pick_language, translations

TEMPLATES = Path(__file__).parent / "templates"

#: Severity is never shown by colour alone: each has an icon and a word.
SEVERITY_ICONS = {
    AlertSeverity.CRITICAL.value: "▲",
    AlertSeverity.WARNING.value: "◆",
    AlertSeverity.INFO.value: "●",
}

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def language_of(request: Request) -> str:
    return pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def with_query(request: Request, **changes: Any) -> str:
    """This page's URL with some query parameters changed (None removes one): shareable views."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """The page ``name`` with ``context`` plus the language, formatter and signed-in user."""
    language = language_of(request)
    catalog = translations(language)
    full = {
        "request": request,
        "_": catalog.gettext,
        "lang": language,
        "languages": LANGUAGES,
        "fmt": Formatter(language),
        "icons": SEVERITY_ICONS,
        "user": getattr(request.state, "principal", None),
        "version": __version__,
        "with_query": lambda **kw: with_query(request, **kw),
        **context,
    }
    html = env.get_template(name).render(full)
    return HTMLResponse(html, status_code=status_code)
