"""Retrospective facts: what the plan said against what the data shows, for one milestone.

Definitions (they are printed in the retrospective page):

- planned start and finish are the milestone's ``start`` and ``due``; the actual finish is its
  ``achieved_on`` (the date of the data of the first period on which all criteria held, never the
  retrospective's date); the actual start is the planned start, or the day after the last dependency
  was done when that came later (work cannot start before what it depends on is finished).
- the window runs from the planned start to the actual finish (to ``as_of`` while not done).
- a metric's value "on" a day is the value of its last aggregated period whose data is dated at or
  before that day; *before* is the value on the day before the planned start, *at* the value at the
  finish (the due date while not done), *after* the value at ``as_of``.
- every metric's *movement* over the window is read from its own series: from its value the day
  before the planned start (or its first value in the window) to its value at the window's end, said
  as "rose by 9 agents" or "fell by"; a lead's verdict is *moved* or *worsened* when the change
  exceeds its tolerance times the baseline-to-target distance, else *within tolerance* (or unchanged).
- a risk *triggered* on the first day of the window after its ``after`` date that its trigger held;
  the *trigger cleared* on the first later day it no longer held. These are facts, not causes: the
  retrospective never says that a contingency worked.
- changes and decisions are those requested, decided or taken in the window, or that name the milestone.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from csnb.indicators.snapshot import Snapshot
from csnb.plan.models import Plan

OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
DAY = dt.timedelta(days=1)


@dataclass
class Facts:
    """Everything the retrospective computes for one milestone at ``as_of``."""

    client: str
    milestone: str
    title: str
    stage: str
    as_of: dt.date
    status: str
    planned_start: dt.date
    planned_finish: dt.date
    actual_start: dt.date
    actual_finish: dt.date | None
    start_slip_days: int
    slip_days: int | None
    window_end: dt.date
    criteria: list[dict[str, Any]] = field(default_factory=list)
    leads: list[dict[str, Any]] = field(default_factory=list)
    movements: list[dict[str, Any]] = field(default_factory=list)
    risks: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def achieved_on(self) -> dt.date | None:
        """The date the milestone was achieved (its actual finish), None while it is not done."""
        return self.actual_finish

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (dates as ISO strings, missing numbers as None)."""
        return _jsonable(asdict(self))

    def lines(self) -> list[str]:
        """The facts as short sentences (the retro template's comments, the evidence of a lesson)."""
        done = f"achieved on {self.achieved_on}" if self.achieved_on else f"{self.status}, not done"
        out = [
            f"{self.milestone} {self.title} ({self.stage}): {done} (facts as of {self.as_of})",
            f"planned {self.planned_start} -> {self.planned_finish}; actual {self.actual_start} -> "
            f"{self.actual_finish or 'not finished'}; start slip {self.start_slip_days} d; "
            f"finish slip {'—' if self.slip_days is None else f'{self.slip_days} d'}",
        ]
        for c in self.criteria:
            values = (
                ""
                if c["kind"] == "check"
                else f": before {_num(c['before'])}, at {_num(c['at'])}, after {_num(c['after'])}"
            )
            out.append(f"criterion {c['label']}{values} ({'held' if c['held'] else 'not held'})")
        out += [f"lead {x['name']}: {x['movement']} ({x['verdict']})" for x in self.leads]
        out += [f"metric {x['name']}: {x['movement']}" for x in self.movements if x["kind"] != "lead"]
        out += [f"risk {r['risk']} {r['description']}: {r['outcome']}" for r in self.risks]
        out += [f"change {c['id']} {c['description']} ({c['status']})" for c in self.changes]
        out += [f"decision {d['on']}: {d['decision']}" for d in self.decisions]
        return out


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    return f"{round(value, 2):g}" if isinstance(value, float) else str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


