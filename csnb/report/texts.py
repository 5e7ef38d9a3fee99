"""Sentences of the report: the status rules glossary, health reasons, what changed and why it matters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from csnb.report.html import STATUS_LABELS, fmt

if TYPE_CHECKING:
    from csnb.report.build import Report

RULES = [
    (
        "Current",
        "The latest period value at or before the report date; metrics are bucketed by their frequency "
        "(weeks start on Monday, months on the 1st) with their aggregate (sum, mean, last, min, max, count).",
    ),
    (
        "Progress",
        "(current − baseline) ÷ (target − baseline): 0% at baseline, 100% at target, whichever direction "
        "is better.",
    ),
    (
        "Expected",
        "Where a straight glide path from baseline date to target date says the metric should be today.",
    ),
    ("Achieved", "Progress has reached 100%."),
    ("Missed", "The target date has passed without reaching the target."),
    ("On track", "Progress is at least expected minus the metric's tolerance."),
    ("At risk", "Progress is within two tolerances below expected."),
    ("Off track", "Progress is more than two tolerances below expected."),
    (
        "No data",
        "No value at or before the report date; it is left out of the health score, not counted as zero.",
    ),
    (
        "Trend and forecast",
        "The slope over the last few periods, and the date that slope reaches the target.",
    ),
    (
        "Lead check",
        "For a lead metric, the correlation of its period-to-period changes with those of the outcome it "
        "should move, tried at several shifts; below r = 0.3 the lead is flagged as predicting nothing.",
    ),
    (
        "Milestone done",
        "Every acceptance criterion held on some period at or before the report date, all at once; "
        "slip is the days between that date and the due date (negative when early).",
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
        "Risk triggered",
        "Its trigger condition holds on the metric's current value and the trigger date has passed.",
    ),
    (
        "Health",
        "0–100: the weighted share of inputs in a good state. Outcome (lag) metrics weigh 2, lead metrics "
        "and milestones 1; on track or achieved score 100, at risk 50, blocked 25, off track, missed or late "
        "0. Green ≥ 75, amber ≥ 50, red below.",
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
        out.append(f"{name or row['input']}: {STATUS_LABELS.get(row['status'], row['status']).lower()}")
    if not out and report.snapshot.health.score is not None:
        out.append("Every scored metric and milestone is on track or done.")
    return out


def goal_detail(report: Report, metric_ids: tuple[str, ...]) -> str:
    """One line with the current value and target of each metric of a goal."""
    m = report.snapshot.metrics.set_index("metric")
    parts = []
    for mid in metric_ids:
        if mid in m.index:
            r = m.loc[mid]
            parts.append(
                f"{r['name']}: {fmt(r['current'], r['unit'])} → target {fmt(r['target'], r['unit'])} "
                f"by {r['target_date']:%-d %b}"
            )
    return "; ".join(parts)


def change_lines(report: Report) -> list[str]:
    """What changed since the previous report, as sentences."""
    d, out = report.diff, []
    if d.first:
        return out
    if d.health_before is not None and d.health_after is not None and d.health_before != d.health_after:
        out.append(f"Health {fmt(d.health_before)} → {fmt(d.health_after)}.")
    for mv in d.moves:
        out.append(
            f"{mv.name}: {STATUS_LABELS.get(mv.before or '', mv.before or 'new')} → "
            f"{STATUS_LABELS.get(mv.after, mv.after)}."
        )
    units = dict(zip(report.snapshot.metrics["metric"], report.snapshot.metrics["unit"], strict=False))
    for mv in d.deltas:
        if mv.delta and mv not in d.moves:
            out.append(f"{mv.name} {'+' if mv.delta > 0 else '−'}{fmt(abs(mv.delta), units.get(mv.id, ''))}.")
    out += [f"Milestone completed: {mv.name}." for mv in d.completed]
    risks = dict(zip(report.snapshot.risks["risk"], report.snapshot.risks["description"], strict=False))
    out += [f"Risk triggered: {risks.get(mv.id, mv.id)}." for mv in d.risks_triggered]
    out += [f"Risk cleared: {risks.get(mv.id, mv.id)}." for mv in d.risks_cleared]
    changes = {c.id: c.description for c in report.plan.changes}
    out += [f"Change approved: {changes.get(c, c)}." for c in d.changes_approved]
    return out


def why_lines(report: Report) -> list[str]:
    """Why the goals that are not on track matter, in the plan's own words."""
    out = []
    for _, g in report.snapshot.goals.iterrows():
        if g["status"] in ("at_risk", "off_track", "missed"):
            reason = f" {g['why']}" if g.get("why") else ""
            out.append(f"{g['statement']} is {STATUS_LABELS[g['status']].lower()}.{reason}")
        elif g["status"] == "no_data":
            out.append(f"{g['statement']}: no data yet, so progress cannot be shown.")
    return out
