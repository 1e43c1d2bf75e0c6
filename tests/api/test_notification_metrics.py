"""``/metrics`` shows the dispatcher's counters per channel (sent, failed, retried,
dead-lettered) and the deliveries by status, and they move as the real dispatcher works."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from election_monitor.notify import Dispatcher, NotifySettings
from election_monitor.notify.receiver import WebhookReceiver
from tests.api.conftest import Api
from tests.factories import make_constituency, make_election
from tests.notify.test_delivery import offline, raise_all

SECRET = "metrics-secret-1"
COUNTERS = ("sent", "failed", "retried", "dead_lettered")


def scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = api.client.get("/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_notification_counters_appear_on_metrics_and_move(api: Api) -> None:
    text = api.client.get("/metrics").text
    for name in COUNTERS:
        assert f"# TYPE elmon_notifications_{name}_total counter" in text
    with api.session() as db:
        election = make_election(db)
        cids = [make_constituency(db, election_id=election.id, region=r).id for r in ("1", "2")]
        db.commit()
    with WebhookReceiver(SECRET) as receiver:
        receiver.state.respond = lambda n: 500 if n == 0 else None  # the first try fails
        for name, url in (("hook", receiver.url), ("down", "http://127.0.0.1:9/hook")):
            config = {"url": url, "secret": SECRET, "timeout_seconds": 1}
            api.post("/api/v1/notifications/channels", role="lead",
                     json={"name": name, "kind": "webhook", "config": config})  # fmt: skip
            api.post("/api/v1/notifications/rules", role="lead", json={"channel": name})
        raise_all(api.engine, [offline(cids[0])])
        settings = NotifySettings(
            group_wait_seconds=0, backoff_seconds=0.01, backoff_max_seconds=0.02, max_attempts=2
        )
        counters = api.client.app.state.notify_counters  # type: ignore[attr-defined]
        dispatcher = Dispatcher(api.engine, settings=settings, counters=counters)
        for _ in range(100):
            dispatcher.run_once()
            if len(receiver.state.unique) == 1 and value(
                scrape(api), "elmon_notifications_dead_lettered_total", channel="down"
            ):
                break
        dispatcher.stop()
    samples = scrape(api)
    assert value(samples, "elmon_notifications_sent_total", channel="hook") == 1
    assert value(samples, "elmon_notifications_failed_total", channel="hook") == 1
    assert value(samples, "elmon_notifications_retried_total", channel="hook") == 1
    assert value(samples, "elmon_notifications_dead_lettered_total", channel="hook") == 0
    assert value(samples, "elmon_notifications_failed_total", channel="down") == 2
    assert value(samples, "elmon_notifications_retried_total", channel="down") == 1
    assert value(samples, "elmon_notifications_dead_lettered_total", channel="down") == 1
    deliveries = "elmon_notification_deliveries"
    assert value(samples, deliveries, channel="hook", status="delivered") == 1
    assert value(samples, deliveries, channel="down", status="dead") == 1
