"""API fixtures: a real migrated database per test (SQLite file copy, or a truncated
PostgreSQL database), the app with its lifespan, and one user with a token per role."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from election_monitor.accounts import tokens, users
from election_monitor.accounts.audit import Actor
from election_monitor.accounts.settings import get_auth_settings
from election_monitor.api import create_app
from election_monitor.api.settings import ApiSettings
from election_monitor.db import migrate
from election_monitor.db.base import Base
from election_monitor.db.session import make_engine
from election_monitor.ingest.service import BatchHook
from tests.databases import drop_postgres_url, new_database_url

ROLES = ("viewer", "observer", "lead", "admin")
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def api_template(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once per session: a file to copy (SQLite) or one to truncate."""
    url = new_database_url(backend, tmp_path_factory.mktemp("api"), "api")
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    if backend == "postgres":
        drop_postgres_url(url)


def _truncate(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # TRUNCATE fires no row triggers, so the append-only audit log can be emptied here.
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def api_url(backend: str, api_template: str, tmp_path: Path) -> str:
    """A migrated, empty database for this test."""
    if backend == "sqlite":
        target = tmp_path / "api.db"
        shutil.copyfile(api_template.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    _truncate(api_template)
    return api_template


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2 at its smallest cost: the tests check behaviour, not hashing strength."""
    monkeypatch.setenv("ELMON_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("ELMON_PASSWORD_MEMORY_KIB", "64")
    get_auth_settings.cache_clear()
    yield
    get_auth_settings.cache_clear()


@pytest.fixture
def api_settings(tmp_path: Path) -> ApiSettings:
    return ApiSettings(
        upload_dir=tmp_path / "uploads",
        max_upload_mib=1,
        events_poll_seconds=0.05,
        events_gap_wait_seconds=1.0,
        events_stream_seconds=5.0,
    )


def no_hooks() -> list[BatchHook]:
    return []


@dataclass
class Api:
    """The client, the app's engine and a token per role."""

    client: TestClient
    engine: Engine
    tokens: dict[str, str]
    user_ids: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, path: str, role: str = "viewer", **kw: Any) -> Any:
        return self.client.get(path, headers=self.auth(role), **kw)

    def post(self, path: str, role: str = "observer", **kw: Any) -> Any:
        return self.client.post(path, headers=self.auth(role), **kw)

    def patch(self, path: str, role: str = "lead", **kw: Any) -> Any:
        return self.client.patch(path, headers=self.auth(role), **kw)

    def delete(self, path: str, role: str = "viewer", **kw: Any) -> Any:
        return self.client.delete(path, headers=self.auth(role), **kw)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def make_users(engine: Engine) -> tuple[dict[str, str], dict[str, str]]:
    """One user per role (named after it) with one API token each."""
    secrets: dict[str, str] = {}
    ids: dict[str, str] = {}
    with Session(engine) as db:
        for role in ROLES:
            user = users.create_user(
                db, username=role, password=PASSWORD, role=role, actor=Actor.cli("setup")
            )
            _, secrets[role] = tokens.create_token(
                db, user=user, name="tests", actor=Actor.cli("setup")
            )
            ids[role] = user.id
        db.commit()
    return secrets, ids


@pytest.fixture
def make_api(api_url: str, api_settings: ApiSettings) -> Iterator[Callable[..., Api]]:
    """Build the app (optionally with ingest hooks) and enter its lifespan."""
    opened: list[tuple[TestClient, Engine]] = []

    def build(hooks: Callable[[], list[BatchHook]] = no_hooks) -> Api:
        engine = make_engine(api_url)
        app = create_app(engine=engine, settings=api_settings, ingest_hooks=hooks)
        client = TestClient(app)
        client.__enter__()
        opened.append((client, engine))
        secrets, ids = make_users(engine)
        return Api(client=client, engine=engine, tokens=secrets, user_ids=ids)

    yield build
    for client, engine in opened:
        client.__exit__(None, None, None)
        engine.dispose()


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    """The app without ingest hooks (fast); tests that need detection build their own."""
    return make_api()
