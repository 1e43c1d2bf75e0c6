"""The CLI around ingest: elections, registry, ingest --json, lists, jobs, watch."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from election_monitor.cli import app
from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.ingest.watcher import SettledFiles
from tests.pipeline.chain import write_csv
from tests.pipeline.test_ingest import build_voting

runner = CliRunner()


def elmon(url: str, *args: str) -> object:
    result = runner.invoke(app, ["--database-url", url, *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def test_cli_loads_a_folder_and_lists_totals(empty_database_url: str, tmp_path: Path) -> None:
    url = empty_database_url
    elmon(url, "db", "upgrade")
    election = elmon(
        url,
        "elections",
        "create",
        "--name",
        "EDG",
        "--start",
        "2026-09-18T05:00",
        "--end",
        "2026-09-20T17:00",
        "--timezone",
        "Europe/Moscow",
        "--json",
    )
    assert isinstance(election, dict)
    assert election["timezone"] == "Europe/Moscow"
    registry = write_csv(
        tmp_path / "registry.csv",
        ["id;name;region;type;registered_voters;timezone", "CONTRACTA;District 1;77;urban;8;"],
    )
    elmon(url, "constituencies", "import", str(registry), "--election-id", election["id"])
    folder = tmp_path / "exports"
    folder.mkdir()
    write_csv(folder / "CONTRACTA_dump.csv", build_voting().lines)

    out = elmon(url, "ingest", str(folder), "--election-id", election["id"], "--json")

    assert isinstance(out, dict)
    assert out["transactions_inserted"] == 8
    assert out["duplicates"] == 0
    assert out["rejected_rows"] == 0
    assert len(out["jobs"]) == 1
    rows = elmon(url, "constituencies", "list", "--json")
    assert isinstance(rows, list)
    assert len(rows) == 1
    assert rows[0]["votes_cast"] == 3
    assert rows[0]["participation_rate"] == 37.5
    assert rows[0]["name"] == "District 1"
    assert rows[0]["inferred"] is False
    jobs = elmon(url, "jobs", "list", "--json")
    assert isinstance(jobs, list)
    assert jobs[0]["status"] == "completed"
    shown = elmon(url, "jobs", "show", jobs[0]["id"], "--json")
    assert isinstance(shown, dict)
    assert shown["rejected_rows"] == []
    again = elmon(url, "ingest", str(folder), "--json")
    assert isinstance(again, dict)
    assert again["inserted"] == 0
    assert again["skipped_files"] == 1


def test_ingest_without_an_election_says_how_to_create_one(
    empty_database_url: str, tmp_path: Path
) -> None:
    elmon(empty_database_url, "db", "upgrade")
    path = write_csv(tmp_path / "CONTRACTA_dump.csv", build_voting().lines)
    result = runner.invoke(app, ["--database-url", empty_database_url, "ingest", str(path)])
    assert result.exit_code == 1
    assert "elmon elections create" in result.output


def test_settled_files_waits_until_a_file_stops_growing(tmp_path: Path) -> None:
    now = [0.0]
    tracker = SettledFiles(2.0, clock=lambda: now[0])
    path = tmp_path / "A_dump.csv"
    path.write_text("one\n")
    tracker.note(path)
    now[0] = 1.0
    assert tracker.ready() == []
    with path.open("a") as fh:
        fh.write("two\n")  # still growing: the clock restarts
    now[0] = 2.5
    assert tracker.ready() == []
    now[0] = 5.0
    assert tracker.ready() == [path]
    tracker.note(path)
    now[0] = 9.0
    assert tracker.ready() == []  # loaded once


def test_watch_loads_a_file_dropped_into_the_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'watch.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO elections (id, name, start_date, end_date, status, "
                "total_constituencies, timezone) VALUES ('E1', 'w', '2026-09-18 05:00:00', "
                "'2026-09-20 17:00:00', 'active', 0, 'UTC')"
            )
        )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "election_monitor",
            "--database-url",
            url,
            "watch",
            str(inbox),
            "--settle",
            "0.5",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    try:
        staged = write_csv(tmp_path / "CONTRACTA_dump.csv", build_voting().lines)
        time.sleep(1.0)
        shutil.copy(staged, inbox / staged.name)
        deadline = time.monotonic() + 30
        done = 0
        while time.monotonic() < deadline and not done:
            time.sleep(0.2)
            with engine.connect() as conn:
                done = conn.execute(
                    text("SELECT COUNT(*) FROM file_processing_jobs WHERE status = 'completed'")
                ).scalar_one()
        assert done == 1
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM transactions")).scalar_one() == 8
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        engine.dispose()
