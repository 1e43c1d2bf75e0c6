"""Logins, sessions with CSRF, API tokens, the login rate limit, and clean 401s."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from election_monitor.models import ApiToken, AuditLog, LoginSession
from election_monitor.timeutil import utcnow
from tests.api.conftest import PASSWORD, Api


def login(api: Api, username: str = "observer", password: str = PASSWORD) -> dict[str, str]:
    response = api.client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def test_every_resource_refuses_anonymous_callers_with_401(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    public = {"/healthz", "/readyz", "/metrics", "/api/v1/auth/login"}
    for path, operations in schema["paths"].items():
        if path in public:
            continue
        concrete = path.replace("{", "").replace("}", "")
        for method in operations:
            response = api.client.request(method.upper(), concrete)
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"] == "AuthenticationError"
            assert response.headers["www-authenticate"] == "Bearer"


def test_login_sets_a_secure_by_default_session_cookie_and_audits_it(api: Api) -> None:
    response = api.client.post(
        "/api/v1/auth/login", json={"username": "Observer", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == "observer"
    assert body["user"]["role"] == "observer"
    cookie = response.headers["set-cookie"]
    assert "elmon_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in tests; set when served over HTTPS
    me = api.client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["via"] == "session"
    assert me.json()["csrf_token"] == body["csrf_token"]
    with api.session() as db:
        secret = response.cookies["elmon_session"]
        assert all(s.id != secret for s in db.scalars(select(LoginSession)))  # only a hash
        actions = db.scalars(select(AuditLog.action).where(AuditLog.actor == "observer")).all()
    assert "auth.login" in actions


def test_secure_cookie_flag_can_be_forced(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from election_monitor.accounts.settings import get_auth_settings

    monkeypatch.setenv("ELMON_COOKIE_SECURE", "true")
    get_auth_settings.cache_clear()
    response = api.client.post(
        "/api/v1/auth/login", json={"username": "viewer", "password": PASSWORD}
    )
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_unknown_user_and_disabled_user_get_the_same_401(api: Api) -> None:
    with api.session() as db:
        from election_monitor.accounts import users
        from election_monitor.accounts.audit import Actor

        users.set_active(
            db, user=users.require_by_username(db, "viewer"), active=False, actor=Actor.cli()
        )
        db.commit()
    for username, password in (("observer", "nope"), ("ghost", PASSWORD), ("viewer", PASSWORD)):
        response = api.client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 401
        assert response.json() == {
            "error": "AuthenticationError",
            "detail": "invalid username or password",
        }


def test_login_validation_error_names_the_field(api: Api) -> None:
    response = api.client.post("/api/v1/auth/login", json={"username": "x"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "ValidationError"
    assert body["errors"][0]["field"] == "body.password"


def test_failed_logins_are_rate_limited_with_retry_after(api: Api) -> None:
    for _ in range(5):
        bad = api.client.post("/api/v1/auth/login", json={"username": "lead", "password": "x"})
        assert bad.status_code == 401
    blocked = api.client.post("/api/v1/auth/login", json={"username": "lead", "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "RateLimitedError"
    assert 0 < int(blocked.headers["retry-after"]) <= 900
    # Other users are not locked out by someone else's failures.
    login(api, "admin")


def test_cookie_changes_need_the_csrf_token(api: Api) -> None:
    csrf = login(api, "observer")
    refused = api.client.post("/api/v1/auth/tokens", json={"name": "script"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "PermissionDeniedError"
    assert "CSRF" in refused.json()["detail"]
    wrong = api.client.post(
        "/api/v1/auth/tokens", json={"name": "script"}, headers={"X-CSRF-Token": "nope"}
    )
    assert wrong.status_code == 403
    ok = api.client.post("/api/v1/auth/tokens", json={"name": "script"}, headers=csrf)
    assert ok.status_code == 201
    # Reads need no token.
    assert api.client.get("/api/v1/auth/tokens").status_code == 200


def test_logout_ends_the_session(api: Api) -> None:
    csrf = login(api, "viewer")
    assert api.client.post("/api/v1/auth/logout", headers=csrf).status_code == 204
    response = api.client.get("/api/v1/auth/me")
    assert response.status_code == 401


def test_tokens_are_created_listed_and_revoked_by_their_owner_only(api: Api) -> None:
    created = api.post("/api/v1/auth/tokens", role="viewer", json={"name": "nightly export"})
    assert created.status_code == 201
    body = created.json()
    secret = body["token"]
    assert secret.startswith("elmon_")
    assert body["prefix"] == secret[:12]
    with api.session() as db:
        stored = db.get(ApiToken, body["id"])
        assert stored is not None
        assert stored.token_hash != secret
        assert secret not in str(stored.__dict__)
    listed = api.get("/api/v1/auth/tokens", role="viewer").json()
    assert {t["name"] for t in listed} == {"tests", "nightly export"}
    assert all("token" not in t for t in listed)
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.client.get("/api/v1/auth/me", headers=headers).json()["user"]["role"] == "viewer"
    # Another user cannot see or revoke it.
    assert api.delete(f"/api/v1/auth/tokens/{body['id']}", role="admin").status_code == 404
    revoked = api.delete(f"/api/v1/auth/tokens/{body['id']}", role="viewer")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    after = api.client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401
    assert "revoked" in after.json()["detail"]
    actions = [
        e["action"] for e in api.get("/api/v1/audit?actor=viewer", role="admin").json()["items"]
    ]
    assert actions[:2] == ["token.revoke", "token.create"]


def test_expired_token_and_garbage_token_are_401(api: Api) -> None:
    with api.session() as db:
        token = db.scalars(select(ApiToken).where(ApiToken.user_id == api.user_ids["lead"])).one()
        token.expires_at = utcnow() - timedelta(minutes=1)
        db.commit()
    expired = api.get("/api/v1/elections", role="lead")
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]
    garbage = api.client.get("/api/v1/elections", headers={"Authorization": "Bearer junk"})
    assert garbage.status_code == 401


def test_token_expiry_in_the_past_is_422(api: Api) -> None:
    response = api.post(
        "/api/v1/auth/tokens", role="viewer", json={"name": "x", "expires_at": "2000-01-01T00:00Z"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidInputError"
