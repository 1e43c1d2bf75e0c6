"""The live event stream: alert changes, job progress and constituency totals, replay after
Last-Event-ID, filters, late commits, and an ingest running in another process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, text

from election_monitor.api import create_app
from election_monitor.api.jobrunner import default_hooks
from election_monitor.api.settings import ApiSettings
from election_monitor.events import StreamReader, prune, publish
from election_monitor.models import StreamEvent
from election_monitor.timeutil import utcnow
from tests.api import sse
from tests.api.conftest import Api
from tests.api.factories import World, world
from tests.api.test_jobs import upload, wait_for
from tests.factories import make_election
from tests.pipeline.chain import T0, Voting, write_csv


def stream(api: Api, query: str = "", headers: dict[str, str] | None = None) -> list[sse.Message]:
    response = api.client.get(
        f"/api/v1/events?duration=0.3&{query}", headers={**api.auth("viewer"), **(headers or {})}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return sse.parse_text(response.text)


@pytest.fixture
def w(api: Api) -> World:
    with api.session() as db:
        return world(db)


def test_alert_actions_are_announced_and_replayed_after_last_event_id(api: Api, w: World) -> None:
    aid = w.alerts[0].id
    api.post(f"/api/v1/alerts/{aid}/status", json={"status": "investigating"})
    api.post(f"/api/v1/alerts/{aid}/assign", json={"assignee": "observer"})
    events = stream(api, "last_event_id=0")
    assert [(m.event, m.data["action"]) for m in events] == [
        ("alert.updated", "status"),
        ("alert.updated", "assigned"),
    ]
    first = events[0]
    assert first.data["alert_id"] == aid
    assert first.data["status"] == "investigating"
    assert first.data["actor"] == "observer"
    assert first.data["constituency_id"] == "C2"
    replay = stream(api, headers={"Last-Event-ID": str(first.id)})
    assert [m.id for m in replay] == [events[1].id]
    assert stream(api) == []  # a new client starts with what comes next


def test_stream_filters_by_election_and_kind(api: Api, w: World) -> None:
    with api.engine.begin() as conn:
        publish(conn, kind="job.progress", election_id=w.other.id, data={"job_id": "j"})
        publish(conn, kind="job.progress", election_id=w.election.id, data={"job_id": "k"})
    api.post(f"/api/v1/alerts/{w.alerts[0].id}/notes", json={"text": "x"})
    only_jobs = stream(api, "last_event_id=0&kind=job.progress")
    assert [m.data["job_id"] for m in only_jobs] == ["j", "k"]
    ours = stream(api, f"last_event_id=0&election_id={w.election.id}")
    assert [m.event for m in ours] == ["job.progress", "alert.updated"]
    assert api.get("/api/v1/events?kind=bogus").status_code == 422
    bad_header = api.client.get("/api/v1/events", headers={**api.auth("viewer"),
                                                           "Last-Event-ID": "abc"})  # fmt: skip
    assert bad_header.status_code == 422


def test_a_cursor_older_than_what_is_kept_gets_a_reset(api: Api) -> None:
    with api.engine.begin() as conn:
        for i in range(3):
            publish(conn, kind="job.progress", data={"n": i})
        conn.execute(
            text("UPDATE stream_events SET at = :old"), {"old": utcnow() - timedelta(days=9)}
        )
        assert prune(conn, older_than=utcnow() - timedelta(days=1)) == 2  # the newest stays
    events = stream(api, "last_event_id=0")
    assert [m.event for m in events] == ["stream.reset", "job.progress"]
    assert events[1].data == {"n": 2}


def test_reader_waits_for_a_late_commit_instead_of_skipping_it(api: Api, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: ids always commit in order")
    reader = StreamReader(api.engine, after_id=None, gap_wait=30)
    slow = api.engine.connect()
    slow_tx = slow.begin()
    slow.execute(insert(StreamEvent).values(at=utcnow(), kind="job.progress", data={"n": "slow"}))
    with api.engine.begin() as conn:
        publish(conn, kind="job.progress", data={"n": "fast"})
    assert reader.poll() == []  # the fast event waits behind the uncommitted slow one
    slow_tx.commit()
    slow.close()
    assert [r.data["n"] for r in reader.poll()] == ["slow", "fast"]


def test_an_upload_announces_its_job_totals_and_the_alert_it_raised(
    make_api: Callable[..., Api], tmp_path: Path
) -> None:
    api = make_api(default_hooks)
    with api.session() as db:
        election = make_election(db)
    voting = Voting("CONTRACTV")
    voting.create()
    for i in range(3):
        voting.vote(T0 + 60_000 * i, f"voter{i}")  # votes, but no bulletin was ever issued
    path = write_csv(tmp_path / "CONTRACTV_dump.csv", voting.lines)
    job = upload(api, path, election_id=election.id).json()["job"]
    wait_for(api, job["id"])
    kinds = [m.event for m in stream(api, "last_event_id=0")]
    assert kinds[0] == "job.created"
    assert kinds[-1] == "job.finished"
    assert {"job.progress", "constituencies.refreshed", "alert.created"} <= set(kinds)
    alert = next(m for m in stream(api, "last_event_id=0") if m.event == "alert.created")
    assert alert.data["type"] == "votes_exceed_bulletins"
    assert alert.data["constituency_id"] == "CONTRACTV"


def test_the_stream_delivers_an_alert_raised_by_an_ingest_in_another_process(
    api: Api, api_url: str, api_settings: ApiSettings, tmp_path: Path
) -> None:
    with api.session() as db:
        election = make_election(db)
    voting = Voting("CONTRACTX")
    voting.create()
    for i in range(4):
        voting.vote(T0 + 60_000 * i, f"voter{i}")
    path = write_csv(tmp_path / "CONTRACTX_dump.csv", voting.lines)
    received: list[sse.Message] = []
    connected = threading.Event()
    found = threading.Event()

    def listen(base: str) -> None:
        with (
            httpx.Client(base_url=base, timeout=30) as client,
            client.stream(
                "GET", "/api/v1/events?duration=30", headers=api.auth("viewer")
            ) as response,
        ):
            connected.set()
            for message in sse.parse(response.iter_lines()):
                received.append(message)
                if message.event == "alert.created":
                    found.set()
                    return

    app = create_app(engine=api.engine, settings=api_settings, ingest_hooks=lambda: [])
    with sse.running(app) as base:
        listener = threading.Thread(target=listen, args=(base,), daemon=True)
        listener.start()
        assert connected.wait(10)
        time.sleep(0.3)  # the stream has read its starting cursor
        # `elmon ingest` in its own process: detection runs on every batch there, and the alert
        # it raises reaches this stream through the events table.
        result = subprocess.run(
            [sys.executable, "-m", "election_monitor", "--database-url", api_url, "ingest",
             str(path), "--election-id", election.id, "--json"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert found.wait(20), [m.event for m in received]
        listener.join(5)
    alert = received[-1]
    assert alert.data["type"] == "votes_exceed_bulletins"
    assert alert.data["constituency_id"] == "CONTRACTX"
    assert alert.data["actor"] == "elmon-detect"