class Series:
    """Each metric's aggregated series, with "value on a day" lookups by the date of each period's data."""

    def __init__(self, series: pd.DataFrame):
        self._by_metric: dict[str, tuple[list[dt.date], list[float]]] = {}
        # a period is known on the day of its last observation, not on its first day
        when = "observed" if "observed" in series.columns else "date"
        for metric, part in series.sort_values(when).groupby("metric", sort=False):
            days = [pd.Timestamp(d).date() for d in part[when]]
            self._by_metric[str(metric)] = (days, [float(v) for v in part["value"]])

    def on(self, metric: str | None, day: dt.date) -> float | None:
        """The last period value at or before ``day`` (None when there is none)."""
        days, values = self._by_metric.get(metric or "", ([], []))
        i = int(np.searchsorted(np.array(days, dtype="datetime64[D]"), np.datetime64(day, "D"), side="right"))
        return None if i == 0 or values[i - 1] != values[i - 1] else values[i - 1]

    def first(self, metric: str, start: dt.date, end: dt.date) -> float | None:
        """The first value of ``metric`` dated within ``[start, end]``."""
        days, values = self._by_metric.get(metric, ([], []))
        return next((v for d, v in zip(days, values, strict=True) if start <= d <= end), None)

    def days(self, metric: str, start: dt.date, end: dt.date) -> list[dt.date]:
        """Period dates of ``metric`` within ``[start, end]``."""
        return [d for d in self._by_metric.get(metric, ([], []))[0] if start <= d <= end]


def _date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    return pd.Timestamp(value).date() if not isinstance(value, dt.date) else value


def compute_facts(plan: Plan, snapshot: Snapshot, milestone: str) -> Facts:
    """The facts of ``milestone`` from the plan and its snapshot at the retrospective's ``as_of``."""
    ms = plan.milestone(milestone)
    rows = snapshot.milestones.set_index("milestone")
    row = rows.loc[milestone]
    done_on = {m: _date(rows.loc[m, "achieved_on"]) for m in rows.index}
    finished = _date(row["achieved_on"])
    deps = [done_on.get(d) for d in ms.depends_on]
    actual_start = max([ms.start] + [d + DAY for d in deps if d is not None])
    end = finished or snapshot.as_of
    series = Series(snapshot.series)
    facts = Facts(
        client=plan.client.id,
        milestone=ms.id,
        title=ms.title,
        stage=ms.stage,
        as_of=snapshot.as_of,
        status=str(row["status"]),
        planned_start=ms.start,
        planned_finish=ms.due,
        actual_start=actual_start,
        actual_finish=finished,
        start_slip_days=(actual_start - ms.start).days,
        slip_days=(finished - ms.due).days if finished else None,
        window_end=end,
    )
    at_day = finished or min(ms.due, snapshot.as_of)
    facts.criteria = _criteria(plan, ms, series, at_day, snapshot.as_of)
    facts.movements = _movements(plan, series, ms.start, at_day)
    facts.leads = _leads(plan, snapshot, facts.movements)
    facts.risks = _risks(plan, series, actual_start, end, snapshot.as_of)
    facts.changes, facts.decisions = _log(plan, ms.id, ms.start, end)
    return facts


def _criteria(plan: Plan, ms: Any, series: Series, at_day: dt.date, as_of: dt.date) -> list[dict[str, Any]]:
    out = []
    for c in ms.criteria:
        if c.check is not None:
            held = bool(c.done and c.done_on and c.done_on <= at_day)
            out.append(
                {
                    "label": c.label,
                    "kind": "check",
                    "metric": None,
                    "name": c.check,
                    "unit": "",
                    "before": None,
                    "at": None,
                    "after": None,
                    "done_on": c.done_on,
                    "held": held,
                }
            )
            continue
        metric = plan.metric(c.metric)
        at = series.on(c.metric, at_day)
        out.append(
            {
                "label": f"{metric.name} {c.op} {c.value:g}",
                "kind": "metric",
                "metric": c.metric,
                "name": metric.name,
                "unit": metric.unit,
                "before": series.on(c.metric, ms.start - DAY),
                "at": at,
                "after": series.on(c.metric, as_of),
                "done_on": None,
                "held": at is not None and bool(OPS[c.op](at, c.value)),
            }
        )
    return out


