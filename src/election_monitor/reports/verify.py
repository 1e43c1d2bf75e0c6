"""``elmon report verify``: re-derive a report's figures from its input files.

The manifest (beside the report, or inside it) names every input file by SHA-256. Verify
finds them in a folder, checks each hash, loads them into a fresh SQLite database with the
manifest's election, registry and detection settings, runs detection from scratch, builds
the report again with the same filters and compares every figure. The verdict is
*reproduced*, or the files and figures that differ.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.detection.service import detect
from election_monitor.detection.settings import SettingsFile
from election_monitor.exceptions import InvalidInputError
from election_monitor.ingest.opener import sha256_and_size
from election_monitor.ingest.registry import import_registry
from election_monitor.ingest.service import ingest_paths
from election_monitor.models import Election
from election_monitor.reports.builder import build_election_report
from election_monitor.reports.content import ReportFilters
from election_monitor.reports.manifest import FORMAT, build_manifest, canonical
from election_monitor.reports.service import manifest_path_for
from election_monitor.timeutil import parse_datetime


@dataclass
class FileProblem:
    name: str
    problem: str  # "missing" or "sha256 differs"
    expected: str | None = None
    found: str | None = None
    path: str | None = None


@dataclass
class FigureDifference:
    figure: str
    stated: Any
    recomputed: Any


@dataclass
class Verification:
    """The verdict and everything that led to it."""

    report: str
    manifest_source: str
    report_sha256_ok: bool | None = None
    files_checked: int = 0
    file_problems: list[FileProblem] = field(default_factory=list)
    differences: list[FigureDifference] = field(default_factory=list)
    figures_sha256_stated: str | None = None
    figures_sha256_recomputed: str | None = None

    @property
    def reproduced(self) -> bool:
        return (
            not self.file_problems
            and not self.differences
            and self.report_sha256_ok is not False
            and self.figures_sha256_stated == self.figures_sha256_recomputed
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "reproduced": self.reproduced,
            "report": self.report,
            "manifest_source": self.manifest_source,
            "report_sha256_ok": self.report_sha256_ok,
            "files_checked": self.files_checked,
            "file_problems": [vars(p) for p in self.file_problems],
            "differences": [vars(d) for d in self.differences],
            "figures_sha256_stated": self.figures_sha256_stated,
            "figures_sha256_recomputed": self.figures_sha256_recomputed,
        }


def _embedded_html(text: str) -> dict[str, Any] | None:
    marker = '<script type="application/json" id="elmon-manifest">'
    start = text.find(marker)
    if start < 0:
        return None
    end = text.find("</script>", start)
    body = text[start + len(marker) : end].replace("<\\/", "</")
    loaded: dict[str, Any] = orjson.loads(body)
    return loaded


def _embedded_pdf(path: Path) -> dict[str, Any] | None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        attachments = PdfReader(path).attachments
    except (PdfReadError, OSError, ValueError) as exc:
        raise InvalidInputError(f"{path} is not a readable PDF: {exc}") from exc
    blobs = attachments.get("manifest.json")
    if not blobs:
        return None
    loaded: dict[str, Any] = orjson.loads(blobs[0])
    return loaded


def load_manifest(report: Path) -> tuple[dict[str, Any], str, bool | None]:
    """The manifest, where it came from, and whether the report's own hash matches it."""
    if not report.exists():
        raise InvalidInputError(f"report {report} does not exist")
    if report.name.endswith(".json"):
        return _parse(report.read_bytes(), report), str(report), None
    sidecar = manifest_path_for(report)
    if sidecar.exists():
        manifest = _parse(sidecar.read_bytes(), sidecar)
        stated = (manifest.get("report") or {}).get("sha256")
        actual = hashlib.sha256(report.read_bytes()).hexdigest()
        return manifest, str(sidecar), None if stated is None else stated == actual
    try:
        embedded = (
            _embedded_pdf(report)
            if report.suffix.lower() == ".pdf"
            else _embedded_html(report.read_text(encoding="utf-8"))
        )
    except (UnicodeDecodeError, orjson.JSONDecodeError) as exc:
        raise InvalidInputError(f"{report}: cannot read its embedded manifest: {exc}") from exc
    if embedded is None:
        raise InvalidInputError(f"{report} carries no manifest and none lies beside it")
    return embedded, f"{report} (embedded)", None


