"""The Admin page: admins only, users and audit log equal their JSON twins, role changes go
through the API's route function (audited, CSRF), filters validated next to the field."""

from __future__ import annotations

import re

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