def _movement_text(change: float | None, start: float | None, end: float | None, unit: str) -> str:
    """'rose by 9 agents (31 -> 40)', 'fell by 2.5 % (80 -> 77.5)', 'unchanged at 40', or 'no data'."""
    if change is None:
        return "no data in the window"
    if abs(change) < 1e-9:
        return f"unchanged at {_num(end)}"
    size = f"{_num(abs(change))}{' ' + unit if unit else ''}"
    return f"{'rose' if change > 0 else 'fell'} by {size} ({_num(start)} -> {_num(end)})"


def _movements(plan: Plan, series: Series, start: dt.date, at_day: dt.date) -> list[dict[str, Any]]:
    """Every metric's change over the window, each from its own series (the first value in the window
    when it had none before the planned start)."""
    out = []
    for m in plan.metrics:
        before = series.on(m.id, start - DAY)
        if before is None:
            before = series.first(m.id, start, at_day)
        after = series.on(m.id, at_day)
        change = None if before is None or after is None else after - before
        threshold = m.tolerance * abs(m.target.value - m.baseline.value)
        if change is None:
            verdict = "no data"
        elif abs(change) < 1e-9:
            verdict = "unchanged"
        else:
            verdict = (
                "moved"
                if change * m.better > threshold
                else ("worsened" if change * m.better < -threshold else "within tolerance")
            )
        out.append(
            {
                "metric": m.id,
                "name": m.name,
                "kind": m.kind,
                "unit": m.unit,
                "start": before,
                "finish": after,
                "change": change,
                "movement": _movement_text(change, before, after, m.unit),
                "verdict": verdict,
            }
        )
    return out


def _leads(plan: Plan, snapshot: Snapshot, movements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    checks = snapshot.lead_checks
    moved = {x["metric"]: x for x in movements}
    out = []
    for m in plan.metrics:
        if m.kind != "lead":
            continue
        mine = checks[checks["lead"] == m.id] if len(checks) else checks
        predicts = [bool(p) for p in mine["predicts"] if p is not None and p == p] if len(mine) else []
        out.append({**moved[m.id], "leads": list(m.leads), "predicts": (all(predicts) if predicts else None)})
    return out


def _holds(risk: Any, series: Series, day: dt.date) -> bool:
    value = series.on(risk.trigger.metric, day)
    return value is not None and bool(OPS[risk.trigger.op](value, risk.trigger.value))


def _risks(plan: Plan, series: Series, start: dt.date, end: dt.date, as_of: dt.date) -> list[dict[str, Any]]:
    out = []
    for r in plan.risks:
        base = {
            "risk": r.id,
            "description": r.description,
            "contingency": r.contingency,
            "triggered": False,
            "triggered_on": None,
            "cleared_on": None,
        }
        if r.trigger is None:
            out.append({**base, "outcome": "no trigger defined: judge it in the retro"})
            continue
        first = max(start, (r.trigger.after + DAY) if r.trigger.after else start)
        days = sorted({first, *series.days(r.trigger.metric, first, end)}) if first <= end else []
        hit = next((d for d in days if _holds(r, series, d)), None)
        if hit is None:
            out.append({**base, "outcome": "did not trigger"})
            continue
        later = [d for d in series.days(r.trigger.metric, hit, as_of) if d > hit] + [as_of]
        cleared = next((d for d in later if not _holds(r, series, d)), None)
        outcome = (
            f"triggered on {hit}; trigger cleared on {cleared}"
            if cleared
            else f"triggered on {hit}; still triggered on {as_of}"
        )
        out.append(
            {**base, "triggered": True, "triggered_on": hit, "cleared_on": cleared, "outcome": outcome}
        )
    return out


def _log(plan: Plan, milestone: str, start: dt.date, end: dt.date) -> tuple[list[dict], list[dict]]:
    def inside(day: dt.date | None) -> bool:
        return day is not None and start <= day <= end

    changes = [
        {
            "id": c.id,
            "description": c.description,
            "status": c.status,
            "requested_on": c.requested_on,
            "decided_on": c.decided_on,
            "days": c.impact.days,
            "cost": c.impact.cost,
        }
        for c in plan.changes
        if inside(c.requested_on) or inside(c.decided_on) or milestone in c.affects
    ]
    decisions = [
        {"on": d.on, "decision": d.decision, "rationale": d.rationale} for d in plan.decisions if inside(d.on)
    ]
    return changes, decisions
