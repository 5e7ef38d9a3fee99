"""Candidate metrics: a metric tried inside its plan before it is added to the plan file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from csnb.errors import InputError
from csnb.explore.evaluation import Evaluation, evaluate, pull_between, revalidated
from csnb.explore.tables import display_value, html_table, titled_block
from csnb.plan.located import parse_located
from csnb.plan.models import Plan
from csnb.sources.pull import Observations

if TYPE_CHECKING:
    import altair as alt

    from csnb.sources.pull import Observations


def _metric_spec(metric: Mapping[str, Any] | str) -> dict[str, Any]:
    """A candidate metric given as a mapping or as the YAML that would go under ``metrics:``."""
    if isinstance(metric, str):
        metric = parse_located(metric, "candidate metric").data
    if not isinstance(metric, Mapping):
        raise InputError("a candidate metric is a mapping: id, name, kind, source, query, baseline, ...")
    return dict(metric)


@dataclass
class Trial:
    """A candidate metric evaluated inside its plan, before it is added to the plan file."""

    metric_id: str
    before: Evaluation
    after: Evaluation
    rows: int

    def to_frame(self) -> pd.DataFrame:
        """The candidate's row of the metrics table (current, progress, expected, status, trend, ...)."""
        m = self.after.snapshot.metrics
        return m[m["metric"] == self.metric_id].drop(columns=["client"]).reset_index(drop=True)

    def lead_checks(self) -> pd.DataFrame:
        """The lead→lag checks that involve the candidate."""
        c = self.after.snapshot.lead_checks
        return c[(c["lead"] == self.metric_id) | (c["lag"] == self.metric_id)].reset_index(drop=True)

    def chart(self) -> alt.LayerChart:
        """The candidate's chart, as the report would draw it."""
        return self.after.chart(self.metric_id)

    def yaml(self) -> str:
        """The candidate as YAML, ready to paste under ``metrics:`` in the plan."""
        import yaml

        metric = self.after.plan.metric(self.metric_id).model_dump(mode="python", exclude_defaults=True)
        return yaml.safe_dump([metric], sort_keys=False, allow_unicode=True, width=120)

    def _repr_html_(self) -> str:
        row = self.to_frame()
        name = str(row["name"].iloc[0]) if len(row) else self.metric_id
        cols = ["metric", "kind", "current", "target", "progress", "expected", "status", "trend", "periods"]
        h0, h1 = self.before.health.score, self.after.health.score
        health = f"{display_value(h0)} → {display_value(h1)}"
        note = f"{self.rows} observations pulled; health {health} with it in the plan."
        out = titled_block(f"Candidate metric: {name}", html_table(row[cols]), note)
        checks = self.lead_checks()
        if len(checks):
            out += titled_block("Lead → lag check", html_table(checks.drop(columns=["client"])))
        return out


def try_metric(
    plan: Plan,
    metric: Mapping[str, Any] | str,
    as_of: str | dt.date | None = None,
    observations: Observations | None = None,
) -> Trial:
    """Pull and evaluate a candidate metric (a mapping or YAML, as in the plan) alongside the plan's own."""

    data = plan.model_dump(mode="python", by_alias=True)
    data["metrics"].append(_metric_spec(metric))
    candidate_plan = revalidated(plan, data, "candidate metric")
    candidate = candidate_plan.metrics[-1]
    pulled = pull_between(candidate_plan.model_copy(update={"metrics": [candidate]}))
    if pulled.errors:
        raise pulled.errors[0]
    before = evaluate(plan, as_of, observations)
    base = before.observations
    if isinstance(base, pd.DataFrame):  # a tidy frame is accepted wherever observations are
        base = Observations(frame=base)
    combined = Observations(
        pd.concat([base.frame, pulled.frame], ignore_index=True),
        list(base.errors),
        pd.concat([base.freshness, pulled.freshness], ignore_index=True),
    )
    after = evaluate(candidate_plan, before.as_of, combined)
    return Trial(candidate.id, before, after, len(pulled.frame))
