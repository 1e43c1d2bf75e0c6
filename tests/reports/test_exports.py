"""Exports (CSV injection, Parquet round trip), evidence packs, the shift hand-over."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from election_monitor.alerts import update_alert
from election_monitor.cli import app
from election_monitor.dashboard.handover import build_handover
from election_monitor.export import export_table
from election_monitor.export.writers import csv_cell, neutralise
from election_monitor.models import Alert
from election_monitor.timeutil import utcnow
from tests.reports.conftest import Loaded

runner = CliRunner()


@pytest.mark.parametrize("cell", ["=1+1", "+7", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell
    assert csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Moscow", "a=b", "", "'quoted"])
def test_plain_text_is_left_alone(cell: str) -> None:
    assert neutralise(cell) == cell


def test_numbers_are_not_neutralised() -> None:
    assert csv_cell(-5) == "-5"
    assert csv_cell(-0.5) == "-0.5"


def test_csv_export_neutralises_a_hostile_constituency_name(loaded: Loaded, tmp_path: Path) -> None:
    with loaded.engine.begin() as conn:
        cid = conn.scalar(text("SELECT id FROM constituencies ORDER BY id LIMIT 1"))
        old = conn.scalar(text("SELECT name FROM constituencies WHERE id = :i"), {"i": cid})
        conn.execute(
            text("UPDATE constituencies SET name = '=HYPERLINK(\"x\")' WHERE id = :i"), {"i": cid}
        )
    try:
        out = tmp_path / "c.csv"
        export_table(loaded.engine, table="constituencies", election_id=loaded.election_id,
                     output=out)  # fmt: skip
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        assert {r["name"] for r in rows if r["constituency_id"] == cid} == {'\'=HYPERLINK("x")'}
    finally:
        with loaded.engine.begin() as conn:
            conn.execute(text("UPDATE constituencies SET name = :n WHERE id = :i"),
                         {"n": old, "i": cid})  # fmt: skip


@pytest.mark.parametrize("table", ["constituencies", "hourly", "alerts", "transactions"])
def test_parquet_round_trip_matches_csv_and_the_database(
    loaded: Loaded, tmp_path: Path, table: str
) -> None:
    pq_out, csv_out = tmp_path / f"{table}.parquet", tmp_path / f"{table}.csv"
    small = 1000  # several row groups even on a small election
    a = export_table(loaded.engine, table=table, election_id=loaded.election_id,
                     output=pq_out, batch_rows=small)  # fmt: skip
    b = export_table(loaded.engine, table=table, election_id=loaded.election_id, output=csv_out)
    parquet = pq.read_table(pq_out)
    rows = list(csv.reader(io.StringIO(csv_out.read_text(encoding="utf-8"))))
    assert a.rows == b.rows == parquet.num_rows == len(rows) - 1 > 0
    assert parquet.column_names == rows[0]
    first = parquet.slice(0, 1).to_pylist()[0]
    assert [csv_cell(first[c]) for c in rows[0]] == rows[1]


def test_hourly_export_has_one_row_per_unit_and_period_with_the_register(
    loaded: Loaded, tmp_path: Path
) -> None:
    out = tmp_path / "hourly.parquet"
    export_table(loaded.engine, table="hourly", election_id=loaded.election_id, output=out)
    t = pq.read_table(out).to_pylist()
    keys = [(r["unit_id"], r["period_start"]) for r in t]
    assert len(keys) == len(set(keys))
    with loaded.engine.connect() as conn:
        votes = conn.scalar(text("SELECT SUM(votes_cast) FROM hourly_stats"))
    assert sum(r["votes_cast"] for r in t) == votes
    assert all(r["registered_voters"] >= 0 and r["period_minutes"] == 60 for r in t)


def test_export_of_an_unknown_table_or_suffix_is_a_clear_error(loaded: Loaded) -> None:
    for args in (["bogus", "-o", "x.csv"], ["hourly", "-o", "x.xlsx"]):
        result = runner.invoke(app, ["--database-url", loaded.url, "export", *args,
                                     "--election-id", loaded.election_id])  # fmt: skip
        assert result.exit_code == 1
        assert "must be one of" in result.output


def test_evidence_pack_is_deterministic_and_complete(loaded: Loaded, tmp_path: Path) -> None:
    with Session(loaded.engine) as db:
        alert = db.scalars(select(Alert).where(Alert.type == "duplicate_vote")).first()
        assert alert is not None
        alert_id = alert.id
    paths = [tmp_path / "one.zip", tmp_path / "two.zip"]
    for path in paths:
        result = runner.invoke(app, ["--database-url", loaded.url, "alerts", "export", alert_id,
                                     "-o", str(path), "--lang", "ru"])  # fmt: skip
        assert result.exit_code == 0, result.output
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with zipfile.ZipFile(paths[0]) as z:
        names = z.namelist()
        assert names == ["narrative.txt", "alert.json", "transactions.csv", "inputs.json",
                         "chart.svg", "SHA256SUMS"]  # fmt: skip
        assert len({i.date_time for i in z.infolist()}) == 1
        sums = dict(line.split("  ")[::-1] for line in z.read("SHA256SUMS").decode().splitlines())
        for name in names[:-1]:
            assert sums[name] == hashlib.sha256(z.read(name)).hexdigest()
        txs = list(csv.DictReader(io.StringIO(z.read("transactions.csv").decode())))
        assert txs
        assert all(t["voter_key"] for t in txs)
        inputs = json.loads(z.read("inputs.json"))
        assert inputs["files"]
        assert all(len(f["sha256"]) == 64 for f in inputs["files"])
        assert "Округ" in z.read("narrative.txt").decode()


def test_handover_lists_new_resolved_and_who_did_what(loaded: Loaded, tmp_path: Path) -> None:
    now = utcnow()
    with Session(loaded.engine) as db:
        alert = db.scalars(select(Alert).where(Alert.status == "active")).first()
        assert alert is not None
        update_alert(db, alert_id=alert.id, actor="alice", status="investigating",
                     note="checking the node")  # fmt: skip
        db.commit()
        h = build_handover(db, election_id=loaded.election_id, since=now - timedelta(days=1),
                           until=now + timedelta(minutes=1))  # fmt: skip
        assert h.new_alerts
        assert {a.actor for a in h.actions} == {"alice"}
        assert {a.action for a in h.actions} >= {"status", "note"}
        later = build_handover(
            db,
            election_id=loaded.election_id,
            since=now + timedelta(hours=1),
            until=now + timedelta(hours=2),
        )
        assert not later.new_alerts
        assert not later.actions
    out = tmp_path / "shift.pdf"
    result = runner.invoke(app, ["--database-url", loaded.url, "report", "shift",
                                 "--election-id", loaded.election_id,
                                 "--since", (now - timedelta(days=1)).isoformat(),
                                 "--until", (now + timedelta(minutes=1)).isoformat(),
                                 "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    # A short printable hand-over (its awaiting-data list can push it onto a second page).
    assert 1 <= len(reader.pages) <= 2
    assert "alice" in "".join(page.extract_text() for page in reader.pages)
