"""Render a report to self-contained HTML (Jinja2, inline CSS and SVG, no external resource)
and to PDF (WeasyPrint from the same HTML), with deterministic bytes: the only date is the
data horizon, the PDF identifier is the figures' digest, and nothing depends on the clock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from election_monitor import __version__
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.reports.content import ElectionReport, ReportFilters
from election_monitor.reports.i18n import translator
from election_monitor.reports.svg import BLUE, ORANGE, Series, line_chart
from election_monitor.timeutil import ensure_utc

#: The report's font: one that covers Cyrillic, installed as a Debian package
#: (fonts-dejavu-core), never downloaded. ``ELMON_REPORT_FONT`` overrides it.
DEFAULT_FONT = "DejaVu Sans"
FONT_ENV = "ELMON_REPORT_FONT"
DEJAVU_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


class RenderError(ElectionMonitorError):
    """The report cannot be rendered here (a missing font, an unwritable path)."""


def font_family() -> str:
    return os.environ.get(FONT_ENV) or DEFAULT_FONT


def check_font(family: str) -> None:
    """Refuse to render when the font is not installed (a PDF would silently substitute)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        if family == DEFAULT_FONT and DEJAVU_FILE.exists():
            return
        raise RenderError(f"font {family!r} not found (fontconfig's fc-list is missing)")
    listed = subprocess.run(
        [fc_list, ":", "family"], capture_output=True, text=True, check=False
    ).stdout
    families = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    if family not in families:
        raise RenderError(
            f"font {family!r} is not installed; install the Debian package fonts-dejavu-core "
            f"(make system) or set {FONT_ENV} to an installed font that covers Cyrillic"
        )


@lru_cache
def environment(lang: str) -> Environment:
    """The templates with number and date filters of one language."""
    env = Environment(
        loader=PackageLoader("election_monitor.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update(_filters(lang))
    env.globals["t"] = translator(lang)
    return env


def _filters(lang: str) -> dict[str, Callable[[Any], str]]:
    sep = "\u00a0" if lang == "ru" else ","

    def num(value: Any) -> str:
        return f"{int(value):,}".replace(",", sep)

    def pct(value: Any) -> str:
        text = f"{float(value):.2f}"
        return (text.replace(".", ",") if lang == "ru" else text) + "\u00a0%"

    def dt(value: datetime | None) -> str:
        return "—" if value is None else f"{ensure_utc(value):%Y-%m-%d %H:%M}"

    return {"num": num, "pct": pct, "dt": dt}


def filters_text(filters: ReportFilters) -> str:
    parts = [f"{k}={v}" for k, v in sorted(filters.as_manifest().items()) if v is not None]
    return ", ".join(parts)


def manifest_script(manifest: dict[str, Any]) -> str:
    """The manifest as it sits in a ``<script>``: pretty, sorted, and unable to close it."""
    text = orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode()
    return text.replace("</", "<\\/")


def render_html(
    report: ElectionReport, manifest: dict[str, Any], *, report_name: str = "elmon"
) -> str:
    """The report as one self-contained HTML page."""
    t = translator(report.lang)
    env = environment(report.lang)
    context: dict[str, Any] = {"font": font_family(), "report_name": report_name}
    css = env.get_template("report.css").render(**context)
    hours = [p.hour for p in report.hourly]
    chart = line_chart(
        hours,
        [
            Series(t("bulletins"), [p.bulletins_issued for p in report.hourly], ORANGE),
            Series(t("votes"), [p.votes_cast for p in report.hourly], BLUE),
        ],
        title=t("hourly_curve") + " (" + t("hour_utc") + ")",
        height=220,
    )
    return env.get_template("report.html").render(
        r=report,
        css=css,
        manifest=manifest,
        manifest_json=manifest_script(manifest),
        national_chart=chart,
        filters_text=filters_text(report.filters),
        stated=sum(len(g.alerts) for g in report.alert_groups),
        stamp=ensure_utc(report.generated_for).strftime("%Y-%m-%dT%H:%M:%SZ"),
        version=__version__,
        **context,
    )


def render_pdf(
    html: str,
    *,
    stamp: datetime,
    identifier: str,
    attachment: bytes,
    attachment_name: str = "manifest.json",
) -> bytes:
    """The PDF of an HTML report: fixed identifier and dates; the manifest attached."""
    check_font(font_family())
    from weasyprint import HTML, Attachment  # imported here: it loads Pango (slow)

    when = ensure_utc(stamp).replace(tzinfo=None)
    manifest = Attachment(
        string=attachment.decode(),
        name=attachment_name,
        description="elmon " + attachment_name,
        created=when,
        modified=when,
    )
    # fontTools stamps each embedded font subset with "now" unless SOURCE_DATE_EPOCH is set
    # (the reproducible-builds convention): pin it to the data horizon while rendering.
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(ensure_utc(stamp).timestamp()))
    try:
        pdf: bytes = HTML(string=html).write_pdf(
            pdf_identifier=identifier.encode()[:32], attachments=[manifest]
        )
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    return pdf
