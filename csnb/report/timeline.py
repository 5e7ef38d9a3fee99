"""The milestone timeline: bars from start to due, coloured and shaped by status, critical path outlined."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import pandas as pd

from csnb.report.charts import STATUS_COLOURS, STATUS_SHAPES, is_missing, to_timestamps

MILESTONE_STATUSES = ("done", "on_track", "at_risk", "late", "blocked", "not_started")
KEEP = (
    "milestone",
    "label",
    "owner",
    "start",
    "due",
    "status",
    "critical",
    "critical_path",
    "criteria",
    "slip_days",
)
TOOLTIP = (
    ("milestone", "nominal"),
    ("label", "nominal"),
    ("owner", "nominal"),
    ("status", "nominal"),
    ("start", "temporal"),
    ("due", "temporal"),
    ("criteria", "nominal"),
    ("slip_days", "quantitative"),
    ("critical_path", "nominal"),
)


def gantt_chart(milestones: pd.DataFrame, as_of: dt.date) -> alt.LayerChart:
    """Milestones as bars from start to due, coloured and marked by status, critical path outlined."""
    frame = _timeline_frame(milestones)
    present = [s for s in MILESTONE_STATUSES if s in set(frame["status"])] or list(MILESTONE_STATUSES)
    status_colour = alt.Color(
        "status:N",
        title="status",
        scale=alt.Scale(domain=present, range=[STATUS_COLOURS[s] for s in present]),
    )
    y = alt.Y("label:N", title=None, sort=alt.EncodingSortField("start", order="ascending"))
    tooltip = [alt.Tooltip(c, type=kind) for c, kind in TOOLTIP if c in frame.columns]
    bars = (
        alt.Chart(frame)
        .mark_bar(height=14, cornerRadius=2)
        .encode(
            x=alt.X("start:T", title=None),
            x2="due:T",
            y=y,
            color=status_colour,
            tooltip=tooltip,
            # Critical milestones get a thick black outline: visible in colour and in greyscale.
            stroke=alt.condition("datum.critical", alt.value("#000000"), alt.value(None)),
            strokeWidth=alt.condition("datum.critical", alt.value(3), alt.value(0)),
        )
    )
    marks = (
        alt.Chart(frame)
        .mark_point(filled=True, size=90, color="#000000")
        .encode(
            x="due:T",
            y=y,
            tooltip=tooltip,
            shape=alt.Shape(
                "status:N",
                title="status",
                scale=alt.Scale(domain=present, range=[STATUS_SHAPES[s] for s in present]),
            ),
        )
    )
    return alt.layer(bars, marks, *_as_of_rule(as_of)).properties(title="Milestones")


def _timeline_frame(milestones: pd.DataFrame) -> pd.DataFrame:
    """The columns the timeline draws: dates as timestamps, a label, criteria met, the critical path."""
    frame = milestones.copy()
    frame["start"], frame["due"] = (
        to_timestamps(frame["start"]).to_numpy(),
        to_timestamps(frame["due"]).to_numpy(),
    )
    frame["label"] = [
        f"{m}  {t}" if not is_missing(t) else str(m)
        for m, t in zip(frame["milestone"], frame.get("title", frame["milestone"]), strict=True)
    ]
    frame["critical"] = frame.get("critical", False)
    frame["critical_path"] = frame["critical"].map({True: "critical path"}).fillna("")
    frame["criteria"] = [_criteria(r) for r in frame.itertuples()]
    return frame[[c for c in KEEP if c in frame.columns]]


def _as_of_rule(as_of: dt.date) -> list[alt.Chart]:
    """A dashed vertical rule at the report date, labelled "as of"."""
    day = pd.DataFrame({"as_of": to_timestamps([as_of]), "label": ["as of"]})
    rule = (
        alt.Chart(day).mark_rule(color="#000000", strokeDash=[4, 2]).encode(x="as_of:T", tooltip=["as_of:T"])
    )
    text = (
        alt.Chart(day)
        .mark_text(align="left", dx=3, dy=-4, baseline="bottom")
        .encode(x="as_of:T", y=alt.value(0), text="label:N")
    )
    return [rule, text]


def _criteria(row: Any) -> str:
    """ "2 of 3 criteria met" from a milestones row (empty when unknown)."""
    met, total = getattr(row, "criteria_met", None), getattr(row, "criteria_total", None)
    if is_missing(met) or is_missing(total):
        return ""
    return f"{int(met)} of {int(total)} criteria met"
