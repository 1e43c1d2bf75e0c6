"""Charts: figures in JSON data blocks carry the JSON twins' numbers; plotly.js is served by the
app itself; the expected band and the alert's window have their own API twins."""

from __future__ import annotations

import json
import re
from typing import Any

from election_monitor.web.charts import PLOTLY_JS, PLOTLY_ROUTE
from tests.api.conftest import Api
from tests.api.factories import World
from tests.web.test_pages import sign_in


def figures(page: str) -> dict[str, Any]:
    """The figure data blocks of a page, by id."""
    blocks = re.findall(
        r'<script type="application/json" id="([^"]+)" data-chart>(.*?)</script>', page, re.S
    )
    return {chart_id: json.loads(body) for chart_id, body in blocks}


def trace(figure: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in figure["data"] if t["name"] == name)


def test_constituency_charts_carry_the_series_numbers(api: Api, w: World) -> None:
    series = api.get("/api/v1/constituencies/C1/series").json()
    sign_in(api, "viewer")
    page = api.client.get("/constituencies/C1").text
    found = figures(page)
    assert set(found) == {"chart-hourly", "chart-cumulative", "chart-velocity"}
    assert trace(found["chart-hourly"], "votes cast")["y"] == series["votes_cast"]
    assert trace(found["chart-hourly"], "bulletins issued")["y"] == series["bulletins_issued"]
    cumulative = found["chart-cumulative"]
    assert trace(cumulative, "cumulative bulletins")["y"] == series["cumulative_bulletins"]
    assert trace(cumulative, "cumulative votes")["y"] == series["cumulative_votes"]
    assert trace(found["chart-velocity"], "votes cast")["y"] == series["vote_velocity"]
    assert f'src="{PLOTLY_ROUTE}"' in page
    assert "<script>" not in page  # no inline script: figures are data, drawn by charts.js


def test_cumulative_chart_marks_votes_above_bulletins(api: Api, w: World) -> None:
    sign_in(api, "viewer")
    found = figures(api.client.get("/constituencies/C2").text)
    assert trace(found["chart-cumulative"], "votes above bulletins")["y"] == [120]


def test_expected_twin_has_one_value_per_settled_hour(api: Api, w: World) -> None:
    body = api.get("/api/v1/constituencies/C1/expected").json()
    assert body["constituency_id"] == "C1"
    assert 0 < body["level"] < 0.5
    n = len(body["hours"])
    assert len(body["votes_cast"]) == len(body["expected"]) == len(body["upper"]) == n
    for low, mid, high in zip(body["lower"], body["expected"], body["upper"], strict=True):
        assert (low is None) == (mid is None) == (high is None)
        if mid is not None:
            assert low <= mid + 1  # quantiles of a discrete law around mu
            assert mid <= high + 1
    assert api.get("/api/v1/constituencies/NOPE/expected").status_code == 404


def test_alert_page_charts_the_window_of_its_twin(api: Api, w: World) -> None:
    aid = w.alerts[1].id
    twin = api.get(f"/api/v1/alerts/{aid}/series").json()
    assert twin["alert_id"] == aid
    assert twin["window_start"] < twin["window_end"]
    sign_in(api, "viewer")
    found = figures(api.client.get(f"/alerts/{aid}").text)
    assert trace(found["chart-window"], "votes cast")["y"] == twin["series"]["votes_cast"]
    assert api.get("/api/v1/alerts/NOPE/series").status_code == 404


def test_plotly_js_is_served_by_the_app_without_a_session(api: Api) -> None:
    api.client.cookies.clear()
    response = api.client.get(PLOTLY_ROUTE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.content == PLOTLY_JS.read_bytes()
