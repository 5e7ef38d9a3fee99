"""Milestone status (done/late/not_started/blocked/at_risk/on_track), critical path and risk triggers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from csnb.indicators.periods import PERIOD_DAYS, day_number, from_day_number
from csnb.plan.models import Plan

MILESTONE_STATUSES = ("done", "late", "blocked", "at_risk", "not_started", "on_track")


def compare(x: np.ndarray, ops: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Vectorised ``x op value`` for the plan's comparison operators; NaN never holds."""
    x, value, ops = np.asarray(x, float), np.asarray(value, float), np.asarray(ops, dtype=object)
    with np.errstate(invalid="ignore"):
        return np.select(
            [ops == ">=", ops == ">", ops == "<=", ops == "<", ops == "=="],
            [x >= value, x > value, x <= value, x < value, np.isclose(x, value)],
            default=False,
        )


def milestone_table(plans: Iterable[Plan]) -> pd.DataFrame:
    """One row per (client, milestone) with dates as day numbers and the resolved review window."""
    rows = []
    for plan in plans:
        for m in plan.milestones:
            window = (
                m.review_window_days if m.review_window_days is not None else plan.settings.review_window_days
            )
            rows.append(
                {
                    "client": plan.client.id,
                    "milestone": m.id,
                    "title": m.title,
                    "stage": m.stage,
                    "owner": m.owner,
                    "start": m.start,
                    "due": m.due,
                    "start_day": day_number(m.start),
                    "due_day": day_number(m.due),
                    "depends_on": tuple(m.depends_on),
                    "leap": m.leap,
                    "review_window": window,
                    "criteria_total": len(m.criteria),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "client",
            "milestone",
            "title",
            "stage",
            "owner",
            "start",
            "due",
            "start_day",
            "due_day",
            "depends_on",
            "leap",
            "review_window",
            "criteria_total",
        ],
    )


