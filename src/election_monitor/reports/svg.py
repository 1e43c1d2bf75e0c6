"""Charts as inline SVG, drawn from the data by a few lines of our own (no browser, no
kaleido): the output is plain text, so it is byte-for-byte reproducible and prints in PDF.

Colours are from the Okabe-Ito colour-blind-safe palette.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

BLUE = "#0072B2"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
GREY = "#6b6b6b"


@dataclass(frozen=True)
class Series:
    """One line: a label, a colour and one value per x position."""

    label: str
    values: Sequence[float]
    colour: str = BLUE


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return float(factor * step)
    return float(10 * step)


def line_chart(
    hours: Sequence[datetime],
    series: Sequence[Series],
    *,
    title: str,
    highlight: Sequence[datetime] = (),
    width: int = 640,
    height: int = 200,
) -> str:
    """A line chart over hours; ``highlight`` hours get a shaded band (the alert's evidence)."""
    left, right, top, bottom = 48, 10, 24, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(hours)
    peak = _nice_max(max((max(s.values, default=0) for s in series), default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="14" font-size="12" font-family="DejaVu Sans, sans-serif">'
        f"{escape(title)}</text>",
    ]

    def x_of(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * v / peak

    wanted = set(highlight)
    band = plot_w / max(n - 1, 1)
    for i, hour in enumerate(hours):
        if hour in wanted:
            parts.append(
                f'<rect x="{_num(x_of(i) - band / 2)}" y="{top}" width="{_num(band)}" '
                f'height="{plot_h}" fill="{VERMILLION}" fill-opacity="0.18"/>'
            )
    for frac in (0.0, 0.5, 1.0):
        y = y_of(peak * frac)
        parts.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{left + plot_w}" y2="{_num(y)}" '
            f'stroke="#cccccc" stroke-width="0.5"/>'
            f'<text x="{left - 4}" y="{_num(y + 3)}" font-size="9" text-anchor="end" '
            f'font-family="DejaVu Sans, sans-serif">{_num(peak * frac)}</text>'
        )
    if n:
        step = max(1, n // 6)
        ticks = [i for i in range(0, n, step) if n - 1 - i >= step / 2 or i == 0] + [n - 1]
        for i in sorted(set(ticks)):
            anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
            parts.append(
                f'<text x="{_num(x_of(i))}" y="{height - 10}" font-size="9" '
                f'text-anchor="{anchor}" font-family="DejaVu Sans, sans-serif">'
                f"{hours[i]:%d.%m %H:00}</text>"
            )
    for k, s in enumerate(series):
        points = " ".join(f"{_num(x_of(i))},{_num(y_of(v))}" for i, v in enumerate(s.values))
        if points:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{s.colour}" stroke-width="1.5"/>'
            )
        lx = left + 8 + 150 * k
        parts.append(
            f'<rect x="{lx}" y="{top + 2}" width="10" height="3" fill="{s.colour}"/>'
            f'<text x="{lx + 14}" y="{top + 7}" font-size="9" '
            f'font-family="DejaVu Sans, sans-serif">{escape(s.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
