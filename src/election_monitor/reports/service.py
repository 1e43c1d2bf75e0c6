"""Write a report file: build, render and store it with its manifest beside it.

``write_report`` is what ``elmon report``, ``POST /api/v1/reports`` and ``make demo`` call.
The file is written to a temporary name and renamed, so a failure never leaves half a report.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from election_monitor.detection.settings import SettingsFile
from election_monitor.exceptions import InvalidInputError
from election_monitor.reports.builder import build_election_report
from election_monitor.reports.content import ReportFilters
from election_monitor.reports.manifest import build_manifest
from election_monitor.reports.render import RenderError, render_html, render_pdf

FORMATS = (".html", ".pdf")
MANIFEST_SUFFIX = ".manifest.json"


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    manifest_path: Path
    sha256: str
    figures_sha256: str
    has_data: bool
    alerts: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "manifest": str(self.manifest_path),
            "sha256": self.sha256,
            "figures_sha256": self.figures_sha256,
            "has_data": self.has_data,
            "alerts": self.alerts,
        }


def manifest_path_for(report: Path) -> Path:
    """Where a report's manifest lives: ``report.pdf`` -> ``report.pdf.manifest.json``."""
    return report.with_name(report.name + MANIFEST_SUFFIX)


def report_format(output: Path) -> str:
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInputError(
            f"the report's format follows its suffix: {output.name!r} must end in .html or .pdf"
        )
    return suffix


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise RenderError(f"cannot write {path}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".elmon-", suffix=path.suffix)
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise RenderError(f"cannot write {path}: {exc.strerror or exc}") from exc


def render_report(
    db: Session,
    *,
    election_id: str,
    fmt: str,
    lang: str = "en",
    filters: ReportFilters | None = None,
    settings_file: SettingsFile | None = None,
    report_name: str = "elmon",
) -> tuple[bytes, dict[str, Any]]:
    """The report's bytes (``.html`` or ``.pdf``) and its manifest."""
    report = build_election_report(
        db, election_id=election_id, filters=filters, lang=lang, settings_file=settings_file
    )
    manifest = build_manifest(db, report)
    html = render_html(report, manifest, report_name=report_name)
    if fmt == ".html":
        return html.encode(), manifest
    attachment = orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    pdf = render_pdf(
        html,
        stamp=report.generated_for,
        identifier=manifest["figures_sha256"],
        attachment=attachment,
    )
    return pdf, manifest


def write_report(
    db: Session,
    *,
    election_id: str,
    output: Path,
    lang: str = "en",
    filters: ReportFilters | None = None,
    settings_file: SettingsFile | None = None,
) -> WrittenReport:
    """Build and write the report at ``output`` and its manifest beside it."""
    fmt = report_format(output)
    data, manifest = render_report(
        db,
        election_id=election_id,
        fmt=fmt,
        lang=lang,
        filters=filters,
        settings_file=settings_file,
        report_name=output.name,
    )
    digest = hashlib.sha256(data).hexdigest()
    beside = {**manifest, "report": {"file": output.name, "sha256": digest}}
    sidecar = manifest_path_for(output)
    write_atomically(output, data)
    write_atomically(
        sidecar, orjson.dumps(beside, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
    )
    return WrittenReport(
        path=output,
        manifest_path=sidecar,
        sha256=digest,
        figures_sha256=manifest["figures_sha256"],
        has_data=bool(manifest["figures"]["scope"]["data_horizon"]),
        alerts=len(manifest["figures"]["alerts"]),
    )
