"""``elmon users`` and ``elmon serve``: accounts from the shell, audited as the operator."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from election_monitor.cli import app
from election_monitor.db import session
from election_monitor.db.session import make_engine
from election_monitor.models import AuditLog
from tests.api.conftest import PASSWORD

runner = CliRunner()


@pytest.fixture(autouse=True)
def _unbound_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(session, "_engine", None)
    yield
    if session._engine is not None:
        session._engine.dispose()


def elmon(url: str, *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app, ["--database-url", url, *args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_users_create_list_set_role_disable_and_token(api_url: str) -> None:
    created = orjson.loads(
        elmon(
            api_url,
            "users",
            "create",
            "Alice",
            "--role",
            "observer",
            "--password-stdin",
            "--json",
            stdin=PASSWORD + "\n",
        )
    )
    assert created["username"] == "alice"
    assert created["role"] == "observer"
    elmon(api_url, "users", "create", "bob", "--password-stdin", stdin=PASSWORD + "\n")
    listed = orjson.loads(elmon(api_url, "users", "list", "--json"))
    assert [(u["username"], u["role"]) for u in listed] == [
        ("alice", "observer"),
        ("bob", "viewer"),
    ]
    assert "lead" in elmon(api_url, "users", "set-role", "alice", "lead")
    assert "disabled" in elmon(api_url, "users", "disable", "bob")
    secret = elmon(api_url, "users", "token", "alice", "--name", "cron").strip()
    assert secret.startswith("elmon_")
    leads = orjson.loads(elmon(api_url, "users", "list", "--role", "lead", "--json"))
    assert [u["username"] for u in leads] == ["alice"]
    engine = make_engine(api_url)
    with Session(engine) as db:
        entries = db.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    engine.dispose()
    assert [e.action for e in entries] == [
        "user.create", "user.create", "user.set_role", "user.disable", "token.create",
    ]  # fmt: skip
    assert all(e.via == "cli" and e.actor.startswith("cli:") for e in entries)


def test_users_errors_are_clean_messages(api_url: str) -> None:
    bad_role = runner.invoke(
        app, ["--database-url", api_url, "users", "create", "carol", "--role", "boss",
              "--password-stdin"], input=PASSWORD + "\n",
    )  # fmt: skip
    assert bad_role.exit_code == 1
    assert "role must be one of" in bad_role.output
    short = runner.invoke(
        app, ["--database-url", api_url, "users", "create", "carol", "--password-stdin"],
        input="short\n",
    )  # fmt: skip
    assert short.exit_code == 1
    assert "at least" in short.output
    missing = runner.invoke(app, ["--database-url", api_url, "users", "disable", "nobody"])
    assert missing.exit_code == 1
    assert "not found" in missing.output


def test_serve_binds_loopback_by_default(monkeypatch: pytest.MonkeyPatch, api_url: str) -> None:
    calls: dict[str, object] = {}

    def fake_run(app_: object, **kwargs: object) -> None:
        calls.clear()
        calls.update(kwargs)

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("ELMON_DATABASE_URL", api_url)  # --workers sets it; restored after
    elmon(api_url, "serve")
    assert calls["host"] == "127.0.0.1"
    assert calls["port"] == 8000
    elmon(api_url, "serve", "--host", "0.0.0.0", "--port", "9000")
    assert calls["host"] == "0.0.0.0"
    assert calls["port"] == 9000
    elmon(api_url, "serve", "--workers", "2")
    assert calls["workers"] == 2
    assert calls["factory"] is True
