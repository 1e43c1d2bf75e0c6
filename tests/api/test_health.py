"""Health, readiness, metrics and the OpenAPI document: reachable without a login."""

from __future__ import annotations

from fastapi.testclient import TestClient

from election_monitor.api import create_app
from election_monitor.api.settings import ApiSettings
from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from tests.api.conftest import Api


def test_healthz_answers_without_login(api: Api) -> None:
    response = api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_the_database_at_head(api: Api) -> None:
    response = api.client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["revision"] == body["head"] == migrate.head_revision()


def test_readyz_is_503_when_migrations_are_behind(
    empty_database_url: str, api_settings: ApiSettings
) -> None:
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "0003")
    try:
        with TestClient(create_app(engine=engine, settings=api_settings)) as client:
            response = client.get("/readyz")
    finally:
        engine.dispose()
    assert response.status_code == 503
    assert response.json()["error"] == "NotReadyError"
    assert "elmon db upgrade" in response.json()["detail"]


def test_metrics_expose_requests_latency_ingest_rows_and_alerts(api: Api) -> None:
    api.get("/api/v1/elections")
    text = api.client.get("/metrics").text
    assert 'elmon_http_requests_total{method="GET",route="/api/v1/elections",status="200"}' in text
    assert "elmon_http_request_duration_seconds_bucket" in text
    assert 'elmon_ingest_rows_total{outcome="inserted"}' in text
    assert "# TYPE elmon_alerts_raised_total counter" in text


PUBLIC = {
    ("/healthz", "get"),
    ("/readyz", "get"),
    ("/metrics", "get"),
    ("/api/v1/auth/login", "post"),
}
EXPECTED_PATHS = {
    "/api/v1/reports", "/api/v1/alerts/{alert_id}/evidence",
    "/api/v1/elections/{election_id}/handover",
    "/api/v1/elections/{election_id}/detect",
    "/api/v1/elections/{election_id}/registry",
    "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/auth/me", "/api/v1/auth/tokens",
    "/api/v1/auth/tokens/{token_id}", "/api/v1/users", "/api/v1/users/{user_id}", "/api/v1/audit",
    "/api/v1/elections", "/api/v1/elections/{election_id}",
    "/api/v1/elections/{election_id}/summary", "/api/v1/elections/{election_id}/series",
    "/api/v1/elections/{election_id}/regions",
    "/api/v1/constituencies", "/api/v1/constituencies/{constituency_id}",
    "/api/v1/constituencies/{constituency_id}/series",
    "/api/v1/constituencies/{constituency_id}/score", "/api/v1/transactions",
    "/api/v1/transactions/{transaction_id}", "/api/v1/hourly-stats", "/api/v1/alerts",
    "/api/v1/alerts/{alert_id}", "/api/v1/alerts/{alert_id}/history",
    "/api/v1/alerts/{alert_id}/status", "/api/v1/alerts/{alert_id}/notes",
    "/api/v1/alerts/{alert_id}/assign", "/api/v1/alerts/{alert_id}/snooze", "/api/v1/jobs",
    "/api/v1/jobs/totals", "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/rejected-rows",
    "/api/v1/jobs/{job_id}/retry", "/api/v1/constituencies/{constituency_id}/expected",
    "/api/v1/alerts/{alert_id}/series",
    "/api/v1/uploads", "/api/v1/events", "/healthz", "/readyz", "/metrics",
    "/api/v1/notifications/channels", "/api/v1/notifications/channels/{channel_id}",
    "/api/v1/notifications/rules", "/api/v1/notifications/rules/{rule_id}",
    "/api/v1/notifications/silences", "/api/v1/notifications/silences/{silence_id}",
    "/api/v1/notifications/silences/{silence_id}/expire", "/api/v1/notifications/dead-letters",
    "/api/v1/notifications/dead-letters/retry",
    "/api/v1/notifications/deliveries/{delivery_id}/retry",
    "/api/v1/alerts/{alert_id}/deliveries", "/api/v1/me/notifications",
    "/api/v1/me/subscriptions", "/api/v1/me/subscriptions/{rule_id}",
}  # fmt: skip


def test_docs_and_openapi_are_public_and_document_every_route_and_error(api: Api) -> None:
    assert api.client.get("/docs").status_code == 200
    schema = api.client.get("/openapi.json").json()
    assert set(schema["paths"]) == EXPECTED_PATHS
    assert {"HTTPBearer", "APIKeyCookie"} <= set(schema["components"]["securitySchemes"])
    assert "ErrorResponse" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if (path, method) in PUBLIC:
                continue
            assert operation.get("security"), (method, path)
            assert {"401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            assert "HTTPValidationError" not in str(responses), (method, path)
