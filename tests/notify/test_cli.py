"""``elmon channels``, ``elmon silences`` and ``elmon notify --once``, after real detection."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from election_monitor.cli import app
from election_monitor.db import migrate, session
from election_monitor.db.session import make_engine
from election_monitor.notify.receiver import WebhookReceiver
from election_monitor.notify.settings import get_notify_settings
from tests.detection import builders

runner = CliRunner()
SECRET = "cli-secret-123"


@pytest.fixture
def url(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(session, "_engine", None)
    monkeypatch.setenv("ELMON_NOTIFY_GROUP_WAIT_SECONDS", "0")
    get_notify_settings.cache_clear()
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    syn = builders.make(n=24, hours=30, seed=5)
    syn.bulletins[7, :] = syn.bulletins[7, :] * 0.5  # votes far exceed bulletins
    with Session(engine) as db:
        builders.write(db, syn)
        db.commit()
    engine.dispose()
    yield empty_database_url
    get_notify_settings.cache_clear()
    if session._engine is not None:
        session._engine.dispose()


def run(url: str, *args: str, code: int = 0) -> object:
    result = runner.invoke(app, ["--database-url", url, *args])
    assert result.exit_code == code, result.output
    return orjson.loads(result.stdout) if "--json" in args and code == 0 else result.output


def test_detect_then_notify_once_delivers_every_alert_once(url: str) -> None:
    with WebhookReceiver(SECRET) as receiver:
        run(url, "channels", "add", "hook", "--webhook", receiver.url, "--secret", SECRET)
        run(url, "detect", "--json")
        alerts = run(url, "alerts", "list", "--json")
        assert isinstance(alerts, list)
        assert alerts
        totals = run(url, "notify", "--once", "--json")
        assert isinstance(totals, dict)
        assert totals["delivered"] == len(receiver.state.unique) >= 1
        notified = {a["id"] for m in receiver.state.unique for a in m.payload["alerts"]}
        assert notified == {a["id"] for a in alerts}
        again = run(url, "notify", "--once", "--json")
        assert isinstance(again, dict)
        assert again["delivered"] == 0
        assert receiver.state.duplicates == 0
        assert receiver.state.bad_signatures == 0
    channels = run(url, "channels", "list", "--json")
    assert isinstance(channels, list)
    assert channels[0]["status"] == "ok"
    assert channels[0]["config"]["secret"] == "***"


def test_silences_add_list_expire_and_bad_input(url: str) -> None:
    made = run(url, "silences", "add", "--match", "region=77", "--hours", "2",
               "--comment", "planned maintenance", "--json")  # fmt: skip
    assert isinstance(made, dict)
    assert made["matchers"] == {"region": "77"}
    listed = run(url, "silences", "list", "--json")
    assert isinstance(listed, list)
    assert [s["id"] for s in listed] == [made["id"]]
    run(url, "silences", "expire", made["id"])
    assert run(url, "silences", "list", "--json") == []
    out = run(url, "silences", "add", "--match", "colour=red", "--hours", "1",
              "--comment", "x", code=1)  # fmt: skip
    assert "unknown matcher" in str(out)
    out = run(url, "channels", "add", "x", "--webhook", "not-a-url", "--secret", SECRET, code=1)
    assert "url must start with http" in str(out)
