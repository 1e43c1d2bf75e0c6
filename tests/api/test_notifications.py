"""Notification routes: channels (secrets never shown), rules, silences, my own preferences and
subscriptions, dead letters and their retry, and one alert's delivery log; every change is
audited. Deliveries go through the real dispatcher to a real receiver on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from election_monitor.models import Alert, AuditLog, NotificationChannel
from election_monitor.notify import Dispatcher, NotifySettings
from election_monitor.notify.receiver import WebhookReceiver
from election_monitor.timeutil import utcnow
from tests.api.conftest import Api
from tests.factories import make_constituency, make_election
from tests.notify.test_delivery import offline, raise_all

SECRET = "api-secret-1234"
BASE = "/api/v1/notifications"


def actions(api: Api) -> list[str]:
    with api.session() as db:
        return list(db.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_openapi_lists_the_notification_routes(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in (f"{BASE}/channels", f"{BASE}/rules", f"{BASE}/silences",
                 f"{BASE}/dead-letters", "/api/v1/me/subscriptions",
                 "/api/v1/me/notifications", "/api/v1/alerts/{alert_id}/deliveries"):  # fmt: skip
        assert path in paths


def test_channel_crud_never_returns_secrets_and_is_audited(api: Api) -> None:
    body = {"name": "team", "kind": "webhook",
            "config": {"url": "http://127.0.0.1:9/hook", "secret": SECRET}}  # fmt: skip
    assert api.post(f"{BASE}/channels", role="viewer", json=body).status_code == 403
    assert api.post(f"{BASE}/channels", role="observer", json=body).status_code == 403
    made = api.post(f"{BASE}/channels", role="lead", json=body)
    assert made.status_code == 201, made.text
    channel = made.json()
    assert channel["config"]["secret"] == "***"
    assert SECRET not in made.text
    assert channel["status"] == "unknown"
    assert api.post(f"{BASE}/channels", role="lead", json=body).status_code == 409
    bad = {**body, "name": "bad", "config": {"url": "ftp://x", "secret": SECRET}}
    refused = api.post(f"{BASE}/channels", role="lead", json=bad)
    assert refused.status_code == 422
    assert "url must start with http" in refused.json()["detail"]
    # Sending back what GET showed keeps the secret; the URL changes.
    shown = api.get(f"{BASE}/channels/team", role="lead").json()
    config = {**shown["config"], "url": "http://127.0.0.1:10/hook"}
    changed = api.patch(f"{BASE}/channels/{channel['id']}", role="lead", json={"config": config})
    assert changed.status_code == 200, changed.text
    assert SECRET not in changed.text
    with api.session() as db:
        stored = db.get(NotificationChannel, channel["id"])
        assert stored is not None
        assert stored.config["secret"] == SECRET
        assert stored.config["url"] == "http://127.0.0.1:10/hook"
    listed = api.get(f"{BASE}/channels", role="lead")
    assert [c["name"] for c in listed.json()] == ["team"]
    assert SECRET not in listed.text
    assert api.get(f"{BASE}/channels", role="observer").status_code == 403
    assert api.delete(f"{BASE}/channels/team", role="lead").status_code == 204
    assert api.get(f"{BASE}/channels/team", role="lead").status_code == 404
    assert actions(api)[-3:] == ["channel.create", "channel.update", "channel.delete"]
    with api.session() as db:
        details = list(db.scalars(select(AuditLog.details)))
    assert SECRET not in str(details)


def test_rules_crud_checks_values_and_is_audited(api: Api) -> None:
    api.post(f"{BASE}/channels", role="lead", json={
        "name": "team", "kind": "webhook",
        "config": {"url": "http://127.0.0.1:9/hook", "secret": SECRET}})  # fmt: skip
    body = {"name": "critical only", "channel": "team", "severities": ["critical"]}
    assert api.post(f"{BASE}/rules", role="observer", json=body).status_code == 403
    made = api.post(f"{BASE}/rules", role="lead", json=body)
    assert made.status_code == 201, made.text
    rule = made.json()
    assert rule["severities"] == ["critical"]
    assert rule["created_by"] == "lead"
    wrong = api.post(f"{BASE}/rules", role="lead", json={**body, "severities": ["huge"]})
    assert wrong.status_code == 422
    assert (
        api.post(f"{BASE}/rules", role="lead", json={**body, "channel": "none"}).status_code == 404
    )
    changed = api.patch(f"{BASE}/rules/{rule['id']}", role="lead",
                        json={"region": "77", "changes": ["raised", "resolved"]})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["region"] == "77"
    assert changed.json()["severities"] == ["critical"]  # not given: unchanged
    assert api.get(f"{BASE}/rules/{rule['id']}", role="lead").json()["changes"] == [
        "raised",
        "resolved",
    ]
    assert api.delete(f"{BASE}/rules/{rule['id']}", role="lead").status_code == 204
    assert api.get(f"{BASE}/rules", role="lead").json() == []
    assert actions(api)[-3:] == [
        "notification_rule.create",
        "notification_rule.update",
        "notification_rule.delete",
    ]


def test_silences_are_created_listed_and_expired_by_leads(api: Api) -> None:
    ends = (utcnow() + timedelta(hours=2)).isoformat()
    body = {"matchers": {"region": "77"}, "ends_at": ends, "comment": "planned maintenance"}
    assert api.post(f"{BASE}/silences", role="observer", json=body).status_code == 403
    made = api.post(f"{BASE}/silences", role="lead", json=body)
    assert made.status_code == 201, made.text
    silence = made.json()
    assert silence["author"] == "lead"
    assert silence["active"] is True
    assert [s["id"] for s in api.get(f"{BASE}/silences?active=true").json()] == [silence["id"]]
    bad = api.post(f"{BASE}/silences", role="lead", json={**body, "matchers": {"colour": "red"}})
    assert bad.status_code == 422
    assert "unknown matcher" in bad.json()["detail"]
    assert api.post(f"{BASE}/silences/{silence['id']}/expire", role="viewer").status_code == 403
    ended = api.post(f"{BASE}/silences/{silence['id']}/expire", role="lead")
    assert ended.status_code == 200
    assert ended.json()["active"] is False
    assert api.post(f"{BASE}/silences/{silence['id']}/expire", role="lead").status_code == 409
    assert api.get(f"{BASE}/silences?active=true").json() == []
    assert api.get(f"{BASE}/silences/{silence['id']}").json()["expired_at"] is not None
    assert actions(api)[-2:] == ["silence.create", "silence.expire"]


def test_each_person_sets_their_own_preferences_and_subscriptions(api: Api) -> None:
    me = "/api/v1/me"
    prefs = {"email": "v@example.org", "language": "ru", "quiet_hours_start": "22:00",
             "quiet_hours_end": "07:00", "timezone": "Europe/Moscow"}  # fmt: skip
    changed = api.patch(f"{me}/notifications", role="viewer", json=prefs)
    assert changed.status_code == 200, changed.text
    assert changed.json() == prefs
    assert api.get(f"{me}/notifications", role="viewer").json() == prefs
    assert api.get(f"{me}/notifications", role="lead").json()["email"] is None
    bad = api.patch(f"{me}/notifications", role="viewer", json={"quiet_hours_start": "25:99"})
    assert bad.status_code == 422
    made = api.post(f"{me}/subscriptions", role="viewer", json={"severities": ["critical"]})
    assert made.status_code == 201, made.text
    rule = made.json()
    assert rule["user_id"] == api.user_ids["viewer"]
    assert [r["id"] for r in api.get(f"{me}/subscriptions", role="viewer").json()] == [rule["id"]]
    assert api.get(f"{me}/subscriptions", role="observer").json() == []
    # Someone else's subscription is not found, whatever their role.
    assert api.delete(f"{me}/subscriptions/{rule['id']}", role="admin").status_code == 404
    assert api.delete(f"{me}/subscriptions/{rule['id']}", role="viewer").status_code == 204
    assert api.get(f"{me}/subscriptions", role="viewer").json() == []
    assert actions(api)[-3:] == [
        "user.notification_preferences",
        "notification_rule.create",
        "notification_rule.delete",
    ]


def test_dead_letter_is_listed_retried_and_shown_in_the_alert_delivery_log(api: Api) -> None:
    with api.session() as db:
        election = make_election(db)
        cid = make_constituency(db, election_id=election.id).id
        db.commit()
    down = {"url": "http://127.0.0.1:9/hook", "secret": SECRET, "timeout_seconds": 1}
    api.post(f"{BASE}/channels", role="lead", json={"name": "hook", "kind": "webhook",
                                                     "config": down})  # fmt: skip
    api.post(f"{BASE}/rules", role="lead", json={"channel": "hook"})
    raise_all(api.engine, [offline(cid)])
    with api.session() as db:
        alert_id = db.scalars(select(Alert.id)).one()
    settings = NotifySettings(group_wait_seconds=0, max_attempts=1)
    dispatcher = Dispatcher(api.engine, settings=settings)
    dispatcher.run_until_idle()
    page = api.get(f"{BASE}/dead-letters").json()
    assert page["total"] == 1
    dead = page["items"][0]
    assert dead["channel_name"] == "hook"
    assert "cannot reach" in dead["last_error"]
    log = api.get(f"/api/v1/alerts/{alert_id}/deliveries").json()
    assert [(e["id"], e["status"], e["alert_change"]) for e in log] == [
        (dead["id"], "dead", "raised")
    ]
    health = api.get(f"{BASE}/channels/hook", role="lead").json()
    assert health["status"] == "failing"
    assert api.get("/api/v1/alerts/nope/deliveries").status_code == 404
    with WebhookReceiver(SECRET) as receiver:
        api.patch(f"{BASE}/channels/hook", role="lead", json={"config": {"url": receiver.url}})
        assert api.post(f"{BASE}/deliveries/{dead['id']}/retry", role="observer").status_code == 403
        again = api.post(f"{BASE}/deliveries/{dead['id']}/retry", role="lead")
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "pending"
        assert api.post(f"{BASE}/deliveries/{dead['id']}/retry", role="lead").status_code == 409
        dispatcher.run_until_idle()
        dispatcher.stop()
        assert [m.key for m in receiver.state.unique] == [dead["id"]]  # the same key
    log = api.get(f"/api/v1/alerts/{alert_id}/deliveries").json()
    assert [e["status"] for e in log] == ["delivered"]
    assert api.get(f"{BASE}/dead-letters").json()["total"] == 0
    queued = api.post(f"{BASE}/dead-letters/retry", role="lead", json={"channel": "hook"})
    assert queued.json() == {"queued": 0}
    assert "delivery.retry" in actions(api)