def _parse(data: bytes, source: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError(f"{source} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise InvalidInputError(f"{source} is not an elmon report manifest ({FORMAT})")
    return manifest


def locate_inputs(manifest: dict[str, Any], data_dir: Path) -> tuple[list[Path], list[FileProblem]]:
    """The input files found in ``data_dir`` (by name, else by hash) and what is wrong."""
    if not data_dir.is_dir():
        raise InvalidInputError(f"--data {data_dir} is not a folder")
    by_name: dict[str, list[Path]] = {}
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        by_name.setdefault(path.name, []).append(path)
    hashes: dict[Path, str] = {}

    def digest(path: Path) -> str:
        if path not in hashes:
            hashes[path] = sha256_and_size(path)[0]
        return hashes[path]

    found: list[Path] = []
    problems: list[FileProblem] = []
    for item in manifest.get("inputs", []):
        name, expected = item["name"], item.get("sha256")
        candidates = by_name.get(name, [])
        match = next((p for p in candidates if digest(p) == expected), None)
        if match is None:
            match = next(
                (p for paths in by_name.values() for p in paths if digest(p) == expected), None
            )
        if match is not None:
            found.append(match)
        elif candidates:
            problems.append(
                FileProblem(
                    name, "sha256 differs", expected, digest(candidates[0]), str(candidates[0])
                )
            )
            found.append(candidates[0])  # still loaded: the figures that differ are listed too
        else:
            problems.append(FileProblem(name, "missing", expected))
    return found, problems


def _registry_csv(rows: list[dict[str, Any]], folder: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["id", "name", "region", "type", "registered_voters", "timezone"])
    for r in rows:
        writer.writerow(
            [
                r["id"],
                r["name"],
                r["region"],
                r["type"],
                r["registered_voters"],
                r["timezone"] or "",
            ]
        )
    path = folder / "registry.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _flat(figures: dict[str, Any]) -> dict[str, Any]:
    """Figures keyed by a readable name (``regions[Moscow].votes_cast``, ``hourly[<hour>]``)."""
    flat: dict[str, Any] = {}
    for key, value in figures.get("scope", {}).items():
        flat[f"scope.{key}"] = value
    for key, value in figures.get("national", {}).items():
        flat[f"national.{key}"] = value
    for region in figures.get("regions", []):
        for key, value in region.items():
            flat[f"regions[{region['name']}].{key}"] = value
    for hour, bulletins, votes in figures.get("hourly", []):
        flat[f"hourly[{hour}].bulletins_issued"] = bulletins
        flat[f"hourly[{hour}].votes_cast"] = votes
    for rank, (cid, score, participation) in enumerate(figures.get("ranking", []), start=1):
        flat[f"ranking[{rank}]"] = [cid, score, participation]
    for fingerprint, severity, magnitude in figures.get("alerts", []):
        flat[f"alerts[{fingerprint}]"] = [severity, magnitude]
    return flat


def compare(stated: dict[str, Any], recomputed: dict[str, Any]) -> list[FigureDifference]:
    """Every figure whose value differs (missing on one side counts as a difference)."""
    a, b = _flat(stated), _flat(recomputed)
    return [
        FigureDifference(key, a.get(key), b.get(key))
        for key in sorted(set(a) | set(b))
        if canonical(a.get(key)) != canonical(b.get(key))
    ]


def recompute(manifest: dict[str, Any], files: list[Path], workdir: Path) -> dict[str, Any]:
    """Load ``files`` into a fresh SQLite database as the manifest says; the new manifest."""
    engine = make_engine(f"sqlite:///{workdir / 'verify.db'}")
    try:
        migrate.upgrade(engine)
        e = manifest["election"]
        with Session(engine) as db:
            db.add(
                Election(
                    id=e["id"],
                    name=e["name"],
                    start_date=parse_datetime(e["start_date"]),
                    end_date=parse_datetime(e["end_date"]),
                    timezone=e["timezone"],
                    status=e.get("status") or "completed",
                    total_constituencies=0,
                )
            )
            db.commit()
            import_registry(db, _registry_csv(manifest["registry"], workdir), election_id=e["id"])
        if files:
            ingest_paths(engine, files, election_id=e["id"])
        settings = SettingsFile(
            base=dict(manifest["detection_settings"]), election_types={}, types={}
        )
        with engine.begin() as conn:
            detect(conn, election_id=e["id"], settings_file=settings)
        with Session(engine) as db:
            report = build_election_report(
                db,
                election_id=e["id"],
                filters=ReportFilters.model_validate(manifest.get("filters") or {}),
                settings_file=settings,
                charts=False,
            )
            return build_manifest(db, report)
    finally:
        engine.dispose()


def verify_report(report: Path, *, data_dir: Path) -> Verification:
    """Check a report against its input files (see the module docstring)."""
    manifest, source, report_ok = load_manifest(report)
    result = Verification(report=str(report), manifest_source=source, report_sha256_ok=report_ok)
    files, result.file_problems = locate_inputs(manifest, data_dir)
    result.files_checked = len(manifest.get("inputs", []))
    with tempfile.TemporaryDirectory(prefix="elmon-verify-") as tmp:
        fresh = recompute(manifest, files, Path(tmp))
    result.figures_sha256_stated = manifest.get("figures_sha256")
    result.figures_sha256_recomputed = fresh["figures_sha256"]
    result.differences = compare(manifest.get("figures") or {}, fresh["figures"])
    for table, count in sorted((manifest.get("row_counts") or {}).items()):
        again = fresh["row_counts"].get(table)
        if again != count:
            result.differences.append(FigureDifference(f"row_counts.{table}", count, again))
    return result
