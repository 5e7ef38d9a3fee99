"""Sentences of the report: the status rules glossary, health reasons, what changed and why it matters."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from csnb.indicators.evaluation import SEVERITY
from csnb.indicators.milestones import compare
from csnb.report.formats import day, days, plural, whole
from csnb.report.words import status_word, value

if TYPE_CHECKING:
    from csnb.report.build import Report

RULES = [
    (
        "Periods",
        "Each metric is bucketed by its frequency (weeks start on Monday, months on the 1st) with its "
        "aggregate (sum, mean, last, min, max, count). For a sum or a count, the period that holds the "
        "report date counts only once it is complete: a part-week total is not comparable with a week's "
        "target.",
    ),
    (
        "Current and data as of",
        "Current is the value of the latest period that counts; it is dated by the last observation inside "
        "that period (the date beside each metric), not by the report date.",
    ),
    (
        "Progress",
        "(current − baseline) ÷ (target − baseline): 0% at baseline, 100% at target, whichever direction "
        "is better.",
    ),
    (
        "Expected",
        "Where a straight glide path from baseline date to target date says the metric should have been on "
        "the date of its data: a value from last Wednesday is compared with last Wednesday's glide path, as "
        "on the chart.",
    ),
    (
        "Stale",
        "Data older than the metric's freshness limit (2 days for daily, 10 for weekly, 35 for monthly "
        "metrics unless the plan sets another limit) is shown as “N days old”: its status is kept but "
        "not counted in the health score.",
    ),
    ("Achieved", "Progress has reached 100%."),
    ("Missed", "The target date has passed without reaching the target."),
    ("On track", "Progress is at least expected minus the metric's tolerance."),
    ("At risk", "Progress is within two tolerances below expected."),
    ("Off track", "Progress is more than two tolerances below expected."),
    (
        "No data",
        "No period counts yet at the report date; it is left out of the health score, not counted as zero.",
    ),
    (
        "Source failed",
        "The data source did not answer or refused the query: the metric is not judged, and no report is "
        "sent unless the plan asks for one with a banner naming the source.",
    ),
    (
        "Trend and forecast",
        "The slope over the last few periods that count, and the date that slope reaches the target from the "
        "current value. A forecast is given only when the trend points at the target and that date is not "
        "already past; otherwise the metric is “not on course to reach target”.",
    ),
    (
        "Lead check",
        "For a lead metric, how closely its rises and falls are followed by those of the outcome it should "
        "move, allowing a delay of a few periods. A weak link is flagged as predicting nothing; with too few "
        "points or no variation the answer is “cannot tell yet”. The details are in the appendix.",
    ),
    (
        "Milestone done",
        "Every acceptance criterion held on some period at or before the report date, all at once; it was "
        "achieved on the date of that period's data, and slip is the days from the due date to then "
        "(negative when early).",
    ),
    (
        "Milestone late / not started / blocked",
        "Past its due date and not done; before its start date; or waiting for a milestone it depends on.",
    ),
    (
        "Milestone at risk",
        "Due within its review window (7 days unless set) and some criterion is not forecast, by "
        "its metric's trend, to hold on the due date.",
    ),
    (
        "Needed from you",
        "What the client must provide for a milestone not yet done: open until its needed-by date, overdue "
        "after it (overdue first), and gone from the list once received.",
    ),
    (
        "Risk triggered",
        "Its trigger condition holds on the metric's current value and the trigger date has passed. The "
        "report states when a trigger held or cleared, not why.",
    ),
    (
        "Health",
        "0–100: the weighted share of inputs in a good state. Outcome (lag) metrics weigh 2, lead metrics "
        "and milestones 1; on track or achieved score 100, at risk 50, blocked 25, off track, missed or late "
        "0. Metrics with no data, stale data or a failed source are left out and named. Green ≥ 75, amber "
        "≥ 50, red below; never green while a goal's outcome metric is missed or off track (capped at "
        "amber, with the goal named).",
    ),
]


def health_reasons(report: Report) -> list[str]:
    """Why the health score is what it is: the inputs that pulled it down, worst first."""
    comp = report.snapshot.health.components
    low = comp[(comp["weight"] > 0) & (comp["points"] < 100)].sort_values(
        ["points", "weight"], ascending=[True, False]
    )
    names = dict(zip(report.snapshot.metrics["metric"], report.snapshot.metrics["name"], strict=False))
    titles = dict(
        zip(
            report.snapshot.milestones.get("milestone", []),
            report.snapshot.milestones.get("title", []),
            strict=False,
        )
    )
    out = []
    for _, row in low.head(4).iterrows():
        name = titles.get(row["input"]) if row["kind"] == "milestone" else names.get(row["input"])
        out.append(f"{name or row['input']}: {status_word(row['status']).lower()}")
    if not out and report.snapshot.health.score is not None:
        out.append("Every scored metric and milestone is on track or done.")
    return out


def missing_lines(report: Report, names: dict[str, str]) -> list[str]:
    """The inputs left out of the health score, each with why: no data, stale data, or a failed source."""
    comp = report.snapshot.health.components
    why = {"no_data": "no data", "error": "source failed"}
    metrics = report.snapshot.metrics.set_index("metric")
    out = []
    for name, reason in zip(comp["input"], comp["missing"], strict=True):
        if not reason:
            continue
        text = why.get(reason, "")
        if reason == "stale":
            text = f"data {days(int(metrics.loc[name, 'age_days']))} old"
        out.append(f"{names.get(name, name)} ({text})")
    return out


def freshness_text(row: Any) -> str:
    """'data as of 12 Oct 2026' and, when stale, '(15 days old)': the date beside every metric."""
    newest = row.get("newest_date")
    if newest is None or (isinstance(newest, float) and newest != newest):
        return ""
    stale = bool(row.get("stale"))
    return f"data as of {day(newest)}" + (f" ({days(int(row['age_days']))} old)" if stale else "")


def forecast_text(row: Any) -> str:
    """The forecast as the reader sees it; nothing for an achieved metric or one without data."""
    if row.get("status") in ("achieved", "no_data", "error"):
        return ""
    forecast = row.get("forecast_date")
    if forecast is not None and not (isinstance(forecast, float) and forecast != forecast):
        return f"forecast to reach target {day(forecast)}"
    trend = row.get("trend")
    if trend is None or trend != trend:
        return "too few periods for a forecast"
    return "not on course to reach target"


def goal_detail(report: Report, metric_ids: tuple[str, ...]) -> str:
    """One line with the current value and target of each metric of a goal."""
    m = report.snapshot.metrics.set_index("metric")
    parts = []
    for mid in metric_ids:
        if mid in m.index:
            r = m.loc[mid]
            parts.append(
                f"{r['name']}: {value(report, mid, r['current'])} → target {value(report, mid, r['target'])} "
                f"by {day(r['target_date'])}"
            )
    return "; ".join(parts)


def change_lines(report: Report) -> list[str]:
    """What changed since the previous report, as sentences."""
    d, out = report.diff, []
    if d.first:
        return out
    before, after = d.health_before, d.health_after
    # whole points, as the score is shown: 62.5 -> 63 is "no change" only when both round the same
    if before is not None and after is not None and whole(before) != whole(after):
        out.append(f"Health {whole(before)} → {whole(after)} out of 100.")
    for mv in d.moves:
        was = status_word(mv.before) if mv.before else "New"
        out.append(f"{mv.name}: {was} → {status_word(mv.after)}.")
    for mv in d.deltas:
        if mv.delta and mv not in d.moves:
            way = "up" if mv.delta > 0 else "down"
            out.append(f"{mv.name} {way} {value(report, mv.id, abs(mv.delta))}.")
    out += [f"{mv.name}: no new data since {day(_date(mv.after))}." for mv in d.went_stale]
    out += [f"Milestone completed: {mv.name}." for mv in d.completed]
    risks = dict(zip(report.snapshot.risks["risk"], report.snapshot.risks["description"], strict=False))
    out += [f"Risk triggered: {risks.get(mv.id, mv.id)}." for mv in d.risks_triggered]
    out += [
        f"Risk cleared: {risks.get(mv.id, mv.id)} (trigger cleared on {day(cleared_on(report, mv.id))})."
        for mv in d.risks_cleared
    ]
    changes = {c.id: c.description for c in report.plan.changes}
    out += [f"Change approved: {changes.get(c, c)}." for c in d.changes_approved]
    return out


def cleared_on(report: Report, risk: str) -> dt.date | None:
    """The date of the first data on which the risk's trigger no longer held, after it last held."""
    r = report.snapshot.risks.set_index("risk").loc[risk]
    s = report.snapshot.series
    s = s[s["metric"] == r["metric"]].sort_values("observed") if r["metric"] else s.iloc[0:0]
    days = [d.date() for d in pd.to_datetime(s["observed"])]
    holds = compare(s["value"].to_numpy(), [r["op"]] * len(s), [r["value"]] * len(s))
    after = r["after"] if isinstance(r["after"], dt.date) else None
    holds &= [after is None or d > after for d in days]
    last = max((i for i, h in enumerate(holds) if h), default=None)
    return days[last + 1] if last is not None and last + 1 < len(days) else None


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def why_lines(report: Report) -> list[str]:
    """Why the goals that are behind matter, in the plan's own words, worst first as the goals list.

    A goal without data is left out: its row already says when data is expected, and the one-pager has
    no room to say a thing twice.
    """
    out = []
    goals = report.snapshot.goals.to_dict("records")
    for g in sorted(goals, key=lambda g: -SEVERITY.get(g["status"], 0)):
        why = g.get("why")  # NaN, not None, when a frame row has no reason
        why = why.strip() if isinstance(why, str) else ""
        if g["status"] in ("at_risk", "off_track", "missed"):
            word = status_word(g["status"]).lower()
            out.append(f"{g['statement']}: {_sentence(why)}" if why else f"{g['statement']} is {word}.")
        elif g["status"] == "error":
            out.append(f"{g['statement']}: its data could not be loaded, so progress cannot be shown.")
    return out


