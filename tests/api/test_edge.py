"""The edge: no stack trace to a user, body limits, login lock-out, hashed secrets, headers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from election_monitor.accounts.settings import get_auth_settings
from election_monitor.api.security_headers import CONTENT_SECURITY_POLICY
from election_monitor.api.settings import ApiSettings
from election_monitor.config import get_settings
from election_monitor.db.base import Base
from election_monitor.models import AuditLog
from tests.api.conftest import PASSWORD, Api

BODY_LIMIT_KIB = 4


@pytest.fixture
def api_settings(tmp_path: Path) -> ApiSettings:
    return ApiSettings(
        upload_dir=tmp_path / "uploads", max_upload_mib=1, max_body_kib=BODY_LIMIT_KIB
    )


@pytest.fixture
def error_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "errors.log"
    monkeypatch.setenv("ELMON_ERROR_LOG", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def strict_logins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ELMON_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("ELMON_LOGIN_MAX_FAILURES_PER_IP", "5")
    get_auth_settings.cache_clear()
    yield
    get_auth_settings.cache_clear()


def _fail_login(api: Api, username: str) -> int:
    response = api.client.post("/api/v1/auth/login", json={"username": username, "password": "x"})
    return int(response.status_code)


def _audited(api: Api, action: str) -> list[AuditLog]:
    with api.session() as db:
        return list(db.scalars(select(AuditLog).where(AuditLog.action == action)))


# --- no stack trace ------------------------------------------------------------------------


def test_an_unexpected_error_answers_only_an_id_that_is_in_the_error_log(
    api: Api, error_log: Path
) -> None:
    app = api.client.app
    assert isinstance(app, FastAPI)

    def broken() -> None:
        raise RuntimeError("the bug's own words")

    app.add_api_route("/api/v1/broken-for-test", broken)
    client = TestClient(app, raise_server_exceptions=False)  # as a real server answers
    response = client.get("/api/v1/broken-for-test", headers=api.auth("viewer"))
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "InternalServerError"
    assert "Traceback" not in response.text
    assert "the bug's own words" not in response.text
    logged = error_log.read_text()
    assert body["error_id"] in logged
    assert "Traceback" in logged
    assert "the bug's own words" in logged
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


# --- body size -----------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413(api: Api) -> None:
    big = {"username": "x" * (BODY_LIMIT_KIB * 1024), "password": "y"}
    response = api.client.post("/api/v1/auth/login", json=big)
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLargeError"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_chunked_body_over_the_limit_is_refused_with_413(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(BODY_LIMIT_KIB * 2):
            yield b"x" * 1024
        yield b'", "password": "y"}'

    response = api.client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLargeError"


def test_a_body_under_the_limit_is_served(api: Api) -> None:
    assert _fail_login(api, "x" * 100) == 401


# --- login lock-out ------------------------------------------------------------------------


@pytest.mark.usefixtures("strict_logins")
def test_an_account_is_locked_out_with_retry_after_and_the_lock_out_is_audited(api: Api) -> None:
    assert [_fail_login(api, "lead") for _ in range(3)] == [401, 401, 401]
    blocked = api.client.post("/api/v1/auth/login", json={"username": "lead", "password": PASSWORD})
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 900
    (entry,) = _audited(api, "auth.locked_out")
    assert (entry.entity_type, entry.entity_id) == ("user", "lead")
    assert entry.details["scope"] == "account"


@pytest.mark.usefixtures("strict_logins")
def test_one_address_is_locked_out_across_accounts(api: Api) -> None:
    statuses = [_fail_login(api, name) for name in ("a1", "a2", "a3", "a4", "a5")]
    assert statuses == [401] * 5
    blocked = api.client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    scopes = [e.details["scope"] for e in _audited(api, "auth.locked_out")]
    assert scopes == ["address"]


@pytest.mark.usefixtures("strict_logins")
def test_the_web_login_form_is_locked_out_too_with_429(api: Api) -> None:
    for _ in range(3):
        page = api.client.post("/login", data={"username": "viewer", "password": "x"})
        assert page.status_code == 401
    blocked = api.client.post("/login", data={"username": "viewer", "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "too many failed logins" in blocked.text
    assert "elmon_session" not in blocked.headers.get("set-cookie", "")


# --- secrets at rest -----------------------------------------------------------------------


def test_no_token_or_session_secret_is_stored_in_the_clear(api: Api) -> None:
    response = api.client.post(
        "/api/v1/auth/login", json={"username": "lead", "password": PASSWORD}
    )
    secrets = [*api.tokens.values(), response.cookies["elmon_session"]]
    with api.engine.connect() as conn:
        dump = "\n".join(
            str(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"'))
        )
    assert all(secret not in dump for secret in secrets)
    assert PASSWORD not in dump


# --- security headers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/elections", "/login", "/static/live.js", "/healthz", "/no-such-page"]
)
def test_every_response_carries_the_security_headers(api: Api, path: str) -> None:
    response = api.get(path)
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp
    for directive in ("script-src 'self'", "style-src 'self'", "img-src 'self' data:",
                      "frame-ancestors 'none'"):  # fmt: skip
        assert directive in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
