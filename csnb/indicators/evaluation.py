"""Evaluate plans against observations: the whole portfolio at once, or one plan (``csnb.evaluate``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from csnb.indicators import health as health_mod
from csnb.indicators import leads, milestones
from csnb.indicators import metrics as indicators
from csnb.indicators.inputs import INPUT_COLUMNS, input_table
from csnb.indicators.periods import day_number
from csnb.indicators.snapshot import Snapshot
from csnb.plan.models import Plan

CHUNK_CLIENTS = 500  # clients per chunk of a large portfolio: ~3.7 M daily observations of 10 metrics

# a goal shows its worst metric; a failed source ranks just below missed: nobody can say it is on track
SEVERITY = {
    "missed": 6,
    "error": 5,
    "off_track": 4,
    "at_risk": 3,
    "no_data": 2,
    "on_track": 1,
    "achieved": 0,
}


def _frame(observations: Any) -> tuple[pd.DataFrame | None, list]:
    """Accept a tidy frame or the ``Observations`` that ``csnb.pull`` returns."""
    if observations is None:
        return None, []
    if isinstance(observations, pd.DataFrame):
        return observations, []
    return observations.frame, list(getattr(observations, "errors", []))


def _goals(plans: Sequence[Plan], metric_frame: pd.DataFrame) -> pd.DataFrame:
    status = (
        dict(
            zip(
                zip(metric_frame["client"], metric_frame["metric"], strict=False),
                metric_frame["status"],
                strict=False,
            )
        )
        if len(metric_frame)
        else {}
    )
    rows = []
    for plan in plans:
        for g in plan.goals:
            statuses = [status.get((plan.client.id, m), "no_data") for m in g.metrics]
            rows.append(
                {
                    "client": plan.client.id,
                    "goal": g.id,
                    "statement": g.statement,
                    "why": g.why,
                    "metrics": tuple(g.metrics),
                    "status": max(statuses, key=SEVERITY.__getitem__),
                }
            )
    return pd.DataFrame(rows, columns=["client", "goal", "statement", "why", "metrics", "status"])


class Portfolio:
    """Every status of many plans at one ``as_of``, as portfolio-wide frames; ``snapshot(client)`` each."""

    def __init__(self, plans: Sequence[Plan], observations: Any, as_of: dt.date):
        self.as_of = as_of
        self.plans = {p.client.id: p for p in plans}
        frame, self.source_errors = _frame(observations)
        today = day_number(as_of)
        table = indicators.metric_table(plans)
        series, newest = indicators.aggregate_series(frame, table, as_of)
        self.metrics = indicators.mark_errors(
            indicators.metric_status(series, table, as_of, newest), self.source_errors
        )
        self.leads, self.lead_checks = (
            leads.lead_checks(series, table)
            if len(table)
            else (pd.DataFrame(columns=leads.LEAD_COLUMNS), pd.DataFrame(columns=leads.CHECK_COLUMNS))
        )
        ms = milestones.milestone_table(plans)
        crit = milestones.criteria_table(plans, table)
        if len(ms):
            achieved, holds_now = milestones.achieved_on(crit, series, len(table), len(ms), today)
            forecast = milestones.forecast_holds(crit, self.metrics, ms["due_day"].to_numpy())
            ok = np.ones(len(ms), dtype=bool)
            np.logical_and.at(ok, crit["ms_key"].to_numpy(), forecast)
            ms = milestones.classify(ms, achieved, ok, today)
            ms["critical"] = milestones.critical_path(ms)
            met = np.bincount(crit["ms_key"].to_numpy(), weights=holds_now.astype(float), minlength=len(ms))
            ms["criteria_met"] = met.astype(int)
            crit = crit.assign(holds=holds_now, forecast_holds=forecast)
        else:  # keep every column so that downstream code never special-cases an empty plan
            ms = ms.assign(
                status=pd.Series(dtype=object),
                achieved_on=pd.Series(dtype=object),
                slip_days=pd.Series(dtype=float),
                blocked_by=pd.Series(dtype=object),
                critical=pd.Series(dtype=bool),
                criteria_met=pd.Series(dtype=int),
            )
            crit = crit.assign(holds=pd.Series(dtype=bool), forecast_holds=pd.Series(dtype=bool))
        self.milestones, self.criteria = ms, crit
        cur = self.metrics["current"].to_numpy() if len(table) else np.array([])
        self.criteria["current"] = (
            np.where(
                crit["metric_key"].to_numpy() >= 0,
                cur[np.maximum(crit["metric_key"].to_numpy(), 0)] if len(cur) else np.nan,
                np.nan,
            )
            if len(crit)
            else []
        )
        self.series = self._series(series, table)
        self.risks = milestones.risk_table(plans, self.metrics, as_of)
        self.goals = _goals(plans, self.metrics)
        self.components = (
            health_mod.components(self.metrics, self.milestones)
            if len(table) or len(ms)
            else pd.DataFrame(columns=health_mod.COMPONENT_COLUMNS)
        )
        self.health = health_mod.health_by_client(self.components, list(self.plans))
        self.inputs = input_table(plans, self.milestones, as_of)
        self._rows: dict[int, dict[str, np.ndarray]] = {}

    @staticmethod
    def _series(series: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
        keys = series["key"].to_numpy()
        return pd.DataFrame(
            {
                "client": table["client"].to_numpy()[keys] if len(table) else [],
                "metric": table["metric"].to_numpy()[keys] if len(table) else [],
                "date": series["period"].to_numpy().astype("datetime64[D]").astype("datetime64[ns]"),
                "observed": series["observed"].to_numpy().astype("datetime64[D]").astype("datetime64[ns]"),
                "value": series["value"].to_numpy(),
            }
        )

    def snapshot(self, client: str) -> Snapshot:
        """The ``Snapshot`` of one client."""

        def pick(frame: pd.DataFrame) -> pd.DataFrame:
            if not len(frame):
                return frame.copy()
            if id(frame) not in self._rows:  # one grouping per frame, then each client is a cheap take
                self._rows[id(frame)] = frame.groupby("client", sort=False).indices
            rows = self._rows[id(frame)].get(client, np.empty(0, dtype=np.int64))
            return frame.take(rows).reset_index(drop=True)

        errors = [e for e in self.source_errors if getattr(e, "client", client) in (client, "")]
        metrics = pick(self.metrics)
        goals = pick(self.goals)
        drop = [c for c in ("freq_code", "agg_code", "baseline_day", "target_day") if c in metrics]
        return Snapshot(
            client=client,
            as_of=self.as_of,
            metrics=metrics.drop(columns=drop),
            series=pick(self.series),
            leads=pick(self.leads),
            lead_checks=pick(self.lead_checks),
            milestones=pick(self.milestones).drop(columns=["start_day", "due_day"], errors="ignore"),
            criteria=pick(self.criteria).drop(columns=["ms_key", "metric_key"], errors="ignore"),
            risks=pick(self.risks),
            goals=goals,
            health=health_mod.health(self.health[client], pick(self.components), goals, metrics),
            source_errors=errors,
            inputs=pick(self.inputs) if len(self.inputs) else pd.DataFrame(columns=INPUT_COLUMNS),
        )


def evaluate_portfolio(plans: Iterable[Plan], observations: Any, as_of: dt.date) -> Portfolio:
    """Evaluate many plans against one observations frame in a single vectorised pass."""
    return Portfolio(list(plans), observations, as_of)


def evaluate_in_chunks(
    plans: Sequence[Plan],
    observations: Callable[[Sequence[Plan]], Any],
    as_of: dt.date,
    chunk: int = CHUNK_CLIENTS,
) -> Iterator[Portfolio]:
    """Evaluate a large portfolio ``chunk`` clients at a time, each chunk's observations fetched for it.

    Memory is bounded by one chunk (its observations and series), not by the portfolio: the caller
    keeps what it needs of each ``Portfolio`` (its metrics table, its snapshots) and drops the rest.
    Every client is evaluated with its own rows only, so chunking changes no status.
    """
    for start in range(0, len(plans), chunk):
        part = plans[start : start + chunk]
        yield Portfolio(part, observations(part), as_of)


def evaluate(plan: Plan, observations: Any, as_of: dt.date) -> Snapshot:
    """Every status of one plan at ``as_of`` (observations: tidy frame or ``csnb.pull(plan)``)."""
    return Portfolio([plan], observations, as_of).snapshot(plan.client.id)
