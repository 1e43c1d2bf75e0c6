"""The Admin page: admins only, users and audit log equal their JSON twins, role changes, new
users and tokens go through the API's route functions, schemas and services (audited, CSRF),
errors shown next to the field; a token's secret is shown once and dies when revoked."""

from __future__ import annotations

import re

from election_monitor.accounts import tokens, users
from tests.api.conftest import Api
from tests.web.test_pages import sign_in


def test_admin_page_lists_users_and_audit_like_the_twins(api: Api) -> None:
    csrf = sign_in(api, "admin")
    page = api.client.get("/admin").text
    people = api.get("/api/v1/users", role="admin").json()
    assert sorted(re.findall(r'data-user="([^"]+)"', page)) == sorted(
        u["username"] for u in people["items"]
    )
    viewer = next(u for u in people["items"] if u["username"] == "viewer")
    done = api.client.post(
        f"/admin/users/{viewer['id']}", data={"role": "observer", "csrf_token": csrf}
    )
    assert done.status_code == 200
    assert api.get(f"/api/v1/users/{viewer['id']}", role="admin").json()["role"] == "observer"
    twin = api.get("/api/v1/audit?action=user.set_role", role="admin").json()
    page = api.client.get("/admin?action=user.set_role").text
    assert len(re.findall(r"<tr data-audit>", page)) == twin["total"] == 1
    refused = api.client.post(
        f"/admin/users/{viewer['id']}", data={"role": "viewer", "csrf_token": "x"}
    )
    assert refused.status_code == 403
    bad = api.client.post(f"/admin/users/{viewer['id']}", data={"role": "boss", "csrf_token": csrf})
    assert bad.status_code == 422
    when = api.client.get("/admin?since=someday")
    assert when.status_code == 422
    assert 'id="f-since-error"' in when.text


def test_admin_page_is_for_admins_only(api: Api) -> None:
    csrf = sign_in(api, "lead")
    assert api.client.get("/admin").status_code == 403
    assert 'href="/admin"' not in api.client.get("/").text
    people = api.get("/api/v1/users", role="admin").json()["items"]
    target = people[0]["id"]
    response = api.client.post(f"/admin/users/{target}", data={"role": "admin", "csrf_token": csrf})
    assert response.status_code == 403
    api.client.cookies.clear()
    assert api.client.get("/admin", follow_redirects=False).status_code == 303


def _user_id(api: Api, username: str) -> str:
    found = api.get("/api/v1/users", role="admin").json()["items"]
    return str(next(u["id"] for u in found if u["username"] == username))


def test_admin_creates_a_user_like_the_api(api: Api) -> None:
    csrf = sign_in(api, "admin")
    form = {"username": "Alice", "role": "observer", "password": "s3cret enough",
            "display_name": "<script>alert(1)</script>", "csrf_token": csrf}  # fmt: skip
    done = api.client.post("/admin/users", data=form)
    assert done.status_code == 200
    assert 'data-user="alice"' in done.text  # the list shows the new user, name normalised
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in done.text
    assert "<script>alert(1)</script>" not in done.text
    twin = api.get(f"/api/v1/users/{_user_id(api, 'alice')}", role="admin").json()
    assert twin["role"] == "observer"
    audit = api.get("/api/v1/audit?action=user.create&actor=admin", role="admin").json()["items"]
    assert [(e["actor"], e["via"]) for e in audit] == [("admin", "session")]
    api.client.cookies.set("elmon_lang", "ru")
    assert "Новый пользователь" in api.client.get("/admin").text
    api.client.cookies.delete("elmon_lang")
    signed = api.client.post("/api/v1/auth/login", json={"username": "alice",
                                                          "password": "s3cret enough"})  # fmt: skip
    assert signed.status_code == 200
    csrf = sign_in(api, "admin")
    again = api.client.post("/admin/users", data={**form, "csrf_token": csrf})
    assert again.status_code == 409
    assert 'id="nu-username-error"' in again.text
    assert "already exists" in again.text


