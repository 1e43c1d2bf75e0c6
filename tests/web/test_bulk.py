"""Bulk triage from the alert list: acknowledge and snooze through the API's route functions,
roles, CSRF, validation, and what the lifecycle refuses is skipped, not forced."""

from __future__ import annotations

from datetime import timedelta

from election_monitor.timeutil import utcnow
from tests.api.conftest import Api
from tests.api.factories import World
from tests.web.test_pages import sign_in


def test_bulk_acknowledge_skips_what_the_lifecycle_refuses(api: Api, w: World) -> None:
    csrf = sign_in(api, "observer")
    page = api.client.get("/alerts").text
    assert 'name="alert_id"' in page
    assert 'value="snooze"' not in page  # snoozing needs a lead
    ids = [a.id for a in w.alerts]  # the third is resolved: it cannot be acknowledged
    response = api.client.post(
        "/alerts/bulk",
        data={"alert_id": ids, "action": "acknowledge", "csrf_token": csrf, "next": "/alerts"},
    )
    assert response.status_code == 200
    assert "data-bulk-done>2<" in response.text
    assert "data-bulk-skipped>1<" in response.text
    statuses = [api.get(f"/api/v1/alerts/{a}").json()["status"] for a in ids]
    assert statuses == ["investigating", "investigating", "resolved"]
    actions = [e["action"] for e in api.get("/api/v1/audit", role="admin").json()["items"]]
    assert actions.count("alert.status") == 2


def test_bulk_snooze_until_a_time_or_until_worse(api: Api, w: World) -> None:
    csrf = sign_in(api, "lead")
    wake = (utcnow() + timedelta(hours=3)).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M")
    ids = [w.alerts[0].id, w.alerts[1].id]
    done = api.client.post(
        "/alerts/bulk",
        data={"alert_id": ids, "action": "snooze", "until": wake, "until_worse": "1",
              "csrf_token": csrf},
    )  # fmt: skip
    assert "data-bulk-done>2<" in done.text
    for aid in ids:
        twin = api.get(f"/api/v1/alerts/{aid}").json()
        assert twin["status"] == "snoozed"
        assert twin["snoozed_until"].startswith(wake)
    past = api.client.post(
        "/alerts/bulk",
        data={"alert_id": ids, "action": "snooze", "until": "2020-01-01T00:00",
              "csrf_token": csrf},
    )  # fmt: skip
    assert past.status_code == 422
    assert 'data-field="until"' in past.text
    neither = api.client.post(
        "/alerts/bulk", data={"alert_id": ids, "action": "snooze", "csrf_token": csrf}
    )
    assert neither.status_code == 422


def test_bulk_needs_csrf_a_role_and_a_selection(api: Api, w: World) -> None:
    ids = [w.alerts[0].id]
    csrf = sign_in(api, "viewer")
    assert 'name="alert_id"' not in api.client.get("/alerts").text
    viewer = api.client.post(
        "/alerts/bulk", data={"alert_id": ids, "action": "acknowledge", "csrf_token": csrf}
    )
    assert viewer.status_code == 403
    csrf = sign_in(api, "observer")
    forged = api.client.post(
        "/alerts/bulk", data={"alert_id": ids, "action": "acknowledge", "csrf_token": "nope"}
    )
    assert forged.status_code == 403
    snooze = api.client.post(
        "/alerts/bulk",
        data={"alert_id": ids, "action": "snooze", "until_worse": "1", "csrf_token": csrf},
    )
    assert snooze.status_code == 403  # an observer may not snooze
    empty = api.client.post("/alerts/bulk", data={"action": "acknowledge", "csrf_token": csrf})
    assert empty.status_code == 422
    assert api.get(f"/api/v1/alerts/{ids[0]}").json()["status"] == "active"
