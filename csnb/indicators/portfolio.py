"""``csnb status``: every status of one client or the portfolio, as JSON-able data and rich tables."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from csnb.project.folder import Project

COLOURS = {
    "achieved": "green",
    "on_track": "green",
    "done": "green",
    "green": "green",
    "clear": "green",
    "at_risk": "yellow",
    "amber": "yellow",
    "blocked": "yellow",
    "off_track": "red",
    "missed": "red",
    "late": "red",
    "red": "red",
    "triggered": "red",
    "no_data": "dim",
    "not_started": "dim",
    "unknown": "dim",
}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()[:10]
    if isinstance(value, tuple):
        return list(value)
    if value is pd.NA:
        return None
    return value.item() if hasattr(value, "item") else value


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    cols = [c for c in columns if c in frame]
    return [
        {c: _clean(v) for c, v in zip(cols, row, strict=False)} for row in frame[cols].itertuples(index=False)
    ]


def portfolio_status(clients: list[str] | None, as_of: dt.date | None) -> dict[str, Any]:
    """Pull and evaluate the named clients (all when None) at ``as_of``; JSON-able result."""
    from csnb.indicators.evaluation import evaluate_portfolio
    from csnb.sources import pull

    project = Project()
    as_of = as_of or project.config.today()
    plans = [project.plan(c) for c in clients] if clients else project.plans
    pulled = [pull(p, end=as_of) for p in plans]
    frames = [o.frame for o in pulled if len(o.frame)]
    frame = pd.concat(frames, ignore_index=True) if frames else None
    portfolio = evaluate_portfolio(plans, frame, as_of)
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "clients": []}
    for plan, obs in zip(plans, pulled, strict=False):
        snap = portfolio.snapshot(plan.client.id)
        out["clients"].append(
            {
                "client": plan.client.id,
                "name": plan.client.name,
                "health": {
                    "score": snap.health.score,
                    "band": snap.health.band,
                    "missing": list(snap.health.missing),
                },
                "goals": _rows(snap.goals, ["goal", "statement", "status"]),
                "metrics": _rows(
                    snap.metrics,
                    [
                        "metric",
                        "name",
                        "kind",
                        "unit",
                        "current",
                        "target",
                        "progress",
                        "expected",
                        "status",
                        "trend",
                        "forecast_date",
                    ],
                ),
                "lead_checks": _rows(snap.lead_checks, ["lead", "lag", "best_shift", "best_r", "predicts"]),
                "milestones": _rows(
                    snap.milestones,
                    ["milestone", "title", "stage", "due", "status", "achieved_on", "slip_days", "critical"],
                ),
                "risks": _rows(snap.risks, ["risk", "description", "status", "current"]),
                "source_errors": [str(e) for e in obs.errors],
            }
        )
    return out


def _badge(status: str | None) -> Text:
    return Text(str(status), style=COLOURS.get(str(status), ""))


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:,.1f}" if isinstance(value, float) else str(value)


def print_status(result: dict[str, Any], console: Console) -> None:
    """Print the status result as rich tables (user strings are shown as plain text, never markup)."""
    for c in result["clients"]:
        h = c["health"]
        console.print(
            Text.assemble(
                (f"{c['name']} ({c['client']})", "bold"),
                f" — as of {result['as_of']} — health ",
                (f"{_num(h['score'])} {h['band']}", COLOURS.get(h["band"], "")),
            )
        )
        table = Table(
            "metric",
            "kind",
            "current",
            "target",
            "progress",
            "expected",
            "status",
            "forecast",
            title="Metrics",
            title_justify="left",
        )
        for m in c["metrics"]:
            table.add_row(
                Text(m["name"]),
                m["kind"],
                _num(m["current"]),
                _num(m["target"]),
                "—" if m["progress"] is None else f"{m['progress']:.0%}",
                f"{m['expected']:.0%}",
                _badge(m["status"]),
                m["forecast_date"] or "—",
            )
        console.print(table)
        ms = Table(
            "milestone",
            "title",
            "due",
            "status",
            "achieved",
            "slip",
            title="Milestones",
            title_justify="left",
        )
        for m in c["milestones"]:
            ms.add_row(
                Text(m["milestone"]),
                Text(m["title"]),
                m["due"],
                _badge(m["status"]),
                m["achieved_on"] or "—",
                "—" if m["slip_days"] is None else f"{m['slip_days']:+.0f} d",
            )
        console.print(ms)
        risks = Table("risk", "description", "status", title="Risks", title_justify="left")
        for r in c["risks"]:
            risks.add_row(Text(r["risk"]), Text(r["description"]), _badge(r["status"]))
        console.print(risks)
        for lc in c["lead_checks"]:
            verdict = (
                "not enough data"
                if lc["predicts"] is None
                else (
                    f"leads by {lc['best_shift']} (r={lc['best_r']:.2f})"
                    if lc["predicts"]
                    else f"predicts nothing (best r={lc['best_r']:.2f})"
                )
            )
            console.print(Text(f"lead {lc['lead']} -> {lc['lag']}: {verdict}"))
        for e in c["source_errors"]:
            console.print(Text(f"data problem: {e}", style="red"))
        console.print()
