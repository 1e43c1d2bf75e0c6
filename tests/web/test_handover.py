"""The shift hand-over page: the same counts as its JSON twin, validation next to the field,
escaping, and the anonymous redirect."""

from __future__ import annotations

import re
from datetime import timedelta

from election_monitor.timeutil import utcnow
from tests.api.conftest import Api
from tests.api.factories import World
from tests.web.test_pages import sign_in


def test_handover_page_counts_equal_its_twin(api: Api, w: World) -> None:
    aid = w.alerts[0].id
    csrf = sign_in(api, "observer")
    note = "<img src=x onerror=alert(1)>"
    api.client.post(f"/alerts/{aid}/note", data={"text": note, "csrf_token": csrf})
    api.client.post(f"/alerts/{aid}/status", data={"status": "resolved", "csrf_token": csrf})
    until = utcnow() + timedelta(minutes=1)
    since = until - timedelta(hours=8)
    twin = api.get(
        f"/api/v1/elections/{w.election.id}/handover",
        params={"since": since.isoformat(), "until": until.isoformat()},
    ).json()
    zone = w.election.timezone or "UTC"
    from zoneinfo import ZoneInfo

    local = {k: v.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S") for k, v in
             {"since": since, "until": until}.items()}  # fmt: skip
    page = api.client.get("/handover", params={"election_id": w.election.id, **local})
    assert page.status_code == 200
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page.text))
    assert int(counts["new"]) == len(twin["new_alerts"])
    assert int(counts["resolved"]) == len(twin["resolved"]) >= 1
    assert int(counts["offline"]) == len(twin["gone_offline"])
    assert int(counts["awaiting"]) == len(twin["awaiting_data"])
    assert int(counts["actions"]) == len(twin["actions"])
    assert "<img src=x" not in page.text
    assert "&lt;img src=x" in page.text


def test_handover_refuses_a_bad_time_next_to_its_field(api: Api, w: World) -> None:
    sign_in(api, "viewer")
    page = api.client.get("/handover", params={"since": "yesterday-ish"})
    assert page.status_code == 422
    assert 'id="since-error"' in page.text
    assert 'aria-invalid="true"' in page.text
    backwards = api.client.get(
        "/handover", params={"since": "2026-09-20T10:00", "until": "2026-09-19T10:00"}
    )
    assert backwards.status_code == 422
    assert 'id="until-error"' in backwards.text


def test_handover_needs_a_session(api: Api) -> None:
    api.client.cookies.clear()
    response = api.client.get("/handover", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/handover"
