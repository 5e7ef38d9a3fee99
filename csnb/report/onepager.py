"""The one-pager: what a client's executive reads in a minute, as data shared by the report and the e-mail.

``one_pager(report)`` returns plain JSON-able data, every text already in the client's language and
formatted (numbers per metric, one date format); the templates escape it. The report notebook's summary
cell displays it under ``ONEPAGER_MIME`` beside its HTML, so the e-mail is built from exactly what the
report showed. Worst news first everywhere: goals, recovery actions, what is needed from the client.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from csnb.indicators.evaluation import SEVERITY
from csnb.indicators.inputs import needed_from_client
from csnb.plan.cadence import next_dates
from csnb.report.formats import day, days, missing, number, whole
from csnb.report.texts import change_lines, why_lines
from csnb.report.words import (
    STATUS_WORDS,
    goal_band,
    humanize,
    metric_style,
    milestone_band,
    source_name,
)

if TYPE_CHECKING:
    from csnb.report.build import Report

ONEPAGER_MIME = "application/vnd.csnb.onepager+json"
VERSION = 1
# band -> (colour, mark, word): colour-blind safe, and the marks differ in shape so they read in greyscale
BAND_STYLE: dict[str, tuple[str, str, str]] = {
    "green": ("#1a7f37", "●", "On track"),
    "amber": ("#9a6700", "◆", "At risk"),
    "red": ("#c62828", "■", "Off track"),
    "grey": ("#57606a", "○", "No data"),
}
SPARK_POINTS = 26  # half a year of weekly data
UPCOMING_DAYS = 21  # "what comes next" looks three weeks ahead
NEXT_ITEMS = 5  # and lists at most this many, so the one-pager stays one page
BEHIND_GOAL = ("missed", "off_track")  # a goal in these states needs a recovery plan
BEHIND_MILESTONE = ("late", "at_risk")
RECOVERY_STATUS = {"planned": "Planned", "in_progress": "In progress", "done": "Done"}


def _worst_metric(report: Report, metric_ids: tuple[str, ...]) -> dict[str, Any] | None:
    rows = report.snapshot.metrics
    rows = rows[rows["metric"].isin(metric_ids)]
    if not len(rows):
        return None
    # the metric that gives the goal its status; an outcome (lag) before a lead when they tie
    records = rows.to_dict("records")
    return max(records, key=lambda m: (SEVERITY.get(m["status"], 0), m["kind"] == "lag"))


def spark(report: Report, metric_id: str) -> list[float | None]:
    """The metric's last periods, oldest first, ``None`` where a period has no value (at most 26)."""
    s = report.snapshot.series
    s = s[s["metric"] == metric_id]
    if not len(s):
        return []
    freq = report.plan.metric(metric_id).frequency
    values = pd.Series(s["value"].to_numpy(dtype=float), index=pd.to_datetime(s["date"]))
    values = values[~values.index.duplicated(keep="last")].sort_index()
    step = {"day": "D", "week": "7D", "month": "MS"}[freq]
    periods = pd.date_range(values.index[0], values.index[-1], freq=step)
    full = values.reindex(periods.union(values.index)).tail(SPARK_POINTS)
    return [None if missing(v) else round(float(v), 4) for v in full]


def expected_from(report: Report, metric_id: str) -> dt.date:
    """The date a metric without data should start to have it: its baseline date, or the next period."""
    m = report.plan.metric(metric_id)
    if m.baseline.date > report.as_of:
        return m.baseline.date
    start = pd.Timestamp(report.as_of)
    following = {"day": start + pd.Timedelta(days=1), "week": start + pd.offsets.Week(weekday=0)}
    return following.get(m.frequency, start + pd.offsets.MonthBegin(1)).date()


def goal_row(report: Report, goal: dict[str, Any]) -> dict[str, Any]:
    """One goal as the one-pager shows it: status word, current vs target with unit, a sparkline."""
    status = goal["status"]
    band = goal_band(status)
    row: dict[str, Any] = {
        "name": goal["statement"],
        "status": status,
        "label": STATUS_WORDS.get(status, humanize(status)),
        "band": band,
        "current": "—",
        "target": "—",
        "data_as_of": "—",
        "spark": [],
        "note": None,
    }
    m = _worst_metric(report, tuple(goal["metrics"]))
    if m is None:
        return row
    style = metric_style(report, m["metric"])
    row.update(
        metric=m["name"],
        current=number(m["current"], style),
        target=f"{number(m['target'], style)} by {day(m['target_date'])}",
        data_as_of=day(m["newest_date"]),
        spark=spark(report, m["metric"]),
    )
    if status == "no_data":
        source = source_name(report.plan.metric(m["metric"]).source)
        row["note"] = f"No data yet: expected from {day(expected_from(report, m['metric']))} ({source})"
    elif status == "error":
        row["note"] = "The data could not be loaded for this report; the team is on it."
    elif bool(m.get("stale")):
        row["note"] = f"No new data for {days(int(m['age_days']))}"
    return row


