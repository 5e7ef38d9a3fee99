"""Every status of one client or the portfolio at one date, as JSON-able data (``csnb status``)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from csnb.errors import SourceError
from csnb.indicators.evaluation import CHUNK_CLIENTS, evaluate_portfolio
from csnb.indicators.failures import failed_sources
from csnb.indicators.health import cap_reason
from csnb.indicators.snapshot import Snapshot
from csnb.plan.models import Plan
from csnb.project.folder import Project
from csnb.sources import Observations, pull


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()[:10]
    if isinstance(value, tuple):
        return list(value)
    return value.item() if hasattr(value, "item") else value


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    cols = [c for c in columns if c in frame]
    return [
        {c: _clean(v) for c, v in zip(cols, row, strict=False)} for row in frame[cols].itertuples(index=False)
    ]


def _health(snap: Snapshot) -> dict[str, Any]:
    """Score, band (after any cap), the goals that cap it, and the inputs left out of the score."""
    comp = snap.health.components
    reasons = dict(zip(comp["input"], comp["missing"], strict=True)) if len(comp) else {}
    return {
        "score": snap.health.score,
        "band": snap.health.band,
        "capped_by": [{**c, "reason": cap_reason(c)} for c in snap.health.capped_by],
        "missing": list(snap.health.missing),
        "missing_reasons": {m: reasons.get(m, "no_data") for m in snap.health.missing},
    }


METRIC_FIELDS = [
    "metric",
    "name",
    "kind",
    "unit",
    "current",
    "target",
    "progress",
    "expected",
    "status",
    "current_date",
    "newest_date",
    "age_days",
    "stale",
    "trend",
    "forecast_date",
    "error",
]
INPUT_FIELDS = ["milestone", "description", "owner", "needed_by", "received_on", "status", "days_overdue"]
MILESTONE_FIELDS = ["milestone", "title", "stage", "due", "status", "achieved_on", "slip_days", "critical"]
LEAD_FIELDS = ["lead", "lag", "best_shift", "best_r", "predicts", "verdict", "reason"]


def client_status(plan: Plan, snap: Snapshot, errors: list[SourceError]) -> dict[str, Any]:
    """One client's statuses as JSON-able data, with its failed sources grouped and named."""
    return {
        "client": plan.client.id,
        "name": plan.client.name,
        "health": _health(snap),
        "goals": _rows(snap.goals, ["goal", "statement", "status"]),
        "metrics": _rows(snap.metrics, METRIC_FIELDS),
        "lead_checks": _rows(snap.lead_checks, LEAD_FIELDS),
        "milestones": _rows(snap.milestones, MILESTONE_FIELDS),
        "risks": _rows(snap.risks, ["risk", "description", "status", "current"]),
        "inputs": _rows(snap.inputs, INPUT_FIELDS),
        "source_errors": [str(e) for e in errors],
        "failed_sources": [
            {"source": f.source, "metrics": f.metrics, "details": f.details, "line": f.line()}
            for f in failed_sources(errors)
        ],
    }


def portfolio_status(
    clients: list[str] | None, as_of: dt.date | None, chunk: int = CHUNK_CLIENTS
) -> dict[str, Any]:
    """Pull and evaluate the named clients (all when None) at ``as_of``; JSON-able result.

    Clients are pulled and evaluated ``chunk`` at a time, so a portfolio of thousands of clients needs
    the memory of one chunk's observations, not of all of them.
    """
    project = Project()
    as_of = as_of or project.config.today()
    plans = [project.plan(c) for c in clients] if clients else project.plans
    out: list[dict[str, Any]] = []
    for start in range(0, len(plans), chunk):
        out += _chunk_status(plans[start : start + chunk], as_of)
    return {"as_of": as_of.isoformat(), "clients": out}


def _chunk_status(plans: list[Plan], as_of: dt.date) -> list[dict[str, Any]]:
    """The statuses of one chunk of clients, evaluated together in one vectorised pass."""
    pulled = [pull(p, end=as_of) for p in plans]
    frames = [o.frame for o in pulled if len(o.frame)]
    frame = pd.concat(frames, ignore_index=True) if frames else Observations().frame
    errors = [e for o in pulled for e in o.errors]  # a failed source is status `error`, not `no_data`
    portfolio = evaluate_portfolio(plans, Observations(frame, errors), as_of)
    return [
        client_status(plan, portfolio.snapshot(plan.client.id), obs.errors)
        for plan, obs in zip(plans, pulled, strict=True)
    ]
