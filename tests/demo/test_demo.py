"""`elmon demo --no-serve` end to end on a small election, twice."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from election_monitor.cli import app

runner = CliRunner()


def test_demo_runs_end_to_end_and_reuses_its_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo' / 'elmon.db'}"
    args = [
        "--database-url",
        url,
        "demo",
        "--dir",
        str(tmp_path / "demo"),
        "--no-serve",
        "--constituencies",
        "6",
        "--scale",
        "0.03",
    ]

    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Briefing" in first.output
    assert "Open alerts" in first.output
    assert "Report:" in first.output
    assert (tmp_path / "demo" / "report.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "demo" / "report.html.manifest.json").exists()
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT (SELECT COUNT(*) FROM transactions), (SELECT COUNT(*) FROM alerts), "
                "(SELECT COUNT(*) FROM constituencies), (SELECT COUNT(*) FROM elections)"
            )
        ).one()
    truth = json.loads((tmp_path / "demo" / "election" / "truth.json").read_text())
    assert counts[2] == 6
    assert counts[3] == 1
    assert counts[0] == truth["totals"]["transactions"]
    assert counts[1] > 0

    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "reusing" in second.output
    with engine.connect() as conn:
        again = conn.execute(
            text(
                "SELECT (SELECT COUNT(*) FROM transactions), (SELECT COUNT(*) FROM alerts), "
                "(SELECT COUNT(*) FROM constituencies), (SELECT COUNT(*) FROM elections)"
            )
        ).one()
    assert tuple(again) == tuple(counts)


def test_demo_login_works_and_gets_a_new_password_each_run(empty_database_url: str) -> None:
    from election_monitor.accounts import sessions
    from election_monitor.db import migrate, session_scope
    from election_monitor.db.session import configure
    from election_monitor.demo import ensure_demo_login

    migrate.upgrade(configure(empty_database_url))

    first_user, first = ensure_demo_login()
    second_user, second = ensure_demo_login()
    assert first_user == second_user == "demo"
    assert first != second
    with session_scope() as db:
        done = sessions.login(db, username="demo", password=second, ip=None, user_agent=None)
        assert done.user.role == "lead"
