"""``elmon detect`` and ``elmon alerts list|show|update|score`` against a real database."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from election_monitor.cli import app
from election_monitor.db import migrate, session
from election_monitor.db.session import make_engine
from tests.detection import builders

runner = CliRunner()


@pytest.fixture
def url(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated database holding one synthetic election with a spike and an exact breach."""
    monkeypatch.setattr(session, "_engine", None)
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    syn = builders.make(n=24, hours=30, seed=5)
    syn.votes[3, 20] *= 6  # a 6x spike in the afternoon of day 1
    syn.bulletins[3, 20] *= 6
    syn.bulletins[7, :] = syn.bulletins[7, :] * 0.5  # votes far exceed bulletins
    with Session(engine) as db:
        builders.write(db, syn)
        db.commit()
    engine.dispose()
    yield empty_database_url
    if session._engine is not None:
        session._engine.dispose()


def run(url: str, *args: str) -> object:
    result = runner.invoke(app, ["--database-url", url, *args])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout) if "--json" in args else result.stdout


def test_detect_then_list_show_update_round_trip(url: str) -> None:
    (report,) = run(url, "detect", "--json")  # type: ignore[misc]
    assert report["by_rule"]["unusual_spike"] >= 1
    assert report["by_rule"]["votes_exceed_bulletins.cumulative"] == 1
    alerts = run(url, "alerts", "list", "--json")
    assert isinstance(alerts, list)
    assert alerts[0]["severity"] == "critical"  # most severe first
    exact = run(url, "alerts", "list", "--type", "votes_exceed_bulletins", "--json")
    assert isinstance(exact, list)
    assert len(exact) == 1
    alert_id = exact[0]["id"]
    run(url, "alerts", "update", alert_id, "--status", "investigating", "--assign", "bob",
        "--note", "checking the node", "--actor", "alice")  # fmt: skip
    shown = run(url, "alerts", "show", alert_id, "--json")
    assert isinstance(shown, dict)
    assert shown["status"] == "investigating"
    assert shown["assigned_to"] == "bob"
    assert shown["notes"][0].endswith("alice: checking the node")
    assert [h["action"] for h in shown["history"]] == ["created", "status", "assigned", "note"]
    # Running detection again changes nothing: one alert per fingerprint, no new audit rows.
    (again,) = run(url, "detect", "--json")  # type: ignore[misc]
    assert again["reconciled"]["created"] == 0
    assert again["reconciled"]["updated"] == 0
    score = run(url, "alerts", "score", exact[0]["constituency_id"], "--json")
    assert isinstance(score, dict)
    assert score["anomaly_score"] == 1.0
    assert score["components"][0]["family"] == "integrity"


def test_refused_transition_is_a_clear_error(url: str) -> None:
    run(url, "detect", "--json")
    alerts = run(url, "alerts", "list", "--status", "active", "--json")
    assert isinstance(alerts, list)
    alert_id = alerts[0]["id"]
    run(url, "alerts", "update", alert_id, "--status", "resolved", "--actor", "alice")
    result = runner.invoke(
        app, ["--database-url", url, "alerts", "update", alert_id, "--status", "investigating"]
    )
    assert result.exit_code == 1
    assert "cannot go from 'resolved' to 'investigating'" in result.output


def test_list_rejects_unknown_status(url: str) -> None:
    result = runner.invoke(app, ["--database-url", url, "alerts", "list", "--status", "open"])
    assert result.exit_code == 1
    assert "status must be one of" in result.output
