"""Snoozing from an alert's page: the API's route function and body (until a time, until worse,
or both), role lead, CSRF, errors on the page, and the form only where the lifecycle allows."""

from __future__ import annotations

from datetime import timedelta

from election_monitor.timeutil import utcnow
from tests.api.conftest import Api
from tests.api.factories import World
from tests.web.test_pages import sign_in


def test_snooze_from_the_alert_page_changes_it_as_the_api_would(api: Api, w: World) -> None:
    csrf = sign_in(api, "lead")
    alert = w.alerts[0].id
    assert 'action="/alerts/' + alert + '/snooze"' in api.client.get(f"/alerts/{alert}").text
    wake = (utcnow() + timedelta(hours=2)).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M")
    done = api.client.post(
        f"/alerts/{alert}/snooze", data={"until": wake, "until_worse": "1", "csrf_token": csrf}
    )
    assert done.status_code == 200
    assert "data-alert-status>snoozed<" in done.text
    assert "data-snoozed-until>" in done.text
    assert "or until worse" in done.text
    twin = api.get(f"/api/v1/alerts/{alert}").json()
    assert twin["status"] == "snoozed"
    assert twin["snoozed_until"].startswith(wake)
    audit = api.get("/api/v1/audit?action=alert.snooze", role="admin").json()["items"]
    assert [(e["actor"], e["via"], e["details"]["until_worse"]) for e in audit] == [
        ("lead", "session", True)
    ]
    worse = api.client.post(
        f"/alerts/{w.alerts[1].id}/snooze", data={"until_worse": "1", "csrf_token": csrf}
    )
    assert "the evidence worsens" in worse.text
    assert api.get(f"/api/v1/alerts/{w.alerts[1].id}").json()["snoozed_until"] is None


def test_snooze_errors_show_on_the_page(api: Api, w: World) -> None:
    csrf = sign_in(api, "lead")
    alert = w.alerts[0].id
    cases = {
        "neither": ({}, "give until, until_worse, or both"),
        "past": ({"until": "2020-01-01T00:00"}, "until must be in the future"),
        "garbage": ({"until": "someday"}, "valid datetime"),
    }
    for data, message in cases.values():
        refused = api.client.post(f"/alerts/{alert}/snooze", data={**data, "csrf_token": csrf})
        assert refused.status_code == 422
        assert message in refused.text
        assert 'class="error" role="alert"' in refused.text
    resolved = w.alerts[2].id  # resolved: the table allows only a reopen
    assert "/snooze" not in api.client.get(f"/alerts/{resolved}").text
    late = api.client.post(
        f"/alerts/{resolved}/snooze", data={"until_worse": "1", "csrf_token": csrf}
    )
    assert late.status_code == 409
    assert api.get(f"/api/v1/alerts/{alert}").json()["status"] == "active"


def test_snooze_is_refused_below_lead_and_without_csrf(api: Api, w: World) -> None:
    alert = w.alerts[0].id
    for role in ("viewer", "observer"):
        csrf = sign_in(api, role)
        assert "/snooze" not in api.client.get(f"/alerts/{alert}").text
        refused = api.client.post(
            f"/alerts/{alert}/snooze", data={"until_worse": "1", "csrf_token": csrf}
        )
        assert refused.status_code == 403
    sign_in(api, "lead")
    forged = api.client.post(f"/alerts/{alert}/snooze", data={"until_worse": "1"})
    assert forged.status_code == 403
    assert api.get(f"/api/v1/alerts/{alert}").json()["status"] == "active"