def _sentence(text: str) -> str:
    """``text`` ending with a full stop (the plan's ``why`` is often written without one)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _strength(r: float) -> str:
    return "a strong link" if r >= 0.7 else "a clear link" if r >= 0.5 else "a weak link"


def lead_findings(report: Report) -> list[dict[str, str]]:
    """What each lead indicator tells about its outcome, in words a CSM can repeat (operator appendix)."""
    metrics = report.snapshot.metrics.set_index("metric")
    out = []
    # records, not iterrows: a row Series would turn None into NaN under pandas' string inference
    for c in report.snapshot.lead_checks.to_dict("records"):
        lead, lag = metrics.loc[c["lead"], "name"], metrics.loc[c["lag"], "name"]
        period = str(metrics.loc[c["lead"], "frequency"])
        if c["predicts"] is None or pd.isna(c["predicts"]) or pd.isna(c["best_shift"]):
            few = "not enough data yet" if "paired" in str(c.get("reason") or "") else "it has not varied yet"
            finding = f"Cannot tell yet whether it moves {lag}: {few}."
        elif c["predicts"]:
            shift = int(c["best_shift"])
            when = f"in the same {period}" if shift == 0 else f"about {plural(shift, period)} later"
            finding = f"When it moves, {lag} tends to follow {when} ({_strength(float(c['best_r']))})."
        else:
            finding = (
                f"No clear link with {lag} so far: worth reviewing whether it is a useful lead indicator."
            )
        out.append({"lead": str(lead), "outcome": str(lag), "finding": finding})
    return out
