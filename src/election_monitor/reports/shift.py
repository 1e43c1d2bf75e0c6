"""The shift report: the hand-over (``dashboard.handover``) as one page of HTML or PDF.

Each list shows its first ``ROWS`` entries (and how many more there are), so the hand-over
stays one page; the JSON twin has them all.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from election_monitor import __version__
from election_monitor.dashboard.handover import Handover, build_handover
from election_monitor.reports.i18n import check_language
from election_monitor.reports.render import environment, font_family, render_pdf
from election_monitor.reports.service import report_format, write_atomically

#: Rows per list on the page.
ROWS = 4


def render_shift_html(handover: Handover, *, lang: str = "en", rows: int = ROWS) -> str:
    env = environment(check_language(lang))
    css = env.get_template("report.css").render(font=font_family(), report_name="")
    return env.get_template("shift.html").render(
        h=handover,
        lang=lang,
        css=css,
        limit=rows,
        stamp=handover.until.strftime("%Y-%m-%dT%H:%M:%SZ"),
        version=__version__,
    )


def write_shift_report(
    db: Session,
    *,
    election_id: str,
    since: datetime,
    until: datetime,
    output: Path,
    lang: str = "en",
) -> Handover:
    """Write the hand-over of [since, until) to ``output`` (``.html`` or ``.pdf``)."""
    fmt = report_format(output)
    handover = build_handover(db, election_id=election_id, since=since, until=until)
    html = render_shift_html(handover, lang=lang)
    if fmt == ".html":
        data = html.encode()
    else:
        body = handover.model_dump_json().encode()
        data = render_pdf(
            html,
            stamp=handover.until,
            identifier=election_id,
            attachment=body,
            attachment_name="handover.json",
        )
    write_atomically(output, data)
    return handover
