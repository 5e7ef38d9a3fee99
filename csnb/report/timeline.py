"""The milestone timeline: one row per milestone, its title above a bar from start to due, legible on a phone.

Titles are drawn above their bars rather than on a y axis, so the time axis keeps the chart's whole width
at 360 px as at 1,100 px. Bars are coloured and the due-date mark shaped by status (with one legend in
words); the critical path is outlined. Every text a reader sees is plain: titles, owners' names, dates as
``15 Oct 2026``, statuses as words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from csnb.report.charts import (
    AXIS_DATE,
    CONFIG,
    STATUS_COLOURS,
    STATUS_SHAPES,
    ChartSpec,
    days_text,
    is_missing,
    status_word,
    when,
)
from csnb.report.formats import day

MILESTONE_STATUSES = ("done", "on_track", "at_risk", "late", "blocked", "not_started")
ROW_STEP = 44  # pixels per milestone: the title's line above its bar


def gantt_chart(
    milestones: pd.DataFrame, as_of: dt.date, people: Mapping[str, str] | None = None
) -> ChartSpec:
    """Milestones as bars from start to due, coloured and marked by status, critical path outlined.

    ``people`` maps owner ids to names for the tooltips (without it, tooltips name no owner).
    """
    rows = _rows(milestones, people)
    present = [s for s in MILESTONE_STATUSES if any(r["status"] == s for r in rows)] or list(
        MILESTONE_STATUSES
    )
    words = [status_word(s) for s in present]
    colour = {
        "field": "state",
        "type": "nominal",
        "title": "Status",
        "scale": {"domain": words, "range": [STATUS_COLOURS[s] for s in present]},
    }
    order = [r["key"] for r in sorted(rows, key=lambda r: (r["start"] or "", r["due"] or ""))]
    y = {"field": "key", "type": "nominal", "axis": None, "sort": order}
    x = {"field": "start", "type": "temporal", "title": None, "axis": {"format": AXIS_DATE}}
    tooltip = [{"field": f, "title": t} for f, t in _TOOLTIP if people or f != "owner"]
    bars = {
        "mark": {"type": "bar", "height": 12, "cornerRadius": 2},
        "encoding": {
            "x": x,
            "x2": {"field": "due"},
            "y": y,
            "color": colour,
            "tooltip": tooltip,
            # Critical milestones get a thick black outline: visible in colour and in greyscale.
            "stroke": {"condition": {"test": "datum.critical", "value": "#000000"}, "value": None},
            "strokeWidth": {"condition": {"test": "datum.critical", "value": 3}, "value": 0},
        },
    }
    marks = {
        "mark": {"type": "point", "filled": True, "size": 110, "stroke": "#000000", "strokeWidth": 1},
        "encoding": {
            "x": {"field": "due", "type": "temporal"},
            "y": y,
            "color": colour,
            "shape": {
                "field": "state",
                "type": "nominal",
                "title": "Status",
                "scale": {"domain": words, "range": [STATUS_SHAPES[s] for s in present]},
            },
            "tooltip": tooltip,
        },
    }
    titles = {
        "mark": {
            "type": "text",
            "align": "left",
            "baseline": "bottom",
            "dy": -9,
            "fontWeight": "bold",
            "limit": {"expr": "max(width - 4, 60)"},  # a long title ends in "…" (the tooltip has it whole)
        },
        "encoding": {"y": y, "x": {"value": 0}, "text": {"field": "title"}, "tooltip": tooltip},
    }
    spec = {
        "width": "container",
        "height": {"step": ROW_STEP},
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": rows},
        "layer": [bars, marks, titles, *_as_of_rule(as_of)],
        "config": CONFIG,
    }
    return ChartSpec(spec, label="Milestone timeline", empty=not rows)


_TOOLTIP = (
    ("title", "Milestone"),
    ("state", "Status"),
    ("owner", "Owner"),
    ("span", "Dates"),
    ("criteria", "Criteria"),
    ("slip", "Done"),
    ("path", "Path"),
)


def _rows(milestones: pd.DataFrame, people: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """One row per milestone: where its bar goes, and its tooltip in words."""
    out = []
    for m in milestones.to_dict("records"):
        title = m.get("title")
        owner = m.get("owner")
        out.append(
            {
                "key": str(m["milestone"]),
                "title": str(m["milestone"] if is_missing(title) else title),
                "start": when(m.get("start")),
                "due": when(m.get("due")),
                "status": str(m.get("status") or "not_started"),
                "state": status_word(str(m.get("status") or "not_started")),
                "owner": (people or {}).get(str(owner), "") if not is_missing(owner) else "",
                "span": f"{day(m.get('start'))} to {day(m.get('due'))}",
                "criteria": _criteria(m),
                "slip": "" if is_missing(m.get("slip_days")) else days_text(float(m["slip_days"])),
                "critical": bool(m.get("critical") or False),
                "path": "On the critical path" if m.get("critical") else "",
            }
        )
    return out


def _as_of_rule(as_of: dt.date) -> list[dict[str, Any]]:
    """A dashed vertical rule at the report date, labelled with the date."""
    values = [{"as_of": when(as_of), "label": f"Report date, {day(as_of)}"}]
    x = {"field": "as_of", "type": "temporal"}
    return [
        {
            "data": {"values": values},
            "mark": {"type": "rule", "color": "#000000", "strokeDash": [4, 2]},
            "encoding": {"x": x, "tooltip": [{"field": "label", "title": "Date"}]},
        },
        {
            "data": {"values": values},
            # at the foot of the rule, right of it: clear of the titles, which sit above their bars
            "mark": {
                "type": "text",
                "align": "left",
                "dx": 3,
                "dy": -3,
                "baseline": "bottom",
                "text": "Report date",
            },
            "encoding": {"x": x, "y": {"value": "height"}},
        },
    ]


def _criteria(row: Mapping[str, Any]) -> str:
    """ "2 of 3 criteria met" from a milestones row (empty when unknown)."""
    met, total = row.get("criteria_met"), row.get("criteria_total")
    if is_missing(met) or is_missing(total):
        return ""
    return f"{int(met)} of {int(total)} criteria met"
