"""Every status of one client or the portfolio at one date, as JSON-able data (``csnb status``)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from csnb.indicators.evaluation import evaluate_portfolio
from csnb.project.folder import Project
from csnb.sources import pull


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
