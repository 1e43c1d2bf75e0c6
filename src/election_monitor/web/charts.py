"""Plotly figures for the pages, built in Python from the same series the JSON twins return.

A figure leaves here as a plain dict (``plotly.io`` JSON): the template writes it into a
``<script type="application/json">`` block and ``static/charts.js`` draws it with the
plotly.js shipped inside the ``plotly`` package, so no inline script and no CDN is needed.
Colours are Okabe-Ito; every series also differs by line dash or marker, never colour alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import plotly
import plotly.graph_objects as go

from election_monitor.dashboard.schemas import ExpectedSeries, HourlySeries

#: The plotly.js bundle of the installed ``plotly`` package, served at ``PLOTLY_ROUTE``.
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PLOTLY_ROUTE = "/static/vendor/plotly.min.js"

#: Okabe-Ito: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILION, SKY, PURPLE, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#999999",
)


def _local(hours: list[datetime], zone: str) -> list[str]:
    tz = ZoneInfo(zone)
    return [h.astimezone(tz).strftime("%Y-%m-%d %H:%M") for h in hours]


def _layout(title: str, y_title: str, zone: str) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": f"Local time ({zone})"}},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.25},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
        "hovermode": "x unified",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, sans-serif"},
    }


def _plain(figure: go.Figure) -> dict[str, Any]:
    """The figure as JSON-ready data for plotly.js (plotly.py's own theme left out)."""
    data: dict[str, Any] = orjson.loads(figure.to_json())
    data["layout"].pop("template", None)
    return data


def hourly_figure(
    series: HourlySeries, expected: ExpectedSeries, zone: str, labels: dict[str, str]
) -> dict[str, Any]:
    """Bulletins and votes per hour, with the model's expected band for votes."""
    x = _local(series.hours, zone)
    fig = go.Figure(layout=_layout(labels["hourly"], labels["per_hour"], zone))
    if expected.hours:
        ex = _local(expected.hours, zone)
        fig.add_scatter(
            x=ex, y=expected.upper, mode="lines", line={"width": 0}, name=labels["band_upper"],
            showlegend=False, hoverinfo="skip", connectgaps=False,
        )  # fmt: skip
        fig.add_scatter(
            x=ex, y=expected.lower, mode="lines", line={"width": 0}, fill="tonexty",
            fillcolor="rgba(86,180,233,0.25)", name=labels["band"], connectgaps=False,
        )  # fmt: skip
        fig.add_scatter(
            x=ex, y=expected.expected, mode="lines", name=labels["expected"],
            line={"color": SKY, "dash": "dot", "width": 2}, connectgaps=False,
        )  # fmt: skip
    fig.add_bar(x=x, y=series.bulletins_issued, name=labels["bulletins"], marker_color=ORANGE)
    fig.add_scatter(
        x=x, y=series.votes_cast, name=labels["votes"], mode="lines+markers",
        line={"color": BLUE, "width": 2}, marker={"symbol": "circle", "size": 5},
    )  # fmt: skip
    return _plain(fig)


def cumulative_figure(series: HourlySeries, zone: str, labels: dict[str, str]) -> dict[str, Any]:
    """Cumulative votes under cumulative bulletins: the invariant as two lines."""
    x = _local(series.hours, zone)
    fig = go.Figure(layout=_layout(labels["cumulative"], labels["total"], zone))
    fig.add_scatter(
        x=x, y=series.cumulative_bulletins, name=labels["cum_bulletins"], mode="lines",
        line={"color": ORANGE, "width": 3},
    )  # fmt: skip
    fig.add_scatter(
        x=x, y=series.cumulative_votes, name=labels["cum_votes"], mode="lines",
        line={"color": BLUE, "width": 2, "dash": "dash"},
    )  # fmt: skip
    breach = [v if v > b else None for v, b in zip(
        series.cumulative_votes, series.cumulative_bulletins, strict=True
    )]  # fmt: skip
    if any(v is not None for v in breach):
        fig.add_scatter(
            x=x, y=breach, name=labels["breach"], mode="markers",
            marker={"color": VERMILION, "symbol": "triangle-up", "size": 10},
        )  # fmt: skip
    return _plain(fig)


def velocity_figure(series: HourlySeries, zone: str, labels: dict[str, str]) -> dict[str, Any]:
    """Bulletins and votes per minute, hour by hour."""
    x = _local(series.hours, zone)
    fig = go.Figure(layout=_layout(labels["velocity"], labels["per_minute"], zone))
    fig.add_scatter(
        x=x, y=series.bulletin_velocity, name=labels["bulletins"], mode="lines",
        line={"color": ORANGE, "width": 2},
    )  # fmt: skip
    fig.add_scatter(
        x=x, y=series.vote_velocity, name=labels["votes"], mode="lines",
        line={"color": BLUE, "width": 2, "dash": "dash"},
    )  # fmt: skip
    return _plain(fig)


def window_figure(
    series: HourlySeries,
    zone: str,
    labels: dict[str, str],
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """The hours around an alert, its window shaded."""
    fig = go.Figure(layout=_layout(labels["window"], labels["per_hour"], zone))
    x = _local(series.hours, zone)
    fig.add_bar(x=x, y=series.bulletins_issued, name=labels["bulletins"], marker_color=ORANGE)
    fig.add_scatter(
        x=x, y=series.votes_cast, name=labels["votes"], mode="lines+markers",
        line={"color": BLUE, "width": 2}, marker={"symbol": "circle", "size": 5},
    )  # fmt: skip
    (x0,), (x1,) = _local([start], zone), _local([end], zone)
    fig.add_vrect(
        x0=x0, x1=x1, fillcolor=VERMILION, opacity=0.15, line_width=1, line_dash="dot",
        annotation_text=labels["alert_window"], annotation_position="top left",
    )  # fmt: skip
    return _plain(fig)


def chart_labels(gettext: Callable[[str], str]) -> dict[str, str]:
    """The figures' words in the reader's language."""
    words = {
        "hourly": "Bulletins and votes per hour, with the expected band",
        "per_hour": "per hour",
        "band": "expected band (95 %)",
        "band_upper": "expected band, upper edge",
        "expected": "expected votes",
        "bulletins": "bulletins issued",
        "votes": "votes cast",
        "cumulative": "Cumulative votes under cumulative bulletins",
        "total": "since the start",
        "cum_bulletins": "cumulative bulletins",
        "cum_votes": "cumulative votes",
        "breach": "votes above bulletins",
        "velocity": "Velocity",
        "per_minute": "per minute",
        "window": "The hours around the alert",
        "alert_window": "alert window",
    }
    return {key: gettext(text) for key, text in words.items()}
