"""Elections and constituencies: lists with filters, sorting and pages; changes by leads;
the dashboard summary and hourly series."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.api.factories import World, world


@pytest.fixture
def w(api: Api) -> World:
    with api.session() as db:
        return world(db)


def test_list_elections_filters_sorts_and_pages(api: Api, w: World) -> None:
    page = api.get("/api/v1/elections?sort=name").json()
    assert page["total"] == 2
    assert [e["name"] for e in page["items"]] == ["EDG 2026", "Other"]
    assert [e["name"] for e in api.get("/api/v1/elections?sort=-name").json()["items"]] == [
        "Other",
        "EDG 2026",
    ]
    active = api.get("/api/v1/elections?status=active").json()
    assert [e["id"] for e in active["items"]] == [w.election.id]
    overlapping = api.get("/api/v1/elections?start=2026-10-18T00:00Z").json()
    assert [e["name"] for e in overlapping["items"]] == ["Other"]
    one = api.get("/api/v1/elections?limit=1&skip=1&sort=name").json()
    assert one["skip"] == 1
    assert one["limit"] == 1
    assert [e["name"] for e in one["items"]] == ["Other"]


def test_limit_is_clamped_not_refused(api: Api, w: World) -> None:
    page = api.get("/api/v1/elections?limit=100000").json()
    assert page["limit"] == 500


def test_invalid_filter_and_sort_values_are_422_with_the_allowed_values(api: Api) -> None:
    bad_status = api.get("/api/v1/elections?status=done").json()
    assert bad_status["error"] == "ValidationError"
    assert bad_status["errors"][0]["field"] == "query.status"
    assert bad_status["errors"][0]["allowed"] == ["active", "completed", "upcoming"]
    bad_sort = api.get("/api/v1/elections?sort=colour")
    assert bad_sort.status_code == 422
    assert "-start_date" in bad_sort.json()["detail"]
    bad_limit = api.get("/api/v1/elections?limit=0")
    assert bad_limit.status_code == 422
    assert bad_limit.json()["errors"][0]["field"] == "query.limit"


def test_create_and_update_election_need_lead_and_are_audited(api: Api) -> None:
    body = {
        "name": "By-election",
        "start_date": "2026-12-01T05:00:00Z",
        "end_date": "2026-12-03T17:00:00Z",
        "status": "upcoming",
        "timezone": "Europe/Moscow",
    }
    for role in ("viewer", "observer"):
        assert api.post("/api/v1/elections", role=role, json=body).status_code == 403
    created = api.post("/api/v1/elections", role="lead", json=body)
    assert created.status_code == 201
    eid = created.json()["id"]
    assert api.get(f"/api/v1/elections/{eid}").json()["timezone"] == "Europe/Moscow"
    assert api.patch(f"/api/v1/elections/{eid}", role="observer", json={}).status_code == 403
    changed = api.patch(f"/api/v1/elections/{eid}", json={"status": "active"}).json()
    assert changed["status"] == "active"
    entries = api.get(f"/api/v1/audit?entity_id={eid}", role="admin").json()["items"]
    assert [e["action"] for e in entries] == ["election.update", "election.create"]
    assert entries[0]["details"] == {"status": ["upcoming", "active"]}


def test_election_validation_errors(api: Api, w: World) -> None:
    reversed_dates = api.post(
        "/api/v1/elections",
        role="lead",
        json={"name": "x", "start_date": "2026-12-03T00:00Z", "end_date": "2026-12-01T00:00Z",
              "status": "active"},
    )  # fmt: skip
    assert reversed_dates.status_code == 422
    assert reversed_dates.json()["errors"][0]["message"] == "End date must be after start date"
    bad_status = api.post(
        "/api/v1/elections",
        role="lead",
        json={"name": "x", "start_date": "2026-12-01T00:00Z", "end_date": "2026-12-03T00:00Z",
              "status": "finished"},
    )  # fmt: skip
    assert (
        "Status must be one of ['active', 'completed', 'upcoming']" in bad_status.json()["detail"]
    )
    patch = api.patch(f"/api/v1/elections/{w.election.id}", json={"end_date": "2020-01-01T00:00Z"})
    assert patch.status_code == 422
    missing = api.patch("/api/v1/elections/nope", json={"name": "x"})
    assert missing.status_code == 404


def test_summary_counts_constituencies_participation_and_alerts(api: Api, w: World) -> None:
    summary = api.get(f"/api/v1/elections/{w.election.id}/summary").json()
    assert summary["election"]["id"] == w.election.id
    assert summary["constituencies"] == {
        "total": 2,
        "by_status": {"active": 1, "offline": 1, "completed": 0},
        "inferred": 0,
        "awaiting_data": 0,
    }
    p = summary["participation"]
    assert (p["registered_voters"], p["bulletins_issued"], p["votes_cast"]) == (1500, 400, 370)
    assert p["participation_rate"] == pytest.approx(24.6667)
    alerts = summary["alerts"]
    assert alerts["total"] == 3
    assert alerts["open"] == 2
    assert alerts["by_status"] == {"active": 2, "investigating": 0, "resolved": 1, "snoozed": 0}
    assert alerts["open_by_severity"] == {"critical": 1, "warning": 1, "info": 0}
    assert summary["last_data_time"] == "2026-09-18T07:00:00Z"
    assert api.get("/api/v1/elections/nope/summary").status_code == 404


def test_election_series_sums_constituencies_per_hour(api: Api, w: World) -> None:
    series = api.get(f"/api/v1/elections/{w.election.id}/series").json()
    assert series["hours"] == ["2026-09-18T05:00:00Z", "2026-09-18T06:00:00Z"]
    assert series["bulletins_issued"] == [200, 200]
    assert series["votes_cast"] == [200, 170]
    assert series["cumulative_bulletins"] == [200, 400]


def test_list_constituencies_by_every_filter_and_sort(api: Api, w: World) -> None:
    def ids(query: str) -> list[str]:
        return [c["id"] for c in api.get(f"/api/v1/constituencies?{query}").json()["items"]]

    assert ids("") == ["C1", "C2", "C3"]
    assert ids(f"election_id={w.election.id}&sort=-votes_cast") == ["C1", "C2"]
    assert ids("region=77") == ["C1", "C3"]
    assert ids("status=offline") == ["C2"]
    assert ids("type=rural") == ["C2"]
    assert ids("sort=-participation_rate")[0] == "C1"
    bad = api.get("/api/v1/constituencies?type=city").json()
    assert bad["errors"][0]["allowed"] == ["urban", "rural", "suburban", "unknown"]


def test_create_get_and_update_constituency(api: Api, w: World) -> None:
    body = {"id": "C9", "election_id": w.election.id, "name": "Nine", "region": "78",
            "type": "suburban", "registered_voters": 400}  # fmt: skip
    assert api.post("/api/v1/constituencies", role="observer", json=body).status_code == 403
    assert api.post("/api/v1/constituencies", role="lead", json=body).status_code == 201
    assert api.post("/api/v1/constituencies", role="lead", json=body).status_code == 409
    orphan = api.post(
        "/api/v1/constituencies", role="lead", json={**body, "id": "C10", "election_id": "nope"}
    )
    assert orphan.status_code == 404
    assert api.get("/api/v1/constituencies/C9").json()["registered_voters"] == 400
    changed = api.patch("/api/v1/constituencies/C1", json={"registered_voters": 500}).json()
    assert changed["participation_rate"] == 50.0
    assert api.get("/api/v1/constituencies/nope").status_code == 404
    bad_type = api.patch("/api/v1/constituencies/C1", json={"type": "village"})
    assert bad_type.status_code == 422
    assert "Type must be one of" in bad_type.json()["detail"]


def test_constituency_series_fills_gaps_and_respects_the_window(api: Api, w: World) -> None:
    series = api.get("/api/v1/constituencies/C1/series").json()
    assert series["constituency_id"] == "C1"
    assert series["votes_cast"] == [80, 170]
    assert series["cumulative_votes"] == [80, 250]
    assert series["vote_velocity"] == [round(80 / 60, 4), round(170 / 60, 4)]
    later = api.get("/api/v1/constituencies/C1/series?start=2026-09-18T06:00Z").json()
    assert later["hours"] == ["2026-09-18T06:00:00Z"]
    assert api.get("/api/v1/constituencies/C3/series").json()["hours"] == []
    assert api.get("/api/v1/constituencies/nope/series").status_code == 404
    backwards = api.get(
        "/api/v1/constituencies/C1/series?start=2026-09-19T00:00Z&end=2026-09-18T00:00Z"
    )
    assert backwards.status_code == 422


def test_transactions_filter_by_constituency_type_time_and_height(api: Api, w: World) -> None:
    def ids(query: str) -> list[str]:
        return [t["id"] for t in api.get(f"/api/v1/transactions?{query}").json()["items"]]

    assert ids("") == ["TX0", "TX1", "TX2", "TX3", "TX4"]
    assert ids("constituency_id=C2") == ["TX4"]
    assert ids("type=vote") == ["TX1", "TX3"]
    assert ids("start_time=2026-09-18T05:20Z&end_time=2026-09-18T06:00Z") == ["TX1", "TX2"]
    assert ids("block_height=102") == ["TX2"]
    assert ids("min_block_height=103&sort=-block_height") == ["TX4", "TX3"]
    assert api.get("/api/v1/transactions/TX3").json()["raw_data"] == {"n": 3}
    assert api.get("/api/v1/transactions/nope").status_code == 404
    bad = api.get("/api/v1/transactions?type=transfer").json()
    assert bad["errors"][0]["allowed"] == ["blindSigIssue", "vote"]
    assert api.get("/api/v1/transactions?block_height=-1").status_code == 422


def test_hourly_stats_filter_by_constituency_election_and_hours(api: Api, w: World) -> None:
    def rows(query: str) -> list[tuple[str, str]]:
        items = api.get(f"/api/v1/hourly-stats?{query}").json()["items"]
        return [(h["constituency_id"], h["hour"][11:16]) for h in items]

    assert rows(f"election_id={w.election.id}") == [("C1", "05:00"), ("C2", "05:00"),
                                                   ("C1", "06:00")]  # fmt: skip
    assert rows("constituency_id=C1&start_hour=2026-09-18T06:00Z") == [("C1", "06:00")]
    assert rows("end_hour=2026-09-18T05:00Z&sort=-votes_cast") == [("C2", "05:00"),
                                                                  ("C1", "05:00")]  # fmt: skip


def test_constituency_score_explains_its_contributions(api: Api, w: World) -> None:
    from election_monitor.models import AnomalyScore
    from election_monitor.timeutil import utcnow

    with api.session() as db:
        db.add(AnomalyScore(constituency_id="C1", score=0.7, computed_at=utcnow(),
                            components=[{"family": "spike", "contribution": 0.7}]))  # fmt: skip
        db.commit()
    score = api.get("/api/v1/constituencies/C1/score").json()
    assert score["components"] == [{"family": "spike", "contribution": 0.7}]
    assert score["name"] == "Alpha"
    assert api.get("/api/v1/constituencies/C2/score").json()["components"] == []
    assert api.get("/api/v1/constituencies/nope/score").status_code == 404


def test_lead_imports_a_registry_and_runs_detection_over_http(api: Api, w: World) -> None:
    eid = w.election.id
    csv = "id;name;region;type;registered_voters;timezone\nNEWC;District 9;66;rural;1200;\n"
    refused = api.client.post(
        f"/api/v1/elections/{eid}/registry", headers=api.auth("observer"), content=csv
    )
    assert refused.status_code == 403
    imported = api.client.post(
        f"/api/v1/elections/{eid}/registry", headers=api.auth("lead"), content=csv
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"created": 1, "updated": 0, "rejected": []}
    assert api.get("/api/v1/constituencies/NEWC").json()["registered_voters"] == 1200
    bad = api.client.post(
        f"/api/v1/elections/{eid}/registry",
        headers=api.auth("lead"),
        content="NEWD;District;66;metropolis;10\n",
    )
    assert bad.status_code == 200
    assert "Type must be one of" in bad.json()["rejected"][0]

    ran = api.post(f"/api/v1/elections/{eid}/detect", role="lead", json={})
    assert ran.status_code == 200, ran.text
    assert ran.json()["reports"][0]["election_id"] == eid
    missing = api.post("/api/v1/elections/nope/detect", role="lead", json={})
    assert missing.status_code == 404
    actions = [
        e["action"] for e in api.get(f"/api/v1/audit?entity_id={eid}", role="admin").json()["items"]
    ]
    assert actions[:2] == ["detection.run", "registry.import"]