def criteria_table(plans: Iterable[Plan], metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per acceptance criterion, with the metric-table key of its metric (-1 for manual checks)."""
    index = (
        {(c, m): k for k, (c, m) in enumerate(zip(metrics["client"], metrics["metric"], strict=False))}
        if len(metrics)
        else {}
    )
    rows, ms_key = [], 0
    for plan in plans:
        for m in plan.milestones:
            for i, c in enumerate(m.criteria):
                rows.append(
                    {
                        "client": plan.client.id,
                        "milestone": m.id,
                        "ms_key": ms_key,
                        "index": i,
                        "label": c.label,
                        "kind": "check" if c.check is not None else "metric",
                        "metric": c.metric,
                        "op": c.op,
                        "value": c.value,
                        "done": c.done,
                        "done_on": c.done_on,
                        "metric_key": index.get((plan.client.id, c.metric), -1),
                    }
                )
            ms_key += 1
    return pd.DataFrame(
        rows,
        columns=[
            "client",
            "milestone",
            "ms_key",
            "index",
            "label",
            "kind",
            "metric",
            "op",
            "value",
            "done",
            "done_on",
            "metric_key",
        ],
    )


def _events(crit: pd.DataFrame, series: pd.DataFrame, n_metrics: int, today: int) -> pd.DataFrame:
    """(criterion row, day, holds) for every period of each criterion's metric and each done check."""
    keys = series["key"].to_numpy()
    start = np.searchsorted(keys, np.arange(n_metrics), "left")
    end = np.searchsorted(keys, np.arange(n_metrics), "right")
    mk = crit["metric_key"].to_numpy()
    is_metric = mk >= 0
    lens = np.where(is_metric, end[np.maximum(mk, 0)] - start[np.maximum(mk, 0)], 0) if n_metrics else mk * 0
    rep = np.repeat(np.arange(len(crit)), lens)
    offs = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
    rows = np.repeat(start[np.maximum(mk, 0)] if n_metrics else mk * 0, lens) + offs
    holds = compare(
        series["value"].to_numpy()[rows], crit["op"].to_numpy()[rep], crit["value"].to_numpy(float)[rep]
    )
    # a period's criterion holds on the day of its last observation: that is when the data showed it
    metric_ev = pd.DataFrame({"crit": rep, "day": series["observed"].to_numpy()[rows], "holds": holds})
    done_on = crit["done_on"].map(lambda d: day_number(d) if d is not None and not pd.isna(d) else -1)
    checks = crit["done"].astype(bool).to_numpy() & (done_on.to_numpy() >= 0) & (done_on.to_numpy() <= today)
    check_ev = pd.DataFrame(
        {"crit": np.flatnonzero(checks), "day": done_on.to_numpy()[checks], "holds": True}
    )
    return pd.concat([metric_ev, check_ev], ignore_index=True).sort_values(["crit", "day"], kind="stable")


def achieved_on(
    crit: pd.DataFrame, series: pd.DataFrame, n_metrics: int, n_ms: int, today: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per milestone the first day all its criteria held at once (-1 if never); per criterion, holds now."""
    ev = _events(crit, series, n_metrics, today)
    held = ev["holds"].to_numpy().astype(np.int64)
    crit_ix = ev["crit"].to_numpy()
    first = np.r_[True, crit_ix[1:] != crit_ix[:-1]]
    delta = np.where(first, held, held - np.r_[0, held[:-1]])
    holds_now = np.zeros(len(crit), dtype=bool)
    last = np.r_[crit_ix[1:] != crit_ix[:-1], True] if len(crit_ix) else np.zeros(0, bool)
    holds_now[crit_ix[last]] = held[last].astype(bool)
    ms = crit["ms_key"].to_numpy()[crit_ix]
    t = pd.DataFrame({"ms": ms, "day": ev["day"].to_numpy(), "delta": delta}).sort_values(
        ["ms", "day"], kind="stable"
    )
    t["count"] = t.groupby("ms")["delta"].cumsum()
    per_day = t.groupby(["ms", "day"], sort=True)["count"].last().reset_index()
    need = np.bincount(crit["ms_key"].to_numpy(), minlength=n_ms)
    hit = per_day[per_day["count"].to_numpy() >= need[per_day["ms"].to_numpy()]]
    out = np.full(n_ms, -1, dtype=np.int64)
    firsts = hit.groupby("ms")["day"].min()
    out[firsts.index.to_numpy()] = firsts.to_numpy()
    return out, holds_now


def forecast_holds(crit: pd.DataFrame, metric_frame: pd.DataFrame, due_day: np.ndarray) -> np.ndarray:
    """Whether each criterion is forecast, by its metric's trend, to hold on its milestone's due date."""
    mk = crit["metric_key"].to_numpy()
    safe = np.maximum(mk, 0)
    cur = metric_frame["current"].to_numpy(float)[safe] if len(metric_frame) else np.full(len(mk), np.nan)
    slope = metric_frame["trend"].to_numpy(float)[safe] if len(metric_frame) else np.full(len(mk), np.nan)
    cur_day = (
        np.array([day_number(d) if d is not None else 0 for d in metric_frame["current_date"]])[safe]
        if len(metric_frame)
        else np.zeros(len(mk))
    )
    step = np.array([PERIOD_DAYS[f] for f in metric_frame["frequency"]])[safe] if len(metric_frame) else 1.0
    due = due_day[crit["ms_key"].to_numpy()]
    value = np.where(np.isnan(slope), cur, cur + slope * (due - cur_day) / step)
    metric_ok = compare(value, crit["op"].to_numpy(), crit["value"].to_numpy(float))
    done_on = (
        crit["done_on"].map(lambda d: day_number(d) if d is not None and not pd.isna(d) else 10**9).to_numpy()
    )
    check_ok = crit["done"].astype(bool).to_numpy() & (done_on <= due)
    return np.where(mk >= 0, metric_ok, np.where(crit["kind"].to_numpy() == "check", check_ok, False))


def classify(table: pd.DataFrame, achieved: np.ndarray, forecast_ok: np.ndarray, today: int) -> pd.DataFrame:
    """Milestone status, first rule that holds, plus ``achieved_on``, ``slip_days`` and ``blocked_by``."""
    out = table.copy()
    done = achieved >= 0
    done_ids = set(zip(out["client"].to_numpy()[done], out["milestone"].to_numpy()[done], strict=False))
    blocked_by = [
        tuple(d for d in deps if (c, d) not in done_ids)
        for c, deps in zip(out["client"], out["depends_on"], strict=False)
    ]
    blocked = np.array([bool(b) for b in blocked_by], dtype=bool)
    due, start = out["due_day"].to_numpy(), out["start_day"].to_numpy()
    in_window = (due - today) <= out["review_window"].to_numpy()
    out["status"] = np.select(
        [done, today > due, today < start, blocked, in_window & ~forecast_ok],
        ["done", "late", "not_started", "blocked", "at_risk"],
        default="on_track",
    )
    out["achieved_on"] = [from_day_number(d) if d >= 0 else None for d in achieved]
    out["slip_days"] = np.where(done, achieved - due, np.nan)
    out["blocked_by"] = blocked_by
    return out


def critical_path(table: pd.DataFrame) -> np.ndarray:
    """Marks the chain of binding dependencies that ends at each client's last-due (non-leap) milestone."""
    critical = np.zeros(len(table), dtype=bool)
    by_client: dict[str, dict[str, tuple[int, int, tuple]]] = {}
    for i, (client, ms, due, deps, leap) in enumerate(
        zip(
            table["client"],
            table["milestone"],
            table["due_day"],
            table["depends_on"],
            table["leap"],
            strict=False,
        )
    ):
        if not leap:
            by_client.setdefault(client, {})[ms] = (i, due, deps)
    for rows in by_client.values():
        node, seen = max(rows, key=lambda m: (rows[m][1], m)), set()
        while node is not None and node not in seen:  # `seen` guards against a cycle in unvalidated input
            seen.add(node)
            critical[rows[node][0]] = True
            deps = [d for d in rows[node][2] if d in rows]
            node = max(deps, key=lambda d: (rows[d][1], d)) if deps else None
    return critical


def risk_table(plans: Iterable[Plan], metric_frame: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Each risk with its trigger evaluated on the metric's current value at ``as_of``."""
    current = (
        dict(
            zip(
                zip(metric_frame["client"].tolist(), metric_frame["metric"].tolist(), strict=False),
                metric_frame["current"].tolist(),
                strict=False,
            )
        )
        if len(metric_frame)
        else {}
    )
    rows = []
    for plan in plans:
        for r in plan.risks:
            t = r.trigger
            rows.append(
                {
                    "client": plan.client.id,
                    "risk": r.id,
                    "description": r.description,
                    "owner": r.owner,
                    "likelihood": r.likelihood,
                    "impact": r.impact,
                    "metric": t.metric if t else None,
                    "op": t.op if t else None,
                    "value": t.value if t else np.nan,
                    "after": t.after if t else None,
                    "current": current.get((plan.client.id, t.metric), np.nan) if t else np.nan,
                    "contingency": r.contingency,
                }
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "client",
            "risk",
            "description",
            "owner",
            "likelihood",
            "impact",
            "metric",
            "op",
            "value",
            "after",
            "current",
            "contingency",
        ],
    )
    after_ok = np.array([a is None or as_of > a for a in out["after"]], dtype=bool)
    fired = (
        compare(out["current"].to_numpy(float), out["op"].to_numpy(), out["value"].to_numpy(float)) & after_ok
    )
    out.insert(11, "status", np.where(fired, "triggered", "clear"))
    return out