def test_admin_user_form_shows_errors_next_to_the_field(api: Api) -> None:
    csrf = sign_in(api, "admin")
    hostile = api.client.post(
        "/admin/users",
        data={"username": "<script>x</script>", "role": "viewer", "password": "pw",
              "csrf_token": csrf},
    )  # fmt: skip
    assert hostile.status_code == 422
    assert 'id="nu-username-error"' in hostile.text
    assert "username must be" in hostile.text
    assert "<script>x</script>" not in hostile.text
    assert "&lt;script&gt;x&lt;/script&gt;" in hostile.text
    empty = api.client.post(
        "/admin/users", data={"username": "bob", "role": "boss", "password": "", "csrf_token": csrf}
    )
    assert empty.status_code == 422
    assert 'id="nu-role-error"' in empty.text
    assert 'id="nu-password-error"' in empty.text
    assert "at least 1 character" in empty.text
    made = api.get("/api/v1/audit?action=user.create&actor=admin", role="admin").json()
    assert made["total"] == 0


def test_admin_token_is_shown_once_works_and_stops_when_revoked(api: Api) -> None:
    csrf = sign_in(api, "admin")
    viewer = api.user_ids["viewer"]
    made = api.client.post(
        "/admin/tokens", data={"user_id": viewer, "name": "nightly export", "csrf_token": csrf}
    )
    assert made.status_code == 201
    assert made.headers["cache-control"] == "no-store"
    assert "shown only this once" in made.text
    found = re.search(r"<code data-token-secret>(elmon_[^<]+)</code>", made.text)
    assert found
    secret = found.group(1)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.client.get("/api/v1/elections", headers=bearer).status_code == 200
    page = api.client.get("/admin").text
    assert secret not in page
    assert 'data-token="nightly export"' in page
    listed = api.client.get("/api/v1/auth/tokens", headers=bearer).json()
    token_id = next(t["id"] for t in listed if t["name"] == "nightly export")
    audit = api.get("/api/v1/audit?action=token.create&actor=admin", role="admin").json()["items"]
    assert [(e["actor"], e["details"]["owner"]) for e in audit] == [("admin", "viewer")]
    forged = api.client.post(f"/admin/users/{viewer}/tokens/{token_id}/revoke")
    assert forged.status_code == 403
    assert api.client.get("/api/v1/elections", headers=bearer).status_code == 200
    revoked = api.client.post(
        f"/admin/users/{viewer}/tokens/{token_id}/revoke", data={"csrf_token": csrf}
    )
    assert revoked.status_code == 200
    assert api.client.get("/api/v1/elections", headers=bearer).status_code == 401
    assert api.get("/api/v1/audit?action=token.revoke", role="admin").json()["total"] == 1
    past = api.client.post(
        "/admin/tokens",
        data={"user_id": viewer, "name": "old", "expires_at": "2020-01-01T00:00",
              "csrf_token": csrf},
    )  # fmt: skip
    assert past.status_code == 422
    assert 'id="nt-expires_at-error"' in past.text
    assert "must be in the future" in past.text
    nameless = api.client.post("/admin/tokens", data={"user_id": viewer, "csrf_token": csrf})
    assert nameless.status_code == 422
    assert 'id="nt-name-error"' in nameless.text
    nobody = api.client.post(
        "/admin/tokens", data={"user_id": "x", "name": "n", "csrf_token": csrf}
    )
    assert nobody.status_code == 422
    assert 'id="nt-user_id-error"' in nobody.text


def test_admin_forms_refuse_other_roles_and_missing_csrf(api: Api) -> None:
    viewer = api.user_ids["viewer"]
    with api.session() as db:
        token_id = tokens.list_tokens(db, user=users.get_user(db, viewer))[0].id
    for role in ("viewer", "observer", "lead"):
        csrf = sign_in(api, role)
        forms = {
            "/admin/users": {"username": "mallory", "role": "admin", "password": "pw"},
            "/admin/tokens": {"user_id": viewer, "name": "stolen"},
            f"/admin/users/{viewer}/tokens/{token_id}/revoke": {},
        }
        for path, data in forms.items():
            assert api.client.post(path, data={**data, "csrf_token": csrf}).status_code == 403
    sign_in(api, "admin")
    for path in ("/admin/users", "/admin/tokens"):
        data = {"username": "mallory", "role": "admin", "password": "pw", "user_id": viewer,
                "name": "n"}  # fmt: skip
        assert api.client.post(path, data=data).status_code == 403
    assert api.get("/api/v1/users", role="admin").json()["total"] == 4
    assert api.get("/api/v1/elections").status_code == 200  # the viewer's token still works
    entries = api.get("/api/v1/audit?limit=200", role="admin").json()["items"]
    changes = {e["action"] for e in entries if e["actor"] != "setup"}
    assert not {"user.create", "token.create", "token.revoke"} & changes
