"""A sparkline as a small inline SVG: a few numbers drawn without a chart library, safe in a page or mail."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 100, 24, 2


def _points(values: Sequence[float | None]) -> list[tuple[float, float] | None]:
    known = [v for v in values if v is not None]
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    return [
        None
        if v is None
        else (round(PAD + i * step, 1), round(HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD), 1))
        for i, v in enumerate(values)
    ]


def _runs(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Unbroken stretches of points: a period without a value breaks the line rather than bridging it."""
    runs: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            runs.append([])
        else:
            runs[-1].append(p)
    return [r for r in runs if r]


def sparkline(values: Sequence[float | None], colour: str = "#57606a") -> Markup:
    """An SVG sparkline of ``values`` (oldest first, ``None`` for gaps); empty when nothing to draw."""
    if not any(v is not None for v in values):
        return Markup("")
    points = _points(values)
    lines = "".join(
        f'<polyline points="{" ".join(f"{x},{y}" for x, y in run)}" fill="none" stroke="{colour}" '
        'stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>'
        for run in _runs(points)
    )
    last = next(p for p in reversed(points) if p is not None)
    dot = f'<circle cx="{last[0]}" cy="{last[1]}" r="2.2" fill="{colour}"/>'
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}">{lines}{dot}</svg>'
    )


def sparkline_img(values: Sequence[float | None], colour: str = "#57606a", label: str = "") -> Markup:
    """The sparkline as an ``<img>`` with a data URI: it survives the report's HTML sanitizer (which keeps
    no inline ``<svg>``), makes no request, and scales to its cell."""
    svg = sparkline(values, colour)
    if not svg:
        return Markup("")
    data = base64.b64encode(str(svg).encode()).decode("ascii")
    return Markup(
        f'<img class="csnb-spark" src="data:image/svg+xml;base64,{data}" alt="{escape(label)}" '
        f'width="{WIDTH}" height="{HEIGHT}" style="width:7em;height:auto">'
    )
