"""Sparklines for the e-mail body: small PNG images of a goal's recent values, drawn by Vega-Lite.

Mail clients show neither SVG nor script, so each sparkline is a PNG carried inside the message and
referenced by ``cid:``. They are drawn by vl-convert in one throwaway subprocess per message (see
``csnb.render.vega`` for why csnb never imports vl-convert itself). A gap in the data (``null``) is a
gap in the line, not a line drawn across it.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence

from csnb.render.vega import run_converter

WIDTH, HEIGHT = 120, 32  # CSS pixels in the message; drawn at SCALE for high-density screens
SCALE = 2
MAX_POINTS = 26


def spark_values(values: Sequence[float | None] | None) -> list[float | None]:
    """The last ``MAX_POINTS`` values, finite numbers or None (anything else is a gap)."""
    clean: list[float | None] = []
    for v in list(values or [])[-MAX_POINTS:]:
        number = v if isinstance(v, (int, float)) and not isinstance(v, bool) else None
        clean.append(float(number) if number is not None and math.isfinite(number) else None)
    return clean


def drawable(values: Sequence[float | None] | None) -> bool:
    """True when a sparkline has something to show: at least two values."""
    return sum(v is not None for v in spark_values(values)) >= 2


def spark_spec(values: Sequence[float | None], colour: str) -> dict:
    """The Vega-Lite spec of one sparkline: a line with gaps, its last value marked, no axes."""
    rows = [{"i": i, "v": v} for i, v in enumerate(spark_values(values))]
    x = {"field": "i", "type": "quantitative", "axis": None, "scale": {"zero": False, "nice": False}}
    y = {"field": "v", "type": "quantitative", "axis": None, "scale": {"zero": False}}
    last = max((r["i"] for r in rows if r["v"] is not None), default=0)
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": WIDTH - 8,
        "height": HEIGHT - 8,
        "padding": 4,
        "background": "#ffffff",
        "data": {"values": rows},
        "config": {"view": {"stroke": None}},
        "layer": [
            # a row without a value breaks the line instead of being skipped
            {
                "mark": {
                    "type": "line",
                    "color": colour,
                    "strokeWidth": 2,
                    "invalid": "break-paths-filter-domains",
                }
            },
            {
                "transform": [{"filter": f"datum.i == {last}"}],
                "mark": {"type": "circle", "color": colour, "size": 30, "opacity": 1},
            },
        ],
        "encoding": {"x": x, "y": y},
    }


_PNG_CODE = """
import base64, json, sys, vl_convert
specs, scale = json.load(sys.stdin), float(sys.argv[1])
json.dump([base64.b64encode(vl_convert.vegalite_to_png(s, scale=scale)).decode() for s in specs], sys.stdout)
"""


def sparkline_pngs(specs: list[dict]) -> list[bytes]:
    """PNG images of sparkline specs, converted together in one throwaway subprocess."""
    if not specs:
        return []
    encoded = json.loads(run_converter(_PNG_CODE, str(SCALE), stdin=json.dumps(specs)))
    return [base64.b64decode(b) for b in encoded]