def goal_rows(report: Report) -> list[dict[str, Any]]:
    """Every goal, worst first (a missed goal leads whatever its place in the plan)."""
    goals = sorted(report.snapshot.goals.to_dict("records"), key=lambda g: -SEVERITY.get(g["status"], 0))
    return [goal_row(report, g) for g in goals]


def health(report: Report) -> dict[str, Any]:
    """The health score as a whole number out of 100, its band and why, in one sentence."""
    h = report.snapshot.health
    band = h.band if h.band in BAND_STYLE else "grey"
    score = "—" if h.score is None else f"{whole(h.score)} / 100"
    return {
        "score_text": score,
        "band": band,
        "label": STATUS_WORDS.get(h.band, "Not scored"),
        "reason": health_reason(report),
    }


def health_reason(report: Report) -> str:
    """Why health is what it is: the goal that caps it, else what pulls it down, else that all is well."""
    h = report.snapshot.health
    if h.score is None:
        return "Not scored yet: no metric or milestone has data."
    if h.capped_by:
        cap = h.capped_by[0]
        word = STATUS_WORDS.get(cap["status"], humanize(cap["status"])).lower()
        return f"Held at amber while “{cap['statement']}” is {word}."
    comp = h.components
    low = comp[(comp["weight"] > 0) & (comp["points"] < 100)].sort_values(
        ["points", "weight"], ascending=[True, False]
    )
    if not len(low):
        return "Every scored goal and milestone is on track or done."
    names = _names(report)
    parts = [
        f"{names.get(i, humanize(i))} ({STATUS_WORDS.get(s, humanize(s)).lower()})"
        for i, s in zip(low["input"].head(2), low["status"].head(2), strict=True)
    ]
    return "Pulled down by " + _join(parts) + "."


def _names(report: Report) -> dict[str, str]:
    names = dict(zip(report.snapshot.metrics["metric"], report.snapshot.metrics["name"], strict=False))
    ms = report.snapshot.milestones
    if len(ms):
        names |= dict(zip(ms["milestone"], ms["title"], strict=False))
    return names


