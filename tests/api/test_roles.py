"""Who may do what: every operation of the API is classified by the least role it needs, and
each role is checked against each operation (403 below it, never 401/403 at or above it)."""

from __future__ import annotations

import pytest

from tests.api.conftest import ROLES, Api

MIN_ROLE = {
    ("post", "/api/v1/auth/logout"): "viewer",
    ("get", "/api/v1/auth/me"): "viewer",
    ("get", "/api/v1/auth/tokens"): "viewer",
    ("post", "/api/v1/auth/tokens"): "viewer",
    ("delete", "/api/v1/auth/tokens/{token_id}"): "viewer",
    ("get", "/api/v1/users"): "admin",
    ("post", "/api/v1/users"): "admin",
    ("get", "/api/v1/users/{user_id}"): "admin",
    ("patch", "/api/v1/users/{user_id}"): "admin",
    ("get", "/api/v1/audit"): "admin",
    ("get", "/api/v1/elections"): "viewer",
    ("post", "/api/v1/elections"): "lead",
    ("get", "/api/v1/elections/{election_id}"): "viewer",
    ("patch", "/api/v1/elections/{election_id}"): "lead",
    ("get", "/api/v1/elections/{election_id}/summary"): "viewer",
    ("get", "/api/v1/elections/{election_id}/regions"): "viewer",
    ("get", "/api/v1/elections/{election_id}/handover"): "viewer",
    ("post", "/api/v1/reports"): "viewer",
    ("get", "/api/v1/alerts/{alert_id}/evidence"): "viewer",
    ("get", "/api/v1/elections/{election_id}/series"): "viewer",
    ("get", "/api/v1/constituencies"): "viewer",
    ("post", "/api/v1/constituencies"): "lead",
    ("get", "/api/v1/constituencies/{constituency_id}"): "viewer",
    ("patch", "/api/v1/constituencies/{constituency_id}"): "lead",
    ("get", "/api/v1/constituencies/{constituency_id}/series"): "viewer",
    ("get", "/api/v1/constituencies/{constituency_id}/score"): "viewer",
    ("get", "/api/v1/constituencies/{constituency_id}/expected"): "viewer",
    ("get", "/api/v1/alerts/{alert_id}/series"): "viewer",
    ("get", "/api/v1/jobs/totals"): "viewer",
    ("get", "/api/v1/transactions"): "viewer",
    ("get", "/api/v1/transactions/{transaction_id}"): "viewer",
    ("get", "/api/v1/hourly-stats"): "viewer",
    ("get", "/api/v1/alerts"): "viewer",
    ("get", "/api/v1/alerts/{alert_id}"): "viewer",
    ("get", "/api/v1/alerts/{alert_id}/history"): "viewer",
    ("post", "/api/v1/alerts/{alert_id}/status"): "observer",
    ("post", "/api/v1/alerts/{alert_id}/notes"): "observer",
    ("post", "/api/v1/alerts/{alert_id}/assign"): "observer",
    ("post", "/api/v1/alerts/{alert_id}/snooze"): "lead",
    ("get", "/api/v1/jobs"): "viewer",
    ("get", "/api/v1/jobs/{job_id}"): "viewer",
    ("get", "/api/v1/jobs/{job_id}/rejected-rows"): "viewer",
    ("post", "/api/v1/jobs/{job_id}/retry"): "lead",
    ("post", "/api/v1/uploads"): "lead",
    ("post", "/api/v1/elections/{election_id}/detect"): "lead",
    ("post", "/api/v1/elections/{election_id}/registry"): "lead",
    ("get", "/api/v1/events"): "viewer",
    # Notifications: channels and rules are settings (a URL may hold a chat token), silences
    # and dead letters are read by all and changed by leads; /me/... is each caller's own.
    ("get", "/api/v1/notifications/channels"): "lead",
    ("post", "/api/v1/notifications/channels"): "lead",
    ("get", "/api/v1/notifications/channels/{channel_id}"): "lead",
    ("patch", "/api/v1/notifications/channels/{channel_id}"): "lead",
    ("delete", "/api/v1/notifications/channels/{channel_id}"): "lead",
    ("get", "/api/v1/notifications/rules"): "lead",
    ("post", "/api/v1/notifications/rules"): "lead",
    ("get", "/api/v1/notifications/rules/{rule_id}"): "lead",
    ("patch", "/api/v1/notifications/rules/{rule_id}"): "lead",
    ("delete", "/api/v1/notifications/rules/{rule_id}"): "lead",
    ("get", "/api/v1/notifications/silences"): "viewer",
    ("post", "/api/v1/notifications/silences"): "lead",
    ("get", "/api/v1/notifications/silences/{silence_id}"): "viewer",
    ("post", "/api/v1/notifications/silences/{silence_id}/expire"): "lead",
    ("get", "/api/v1/notifications/dead-letters"): "viewer",
    ("post", "/api/v1/notifications/dead-letters/retry"): "lead",
    ("post", "/api/v1/notifications/deliveries/{delivery_id}/retry"): "lead",
    ("get", "/api/v1/alerts/{alert_id}/deliveries"): "viewer",
    ("get", "/api/v1/me/notifications"): "viewer",
    ("patch", "/api/v1/me/notifications"): "viewer",
    ("get", "/api/v1/me/subscriptions"): "viewer",
    ("post", "/api/v1/me/subscriptions"): "viewer",
    ("delete", "/api/v1/me/subscriptions/{rule_id}"): "viewer",
}
PUBLIC = {
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("post", "/api/v1/auth/login"),
}


def test_every_operation_is_classified(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    operations = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert operations == set(MIN_ROLE) | PUBLIC


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_refused_exactly_the_operations_above_it(api: Api, role: str) -> None:
    rank = ROLES.index(role)
    for (method, path), least in MIN_ROLE.items():
        url = path.replace("{", "x").replace("}", "")
        params = {"duration": "0.05"} if path.endswith("/events") else None
        response = api.client.request(
            method.upper(), url, headers=api.auth(role), json={}, params=params
        )
        if rank < ROLES.index(least):
            assert response.status_code == 403, (role, method, path, response.text)
            assert response.json()["error"] == "PermissionDeniedError"
        else:
            assert response.status_code not in (401, 403), (role, method, path, response.text)
            assert response.status_code < 500, (role, method, path, response.text)
