"""The web pages over HTTP: login redirect, the overview's numbers equal its JSON twin's,
triage through forms (CSRF, roles, lifecycle), escaping, Russian."""

from __future__ import annotations

import re

from tests.api.conftest import PASSWORD, Api
from tests.api.factories import World


def sign_in(api: Api, role: str) -> str:
    api.client.cookies.clear()
    response = api.client.post(
        "/login", data={"username": role, "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 303
    page = api.client.get("/alerts").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_anonymous_is_sent_to_login(api: Api) -> None:
    api.client.cookies.clear()
    response = api.client.get("/alerts", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/alerts"
    assert (
        api.client.post("/login", data={"username": "viewer", "password": "x"}).status_code == 401
    )


def test_overview_shows_the_summary_numbers(api: Api, w: World) -> None:
    summary = api.get(f"/api/v1/elections/{w.election.id}/summary").json()
    regions = api.get(f"/api/v1/elections/{w.election.id}/regions").json()
    sign_in(api, "viewer")
    page = api.client.get(f"/?election_id={w.election.id}").text
    bulletins = summary["participation"]["bulletins_issued"]
    assert f'data-figure="bulletins">{bulletins:,}<' in page
    assert f'data-figure="open_alerts">{summary["alerts"]["open"]}<' in page
    for status, count in summary["constituencies"]["by_status"].items():
        assert f'data-status-count="{status}">{count}<' in page
    assert [t["worst_severity"] for t in regions] == ["critical", "warning"]
    assert "tile-critical" in page
    assert "tile-warning" in page
    offline = api.client.get(f"/?election_id={w.election.id}&status=offline").text
    assert "Beta" in offline
    assert "Alpha" not in offline
    assert api.client.get("/?status=bogus").status_code == 422


def test_triage_through_forms(api: Api, w: World) -> None:
    aid = w.alerts[0].id
    csrf = sign_in(api, "observer")
    refused = api.client.post(f"/alerts/{aid}/note", data={"text": "x", "csrf_token": "wrong"})
    assert refused.status_code == 403
    note = "<script>alert(1)</script>"
    done = api.client.post(f"/alerts/{aid}/note", data={"text": note, "csrf_token": csrf})
    assert done.status_code == 200
    assert "<script>alert(1)" not in done.text
    assert "&lt;script&gt;alert(1)" in done.text
    api.client.post(f"/alerts/{aid}/assign", data={"assignee": "observer", "csrf_token": csrf})
    api.client.post(f"/alerts/{aid}/status", data={"status": "investigating", "csrf_token": csrf})
    resolved = api.client.post(
        f"/alerts/{aid}/status", data={"status": "resolved", "csrf_token": csrf}
    )
    assert resolved.status_code == 200
    again = api.client.post(
        f"/alerts/{aid}/status", data={"status": "investigating", "csrf_token": csrf}
    )
    assert again.status_code == 409
    twin = api.get(f"/api/v1/alerts/{aid}").json()
    assert twin["status"] == "resolved"
    assert twin["assigned_to"] == "observer"
    actions = [e["action"] for e in api.get("/api/v1/audit", role="admin").json()["items"]]
    assert {"alert.note", "alert.assign", "alert.status"} <= set(actions)


def test_viewer_gets_403_on_a_form(api: Api, w: World) -> None:
    csrf = sign_in(api, "viewer")
    response = api.client.post(
        f"/alerts/{w.alerts[0].id}/note", data={"text": "hi", "csrf_token": csrf}
    )
    assert response.status_code == 403
    assert api.get(f"/api/v1/alerts/{w.alerts[0].id}").json()["notes"] == []


def test_constituency_page_and_russian(api: Api, w: World) -> None:
    sign_in(api, "viewer")
    page = api.client.get("/constituencies/C2").text
    assert "above bulletins" in page  # 120 votes under 100 bulletins
    api.client.get("/lang/ru?next=/", follow_redirects=False)
    api.client.cookies.set("elmon_lang", "ru")
    assert "Выдано бюллетеней" in api.client.get("/").text


def test_overview_files_awaiting_and_score_filter_match_the_twins(api: Api, w: World) -> None:
    with api.session() as db:
        from election_monitor.models import Constituency

        alpha = db.get(Constituency, "C1")
        assert alpha is not None
        alpha.anomaly_score = 3.5
        db.commit()
    summary = api.get(f"/api/v1/elections/{w.election.id}/summary").json()
    files = api.get(f"/api/v1/jobs/totals?election_id={w.election.id}").json()
    scored = api.get(f"/api/v1/constituencies?election_id={w.election.id}&min_score=3").json()
    assert [c["id"] for c in scored["items"]] == ["C1"]
    sign_in(api, "viewer")
    page = api.client.get(f"/?election_id={w.election.id}").text
    awaiting = summary["constituencies"]["awaiting_data"]
    assert f'data-figure="awaiting">{awaiting}<' in page
    assert f'data-figure="files">{files["by_status"].get("completed", 0)}<' in page
    filtered = api.client.get(f"/?election_id={w.election.id}&min_score=3").text
    assert "Alpha" in filtered
    assert "Beta" not in filtered
    refused = api.client.get(f"/?election_id={w.election.id}&min_score=lots")
    assert refused.status_code == 422
    assert 'id="f-score-error"' in refused.text


def test_report_button_downloads_the_api_report(api: Api, w: World) -> None:
    csrf = sign_in(api, "viewer")
    page = api.client.get(f"/?election_id={w.election.id}").text
    assert 'action="/report"' in page
    data = {"election_id": w.election.id, "format": "html", "csrf_token": csrf}
    response = api.client.post("/report", data=data)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "attachment" in response.headers["content-disposition"]
    assert api.client.post("/report", data={**data, "csrf_token": "no"}).status_code == 403
    assert api.client.post("/report", data={**data, "format": "docx"}).status_code == 422
    assert api.client.post("/report", data={**data, "election_id": "NOPE"}).status_code == 404