def _join(parts: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def verdict(report: Report, goals: list[dict[str, Any]]) -> str:
    """One sentence, worst news first: the worst goal, how many goals are fine, late milestones."""
    ms = report.snapshot.milestones
    late = int((ms["status"] == "late").sum()) if len(ms) else 0
    fine = sum(g["status"] in ("on_track", "achieved") for g in goals)
    tail = f"{late} milestone{'s are' if late != 1 else ' is'} late" if late else "no milestone is late"
    if not goals:
        return f"No goals in the plan yet; {tail}."
    worst = goals[0]
    if worst["status"] in ("on_track", "achieved"):
        every = "The goal is" if len(goals) == 1 else f"All {len(goals)} goals are"
        return f"{every} on track or achieved, and {tail}."
    first = f"“{worst['name']}” is {worst['label'].lower()}"
    if worst["status"] == "no_data":
        first = f"“{worst['name']}” has no data yet"
    rest = f"{fine} of {len(goals)} goals on track or achieved" if len(goals) > 1 else ""
    return first + (f"; {rest}" if rest else "") + f"; {tail}."


def next_items(report: Report) -> list[dict[str, str]]:
    """What comes next, at most five: milestones behind or due within three weeks (soonest first), triggered
    risks, and the next executive review, which is always kept."""
    out = []
    ms = report.snapshot.milestones
    horizon = report.as_of + dt.timedelta(days=UPCOMING_DAYS)
    if len(ms):
        open_ms = ms[ms["status"] != "done"]
        for m in open_ms.sort_values("due").to_dict("records"):
            if m["due"] > horizon and m["status"] not in BEHIND_MILESTONE:
                continue
            word = STATUS_WORDS.get(m["status"], humanize(m["status"])).lower()
            late = m["status"] == "late"
            text = f"{m['title']} ({word}, was due {day(m['due'])})" if late else f"{m['title']} ({word})"
            out.append(
                {"text": text, "owner": report.person(m["owner"]), "date": "" if late else day(m["due"])}
            )
    for risk in report.snapshot.risks.to_dict("records"):
        if risk["status"] == "triggered":
            # the response is in the operator edition's risk table; here, that it needs attention
            text = f"Risk to act on: {risk['description']}"
            out.append({"text": text, "owner": report.person(risk["owner"]), "date": ""})
    review = _next_review(report)
    # one page: the soonest four, then the review where the reader can raise the rest
    return out[: NEXT_ITEMS - 1] + [review] if review else out[:NEXT_ITEMS]


def _next_review(report: Report) -> dict[str, str] | None:
    for ritual in report.plan.cadence:
        if ritual.channel in ("meeting", "call") and ritual.audience == "executive":
            dates = next_dates(report.plan, ritual, report.as_of)
            if dates:
                provider = next((p for p in report.plan.people if p.side == "provider"), None)
                return {
                    "text": f"Next {humanize(ritual.ritual).lower()}",
                    "owner": provider.name if provider else "",
                    "date": day(dates[0]),
                }
    return None


def needed(report: Report) -> list[dict[str, Any]]:
    """Needed from the client: open and overdue inputs of milestones not done, overdue first."""
    out = []
    for ci in needed_from_client(report.snapshot.inputs).to_dict("records"):
        overdue = ci["status"] == "overdue"
        text = ci["description"]
        if overdue:
            text += f" (overdue by {days(int(ci['days_overdue']))})"
        out.append(
            {
                "text": text,
                "owner": report.person(ci["owner"]) if ci["owner"] else "",
                "due": day(ci["needed_by"]) if ci["needed_by"] else "",
                "overdue": overdue,
            }
        )
    return sorted(out, key=lambda i: not i["overdue"])


def behind(report: Report) -> list[dict[str, Any]]:
    """What is behind, worst first: (kind, id, name, status, actions) per missed or off-track goal and
    late or at-risk milestone."""
    out = []
    statuses = dict(zip(report.snapshot.goals["goal"], report.snapshot.goals["status"], strict=False))
    for goal in report.plan.goals:
        status = statuses.get(goal.id)
        if status in BEHIND_GOAL:
            out.append(
                {
                    "kind": "goal",
                    "id": goal.id,
                    "name": goal.statement,
                    "status": status,
                    "actions": goal.recovery,
                }
            )
    ms = report.snapshot.milestones
    ms_status = dict(zip(ms["milestone"], ms["status"], strict=False)) if len(ms) else {}
    for m in report.plan.milestones:
        if ms_status.get(m.id) in BEHIND_MILESTONE:
            out.append(
                {
                    "kind": "milestone",
                    "id": m.id,
                    "name": m.title,
                    "status": ms_status[m.id],
                    "actions": m.recovery,
                }
            )
    rank = {"missed": 0, "off_track": 1, "late": 2, "at_risk": 3}
    return sorted(out, key=lambda b: rank[b["status"]])


def recovery(report: Report) -> list[dict[str, str]]:
    """The recorded recovery actions of whatever is behind, worst first, open actions before done ones."""
    out = []
    for b in behind(report):
        actions = sorted(b["actions"], key=lambda a: (a.status == "done", a.due))
        for a in actions:
            out.append(
                {
                    "for": b["name"],
                    "action": a.action,
                    "owner": report.person(a.owner),
                    "due": day(a.due),
                    "status": RECOVERY_STATUS[a.status],
                }
            )
    return out


def recovery_gaps(report: Report) -> list[str]:
    """For the CSM only (operator edition): what is behind with no recovery action in the plan."""
    out = []
    for b in behind(report):
        if b["actions"]:
            continue
        word = STATUS_WORDS[b["status"]].lower()
        where = (
            f"goals → {b['id']} → recovery" if b["kind"] == "goal" else f"milestones → {b['id']} → recovery"
        )
        out.append(
            f"No recovery action recorded for “{b['name']}” ({word}) — add one under {where} in the plan."
        )
    return out


def one_pager(report: Report) -> dict[str, Any]:
    """The one-pager of a report as plain data (see the module docstring); the same in both editions."""
    if "one_pager" not in report.memo:  # the summary shows it and hands it to the e-mail: build it once
        report.memo["one_pager"] = _one_pager(report)
    return report.memo["one_pager"]


def _one_pager(report: Report) -> dict[str, Any]:
    goals = goal_rows(report)
    h = health(report)
    band = h["band"]
    changed = change_lines(report)
    if not changed:
        changed = [
            "First report: the next one will show what moved since today."
            if report.diff.first
            else f"Nothing moved since the previous report ({day(report.diff.before)})."
        ]
    if report.audience == "executive":
        full = (
            "The full report, with every chart, milestone and risk, is the operator edition of this report."
        )
    else:
        full = "The full report, with every chart, milestone and risk, follows below."
    return {
        "version": VERSION,
        "client": report.plan.client.name,
        "as_of": report.as_of.isoformat(),
        "as_of_text": day(report.as_of),
        "band": band,
        "status_label": STATUS_WORDS.get(report.snapshot.health.band, "Not scored"),
        "verdict": verdict(report, goals),
        "health": h,
        "goals": goals,
        "changed": changed,
        "why": why_lines(report),
        "next": next_items(report),
        "needed": needed(report),
        "recovery": recovery(report),
        "full_report": full,
    }


def milestone_marks(status: str) -> tuple[str, str, str]:
    """(colour, mark, word) of a milestone status, for tables beside the one-pager."""
    colour, mark, _ = BAND_STYLE[milestone_band(status)]
    return colour, mark, STATUS_WORDS.get(status, humanize(status))
