"""Alerts over HTTP: lists and filters, the lifecycle's transitions (409 when refused), notes,
assignment and snoozes by role; each action in the alert's trail and in the audit log."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.api.factories import World, world


@pytest.fixture
def w(api: Api) -> World:
    with api.session() as db:
        return world(db)


def ids_of(api: Api, query: str) -> list[str]:
    return [a["type"] for a in api.get(f"/api/v1/alerts?{query}").json()["items"]]


def test_list_alerts_most_urgent_first_and_by_every_filter(api: Api, w: World) -> None:
    assert ids_of(api, "") == ["votes_exceed_bulletins", "unusual_spike", "night_activity"]
    assert ids_of(api, "sort=-detected_at") == [
        "unusual_spike",
        "votes_exceed_bulletins",
        "night_activity",
    ]
    assert ids_of(api, "constituency_id=C1&sort=type") == ["night_activity", "unusual_spike"]
    assert ids_of(api, f"election_id={w.election.id}&status=active&severity=warning") == [
        "unusual_spike"
    ]
    assert ids_of(api, "region=50") == ["votes_exceed_bulletins"]
    assert ids_of(api, "type=night_activity") == ["night_activity"]
    assert ids_of(api, "detected_from=2026-09-18T06:00Z&detected_to=2026-09-18T07:00Z") == [
        "votes_exceed_bulletins"
    ]
    assert ids_of(api, f"election_id={w.other.id}") == []
    bad = api.get("/api/v1/alerts?severity=urgent").json()
    assert bad["errors"][0]["allowed"] == ["critical", "warning", "info"]


def test_get_alert_shows_allowed_transitions_and_404(api: Api, w: World) -> None:
    alert = api.get(f"/api/v1/alerts/{w.alerts[0].id}").json()
    assert alert["status"] == "active"
    assert alert["allowed_transitions"] == ["investigating", "resolved", "snoozed"]
    missing = api.get("/api/v1/alerts/nope")
    assert missing.status_code == 404
    assert missing.json() == {"error": "NotFoundError", "detail": "Alert 'nope' not found"}


def test_viewer_can_read_but_not_act(api: Api, w: World) -> None:
    aid = w.alerts[0].id
    for path, body in (
        ("status", {"status": "investigating"}),
        ("notes", {"text": "hi"}),
        ("assign", {"assignee": "observer"}),
        ("snooze", {"until_worse": True}),
    ):
        response = api.post(f"/api/v1/alerts/{aid}/{path}", role="viewer", json=body)
        assert response.status_code == 403, path
        assert response.json()["error"] == "PermissionDeniedError"


def test_observer_changes_status_with_a_note_and_it_is_recorded(api: Api, w: World) -> None:
    aid = w.alerts[0].id
    response = api.post(
        f"/api/v1/alerts/{aid}/status", json={"status": "investigating", "note": "calling CEC"}
    )
    assert response.status_code == 200
    alert = response.json()
    assert alert["status"] == "investigating"
    assert alert["notes"][-1].endswith("observer: calling CEC")
    assert alert["allowed_transitions"] == ["active", "resolved", "snoozed"]
    resolved = api.post(f"/api/v1/alerts/{aid}/status", json={"status": "resolved"}).json()
    assert resolved["resolved_at"] is not None
    history = api.get(f"/api/v1/alerts/{aid}/history").json()
    assert [(h["action"], h["from_value"], h["to_value"], h["actor"]) for h in history] == [
        ("status", "active", "investigating", "observer"),
        ("note", None, None, "observer"),
        ("status", "investigating", "resolved", "observer"),
    ]
    audit = api.get(f"/api/v1/audit?entity_id={aid}", role="admin").json()["items"]
    assert [(e["action"], e["details"]) for e in audit] == [
        ("alert.status", {"from": "investigating", "to": "resolved"}),
        ("alert.status", {"from": "active", "to": "investigating"}),
    ]


def test_refused_transition_is_409_with_the_allowed_statuses(api: Api, w: World) -> None:
    resolved = next(a for a in w.alerts if a.status == "resolved")
    response = api.post(f"/api/v1/alerts/{resolved.id}/status", json={"status": "investigating"})
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "InvalidTransitionError"
    assert body["allowed"] == ["active"]
    assert "'resolved' to 'investigating'" in body["detail"]
    reopened = api.post(f"/api/v1/alerts/{resolved.id}/status", json={"status": "active"})
    assert reopened.status_code == 200
    assert reopened.json()["resolved_at"] is None


def test_status_errors_unknown_status_snoozed_and_missing_alert(api: Api, w: World) -> None:
    aid = w.alerts[0].id
    unknown = api.post(f"/api/v1/alerts/{aid}/status", json={"status": "closed"}).json()
    assert unknown["errors"][0]["allowed"] == ["active", "investigating", "resolved", "snoozed"]
    snoozed = api.post(f"/api/v1/alerts/{aid}/status", json={"status": "snoozed"})
    assert snoozed.status_code == 422
    assert "/snooze" in snoozed.json()["detail"]
    assert api.post("/api/v1/alerts/nope/status", json={"status": "resolved"}).status_code == 404


def test_notes_carry_author_and_time(api: Api, w: World) -> None:
    aid = w.alerts[1].id
    response = api.post(f"/api/v1/alerts/{aid}/notes", json={"text": "node log requested"})
    assert response.status_code == 200
    note = response.json()["notes"][-1]
    assert note.endswith("observer: node log requested")
    assert note[:4] == "20" + note[2:4]
    assert api.post(f"/api/v1/alerts/{aid}/notes", json={"text": ""}).status_code == 422
    assert api.post(f"/api/v1/alerts/{aid}/notes", json={"text": "   "}).status_code == 422
    assert api.post("/api/v1/alerts/nope/notes", json={"text": "x"}).status_code == 404


def test_assign_to_a_user_and_unassign(api: Api, w: World) -> None:
    aid = w.alerts[0].id
    assigned = api.post(f"/api/v1/alerts/{aid}/assign", json={"assignee": "Lead"}).json()
    assert assigned["assigned_to"] == "lead"
    assert ids_of(api, "assigned_to=lead") == ["votes_exceed_bulletins"]
    unknown = api.post(f"/api/v1/alerts/{aid}/assign", json={"assignee": "ghost"})
    assert unknown.status_code == 422
    assert "ghost" in unknown.json()["detail"]
    cleared = api.post(f"/api/v1/alerts/{aid}/assign", json={"assignee": None}).json()
    assert cleared["assigned_to"] is None
    history = api.get(f"/api/v1/alerts/{aid}/history").json()
    assert [(h["from_value"], h["to_value"]) for h in history] == [(None, "lead"), ("lead", None)]


def test_snooze_is_for_leads_and_needs_a_future_time_or_until_worse(api: Api, w: World) -> None:
    aid = w.alerts[0].id
    body = {"until": "2099-01-01T00:00:00Z"}
    assert api.post(f"/api/v1/alerts/{aid}/snooze", role="observer", json=body).status_code == 403
    past = api.post(
        f"/api/v1/alerts/{aid}/snooze", role="lead", json={"until": "2001-01-01T00:00Z"}
    )
    assert past.status_code == 422
    neither = api.post(f"/api/v1/alerts/{aid}/snooze", role="lead", json={})
    assert neither.status_code == 422
    assert neither.json()["error"] == "ValidationError"
    assert "give until, until_worse, or both" in neither.json()["detail"]
    snoozed = api.post(f"/api/v1/alerts/{aid}/snooze", role="lead", json=body).json()
    assert snoozed["status"] == "snoozed"
    assert snoozed["snoozed_until"] == "2099-01-01T00:00:00Z"
    resolved = next(a for a in w.alerts if a.status == "resolved")
    refused = api.post(f"/api/v1/alerts/{resolved.id}/snooze", role="lead", json=body)
    assert refused.status_code == 409
    audit = api.get("/api/v1/audit?action=alert.snooze", role="admin").json()["items"]
    assert len(audit) == 1
    assert audit[0]["actor"] == "lead"
    assert audit[0]["details"]["until"] == "2099-01-01T00:00:00+00:00"
