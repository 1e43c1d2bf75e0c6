"""Users and the audit log: admins only; every change audited; the log cannot be edited."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.api.conftest import PASSWORD, ROLES, Api


@pytest.mark.parametrize("role", ["viewer", "observer", "lead"])
def test_only_admins_read_or_change_users_and_the_audit_log(api: Api, role: str) -> None:
    uid = api.user_ids["viewer"]
    calls = [
        api.get("/api/v1/users", role=role),
        api.get(f"/api/v1/users/{uid}", role=role),
        api.post("/api/v1/users", role=role, json={"username": "x1", "password": PASSWORD,
                                                   "role": "viewer"}),
        api.patch(f"/api/v1/users/{uid}", role=role, json={"role": "admin"}),
        api.get("/api/v1/audit", role=role),
    ]  # fmt: skip
    for response in calls:
        assert response.status_code == 403
        assert response.json()["error"] == "PermissionDeniedError"
        assert "admin" in response.json()["detail"]


def test_admin_creates_lists_shows_and_changes_users(api: Api) -> None:
    created = api.post(
        "/api/v1/users",
        role="admin",
        json={"username": "Alice", "password": PASSWORD, "role": "observer", "display_name": "A"},
    )
    assert created.status_code == 201
    alice = created.json()
    assert alice["username"] == "alice"
    assert alice["role"] == "observer"
    assert alice["is_active"]
    assert "password" not in str(alice)
    page = api.get("/api/v1/users?limit=2", role="admin").json()
    assert page["total"] == 5
    assert len(page["items"]) == 2
    leads = api.get("/api/v1/users?role=lead", role="admin").json()
    assert [u["username"] for u in leads["items"]] == ["lead"]
    assert api.get(f"/api/v1/users/{alice['id']}", role="admin").json() == alice
    changed = api.patch(
        f"/api/v1/users/{alice['id']}", role="admin", json={"role": "lead", "is_active": False}
    ).json()
    assert changed["role"] == "lead"
    assert changed["is_active"] is False
    entries = api.get(f"/api/v1/audit?entity_id={alice['id']}", role="admin").json()["items"]
    assert [e["action"] for e in entries] == ["user.disable", "user.set_role", "user.create"]
    assert entries[1]["details"] == {"username": "alice", "from": "observer", "to": "lead"}
    assert all(e["actor"] == "admin" and e["via"] == "token" for e in entries)
    assert entries[0]["ip"] == "testclient"


def test_disabling_a_user_stops_their_token(api: Api) -> None:
    assert api.get("/api/v1/elections", role="observer").status_code == 200
    api.patch(f"/api/v1/users/{api.user_ids['observer']}", role="admin", json={"is_active": False})
    response = api.get("/api/v1/elections", role="observer")
    assert response.status_code == 401
    assert "disabled" in response.json()["detail"]


def test_user_errors_conflict_validation_and_not_found(api: Api) -> None:
    duplicate = api.post(
        "/api/v1/users", role="admin", json={"username": "lead", "password": PASSWORD,
                                             "role": "lead"},
    )  # fmt: skip
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == "ConflictError"
    bad_role = api.post(
        "/api/v1/users", role="admin", json={"username": "bob", "password": PASSWORD,
                                             "role": "boss"},
    )  # fmt: skip
    assert bad_role.status_code == 422
    assert bad_role.json()["errors"][0]["field"] == "body.role"
    assert bad_role.json()["errors"][0]["allowed"] == list(ROLES)
    short = api.post(
        "/api/v1/users", role="admin", json={"username": "bob", "password": "short",
                                             "role": "viewer"},
    )  # fmt: skip
    assert short.status_code == 422
    assert "at least" in short.json()["detail"]
    missing = api.get("/api/v1/users/nope", role="admin")
    assert missing.status_code == 404
    assert missing.json() == {"error": "NotFoundError", "detail": "User 'nope' not found"}


def test_the_last_admin_cannot_be_demoted_or_disabled(api: Api) -> None:
    admin_id = api.user_ids["admin"]
    for body in ({"role": "viewer"}, {"is_active": False}):
        response = api.patch(f"/api/v1/users/{admin_id}", role="admin", json=body)
        assert response.status_code == 409
        assert "last active admin" in response.json()["detail"]


def test_audit_log_filters_and_paginates_newest_first(api: Api) -> None:
    for name in ("u1", "u2", "u3"):
        api.post("/api/v1/users", role="admin",
                 json={"username": name, "password": PASSWORD, "role": "viewer"})  # fmt: skip
    page = api.get("/api/v1/audit?action=user.create&actor=admin&limit=2", role="admin").json()
    assert page["total"] == 3
    assert [e["details"]["username"] for e in page["items"]] == ["u3", "u2"]
    rest = api.get("/api/v1/audit?action=user.create&actor=admin&skip=2", role="admin").json()
    assert [e["details"]["username"] for e in rest["items"]] == ["u1"]


def test_the_audit_log_cannot_be_edited_even_in_sql(api: Api) -> None:
    api.post("/api/v1/users", role="admin",
             json={"username": "u1", "password": PASSWORD, "role": "viewer"})  # fmt: skip
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), api.engine.begin() as conn:
            conn.execute(text(statement))
    with api.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM audit_log WHERE actor = 'admin'")) == 1
