"""Election reports: HTML structure, manifest, byte-identical rebuilds, PDF text, verify."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from election_monitor.cli import app
from election_monitor.exceptions import InvalidInputError
from election_monitor.reports.content import ReportFilters
from election_monitor.reports.i18n import STRINGS
from election_monitor.reports.service import write_report
from election_monitor.reports.verify import verify_report
from tests.reports.conftest import Loaded

runner = CliRunner()


def _cli(loaded: Loaded, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--database-url", loaded.url, *args])
    return result.exit_code, result.output


def test_every_string_has_both_languages() -> None:
    for key, texts in STRINGS.items():
        assert set(texts) == {"en", "ru"}, key
        assert all(texts.values()), key


def test_html_report_states_scope_figures_alerts_and_embeds_its_manifest(
    loaded: Loaded, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    code, output = _cli(loaded, "report", "--election-id", loaded.election_id, "-o", str(out))
    assert code == 0, output
    html = out.read_text(encoding="utf-8")
    for heading in (
        "Scope",
        "National figures",
        "Hourly national curve",
        "Regional figures",
        "Constituencies ranked by anomaly score",
        "Alerts",
        "Method",
        "Limits",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert "<svg" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<link" not in html
    assert "src=" not in html
    sidecar = json.loads((tmp_path / "report.html.manifest.json").read_text())
    assert sidecar["report"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert len(sidecar["inputs"]) == len(list(loaded.data_dir.iterdir()))
    assert all(len(f["sha256"]) == 64 for f in sidecar["inputs"])
    with loaded.engine.connect() as conn:
        transactions = conn.scalar(text("SELECT COUNT(*) FROM transactions"))
        votes = conn.scalar(text("SELECT SUM(votes_cast) FROM constituencies"))
    assert sidecar["row_counts"]["transactions"] == transactions
    assert sidecar["figures"]["national"]["votes_cast"] == votes
    assert sidecar["figures"]["alerts"], "the simulated anomalies raise alerts"
    assert f">{sidecar['figures_sha256']}<" in html


def test_two_reports_from_the_same_data_are_byte_identical(loaded: Loaded, tmp_path: Path) -> None:
    for suffix in ("html", "pdf"):
        first, second = tmp_path / "a" / f"r.{suffix}", tmp_path / "b" / f"r.{suffix}"
        for path in (first, second):
            path.parent.mkdir(exist_ok=True)
            code, output = _cli(
                loaded, "report", "--election-id", loaded.election_id, "-o", str(path)
            )
            assert code == 0, output
        assert first.read_bytes() == second.read_bytes(), suffix


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", ["Election integrity report", "National figures"]),
     ("ru", ["Отчёт о целостности выборов", "Общие показатели"])],
)  # fmt: skip
def test_pdf_has_pages_and_text_in_both_languages(
    loaded: Loaded, tmp_path: Path, lang: str, words: list[str]
) -> None:
    out = tmp_path / f"report-{lang}.pdf"
    code, output = _cli(
        loaded, "report", "--election-id", loaded.election_id, "-o", str(out), "--lang", lang
    )
    assert code == 0, output
    reader = PdfReader(out)
    assert len(reader.pages) >= 3
    first = reader.pages[0].extract_text()
    for word in words:
        assert word in first.replace("\n", " ")
    assert "manifest.json" in reader.attachments
    assert reader.metadata is not None
    assert reader.metadata.get("/CreationDate", "").startswith("D:2")


def test_verify_reproduces_an_untouched_report(loaded: Loaded, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    assert _cli(loaded, "report", "--election-id", loaded.election_id, "-o", str(out))[0] == 0
    code, output = _cli(loaded, "report", "verify", str(out), "--data", str(loaded.data_dir))
    assert code == 0, output
    assert "reproduced" in output


def test_verify_names_a_tampered_input_file_and_the_figures_that_differ(
    loaded: Loaded, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    assert _cli(loaded, "report", "--election-id", loaded.election_id, "-o", str(out))[0] == 0
    data = tmp_path / "data"
    shutil.copytree(loaded.data_dir, data)
    victim = sorted(data.iterdir())[0]
    with zipfile.ZipFile(victim) as z:
        name = z.namelist()[0]
        lines = z.read(name).decode().splitlines()
    with zipfile.ZipFile(victim, "w") as z:
        z.writestr(name, "\n".join(lines[:5] + lines[6:]) + "\n")  # one line less
    result = verify_report(out, data_dir=data)
    assert not result.reproduced
    assert [p.name for p in result.file_problems] == [victim.name]
    assert result.file_problems[0].problem == "sha256 differs"
    assert any(d.figure == "row_counts.transactions" for d in result.differences) or any(
        d.figure.startswith("scope.") for d in result.differences
    )
    code, output = _cli(loaded, "report", "verify", str(out), "--data", str(data))
    assert code == 3
    assert victim.name in output.replace("\n", "")


def test_verify_notices_an_edited_report(loaded: Loaded, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert _cli(loaded, "report", "--election-id", loaded.election_id, "-o", str(out))[0] == 0
    out.write_text(out.read_text(encoding="utf-8").replace("Scope", "Sc0pe"), encoding="utf-8")
    result = verify_report(out, data_dir=loaded.data_dir)
    assert result.report_sha256_ok is False
    assert not result.reproduced


def test_filters_narrow_the_report(loaded: Loaded, tmp_path: Path) -> None:
    with Session(loaded.engine) as db:
        whole = write_report(db, election_id=loaded.election_id, output=tmp_path / "w.html")
        critical = write_report(
            db,
            election_id=loaded.election_id,
            output=tmp_path / "c.html",
            filters=ReportFilters(min_severity="critical"),
        )
        region = db.execute(text("SELECT region FROM constituencies LIMIT 1")).scalar_one()
        regional = write_report(
            db,
            election_id=loaded.election_id,
            output=tmp_path / "r.html",
            filters=ReportFilters(region=region),
        )
    assert 0 < critical.alerts <= whole.alerts
    manifest = json.loads((tmp_path / "r.html.manifest.json").read_text())
    assert [r["name"] for r in manifest["figures"]["regions"]] == [region]
    assert regional.figures_sha256 != whole.figures_sha256


def test_a_filter_matching_nothing_is_a_clear_error(loaded: Loaded, tmp_path: Path) -> None:
    with Session(loaded.engine) as db, pytest.raises(InvalidInputError, match="no constituency"):
        write_report(
            db,
            election_id=loaded.election_id,
            output=tmp_path / "x.html",
            filters=ReportFilters(region="Atlantis"),
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "/no/such/folder/r.html"], "does not exist"),
        (["-o", "r.txt"], "must end in .html or .pdf"),
        (["-o", "r.html", "--lang", "fr"], "language must be one of"),
        (["-o", "r.html", "--since", "yesterday"], "ISO-8601"),
    ],
)
def test_bad_arguments_exit_1_with_a_message_and_no_traceback(
    loaded: Loaded, args: list[str], message: str
) -> None:
    code, output = _cli(loaded, "report", "--election-id", loaded.election_id, *args)
    assert code == 1
    assert message in output.replace("\n", " ")
    assert "Traceback" not in output


def test_a_missing_font_is_a_clear_error(
    loaded: Loaded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELMON_REPORT_FONT", "No Such Font Family")
    code, output = _cli(
        loaded, "report", "--election-id", loaded.election_id, "-o", str(tmp_path / "r.pdf")
    )
    assert code == 1
    assert "not installed" in output
    assert not (tmp_path / "r.pdf").exists()


def test_an_election_without_data_says_so_on_the_first_page(loaded: Loaded, tmp_path: Path) -> None:
    code, output = _cli(
        loaded, "elections", "create", "--name", "Empty", "--start", "2026-01-01T00:00",
        "--end", "2026-01-02T00:00", "--json",
    )  # fmt: skip
    assert code == 0, output
    empty_id = json.loads(output)["id"]
    out = tmp_path / "empty.pdf"
    code, output = _cli(loaded, "report", "--election-id", empty_id, "-o", str(out))
    assert code == 0, output
    first = PdfReader(out).pages[0].extract_text().replace("\n", " ")
    assert "No data" in first
