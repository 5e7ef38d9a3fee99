"""Evaluations for notebooks: every status of a plan at a date, the report's charts, and what-ifs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from csnb.errors import InputError, Issue, PlanError
from csnb.explore.tables import Table, breakdown, display_value, html_table, status_table, titled_block
from csnb.indicators.assess import assess, to_date
from csnb.indicators.health import cap_reason
from csnb.indicators.snapshot import Health, Snapshot
from csnb.plan.load import validate_document
from csnb.plan.located import Located
from csnb.plan.models import Plan
from csnb.project.clock import today
from csnb.project.config import load_config
from csnb.report.charts import lead_lag_chart, metric_chart
from csnb.sources import pull

if TYPE_CHECKING:
    import altair as alt

    from csnb.sources.pull import Observations


def report_date(plan: Plan, as_of: str | dt.date | None = None) -> dt.date:
    """``as_of`` as a date; by default the report's: today in the plan's time zone, or the date ``csnb.toml``
    pins."""
    return to_date(as_of) or today(load_config(plan.path.parent if plan.path else None), plan)


def observations(
    plan: Plan, start: str | dt.date | None = None, end: str | dt.date | None = None
) -> Observations:
    """Every metric of ``plan`` from its sources (``csnb.pull``) between ``start`` and ``end``."""
    return pull_between(plan, to_date(start), to_date(end))


def pull_between(plan: Plan, start: dt.date | None = None, end: dt.date | None = None) -> Observations:
    """``csnb.pull`` of the plan between two dates (both optional)."""
    return pull(plan, start=start, end=end)


@dataclass
class Evaluation:
    """A plan evaluated at ``as_of``: the report's numbers as tables, charts and frames."""

    plan: Plan
    snapshot: Snapshot
    observations: Observations | None = None

    @property
    def as_of(self) -> dt.date:
        """The date the plan was evaluated for."""
        return self.snapshot.as_of

    @property
    def health(self) -> Health:
        """The health score, its band and its inputs."""
        return self.snapshot.health

    def to_frame(self) -> pd.DataFrame:
        """The status table: one row per metric, milestone and risk, and one for health."""
        return status_table(self.snapshot)

    def table(self, name: str) -> Table:
        """One of the snapshot's frames (metrics, milestones, criteria, risks, goals, leads, lead_checks)."""
        frame = getattr(self.snapshot, name, None)
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"no table {name!r}; try metrics, milestones, criteria, risks, goals, leads")
        return Table(name.replace("_", " ").capitalize(), frame.drop(columns=["client"], errors="ignore"))

    def breakdown(self) -> Table:
        """Which inputs pulled the health score down, and by how many points."""
        h = self.health
        score = "no score" if h.score is None else f"{h.score:.0f} ({h.band})"
        note = f"Health {score}; 'lost' is the points each input costs the score."
        why = dict(zip(h.components["input"], h.components["missing"], strict=True))
        if h.missing:
            left = [f"{m} ({why.get(m) or 'no_data'})" for m in h.missing]
            note += f" Left out: {', '.join(left)}."
        for cap in h.capped_by:  # the band the score alone would give is not the band shown
            note += f" Capped at amber: {cap_reason(cap)}."
        return Table("Health breakdown", breakdown(self.snapshot), note)

    def leads(self) -> Table:
        """Every lead→lag shift tried, with its correlation; ``best`` marks each pair's best shift."""
        frame = self.snapshot.leads.drop(columns=["client"], errors="ignore")
        return Table("Lead → lag shifts tried", frame, "Shift is in periods of the lag metric's frequency.")

    def series(self, metric_id: str) -> pd.DataFrame:
        """The aggregated series of one metric (date, value), as the report charts it."""
        s = self.snapshot.series
        return s[s["metric"] == self._row(metric_id)["metric"]][["date", "value"]].reset_index(drop=True)

    def chart(self, metric_id: str) -> alt.LayerChart:
        """The report's chart of one metric: actuals, baseline, target, glide path and forecast."""

        return metric_chart(self._row(metric_id), self.snapshot.series)

    def lead_chart(self) -> alt.LayerChart:
        """Correlation of each lead with its lag at every shift tried."""

        return lead_lag_chart(self.snapshot.leads)

    def what_if(
        self,
        metrics: Mapping[str, Mapping[str, Any]] | None = None,
        milestones: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> WhatIf:
        """This evaluation again with changed targets, dates or tolerances (same data, same ``as_of``)."""
        return what_if(self.plan, metrics, milestones, as_of=self.as_of, observations=self.observations)

    def _row(self, metric_id: str) -> pd.Series:
        m = self.snapshot.metrics
        rows = m[m["metric"] == metric_id]
        if rows.empty:
            known = ", ".join(m["metric"]) or "none"
            raise InputError(f"no metric {metric_id!r} in the plan of {self.plan.client.id} (known: {known})")
        return rows.iloc[0]

    def _repr_html_(self) -> str:
        title = f"{self.plan.client.name} — as of {self.as_of.isoformat()}"
        return titled_block(title, html_table(self.to_frame())) + self.breakdown()._repr_html_()

    def __repr__(self) -> str:
        return f"Evaluation(client={self.plan.client.id!r}, as_of={self.as_of}, health={self.health.score})"


def evaluate(
    plan: Plan, as_of: str | dt.date | None = None, observations: Observations | None = None
) -> Evaluation:
    """Evaluate ``plan`` at ``as_of`` (default: the report's date), pulling its data unless given."""
    # the whole series, not only up to as_of: what-ifs and comparisons move the date later
    obs = observations if observations is not None else pull_between(plan)
    return Evaluation(plan, assess(plan, report_date(plan, as_of), observations=obs).snapshot, obs)


def chart(plan: Plan, metric_id: str, as_of: str | dt.date | None = None) -> alt.LayerChart:
    """The report's Altair chart of one metric of ``plan`` at ``as_of``."""
    return evaluate(plan, as_of).chart(metric_id)


METRIC_FIELDS = {
    "target": ("target", "value"),
    "target_date": ("target", "date"),
    "baseline": ("baseline", "value"),
    "baseline_date": ("baseline", "date"),
    "tolerance": ("tolerance",),
}
MILESTONE_FIELDS = {"due": ("due",), "start": ("start",)}
DATE_FIELDS = {"target_date", "baseline_date", "due", "start"}


def revalidated(plan: Plan, data: dict[str, Any], label: str) -> Plan:
    """A plan document checked like a plan file; keeps ``plan``'s file, where relative paths start."""

    new, issues = validate_document(Located(label, data, {}))
    if issues or new is None:
        # the document has no lines: report the field path only
        raise PlanError([Issue(label, 0, 0, i.field, i.message) for i in issues])
    new._path = plan.path
    return new


def _set(item: dict[str, Any], path: tuple[str, ...], value: Any) -> Any:
    """Set ``item[path]`` to ``value``; return the old value."""
    *parents, last = path
    for key in parents:
        item = item[key]
    old, item[last] = item[last], value
    return old


def _apply(
    items: list[dict[str, Any]],
    changes: Mapping[str, Mapping[str, Any]] | None,
    fields: dict[str, tuple[str, ...]],
    kind: str,
) -> list[dict[str, Any]]:
    """Apply ``changes`` ({id: {field: value}}) to the plan document's ``items``; return what changed."""
    by_id = {item["id"]: item for item in items}
    done = []
    for item_id, values in (changes or {}).items():
        if item_id not in by_id:
            raise InputError(f"what-if: no {kind} {item_id!r} (known: {', '.join(by_id) or 'none'})")
        for name, value in values.items():
            if name not in fields:
                raise InputError(
                    f"what-if: {kind} {item_id}: cannot change {name!r}; change one of {', '.join(fields)}"
                )
            value = to_date(value) if name in DATE_FIELDS else value
            old = _set(by_id[item_id], fields[name], value)
            done.append({"item": kind, "id": item_id, "field": name, "before": old, "after": value})
    return done


@dataclass
class WhatIf:
    """The plan evaluated as it is and with proposed changes: which statuses move."""

    before: Evaluation
    after: Evaluation
    changes: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Every item's status before and after the changes, and whether it moved."""
        keep = ["item", "id", "name", "status", "progress", "expected"]
        old = self.before.to_frame()[keep]
        new = self.after.to_frame()[keep].drop(columns="name")
        out = old.merge(new, on=["item", "id"], how="left", suffixes=("_before", "_after"))
        out = out.rename(columns={"status_before": "before", "status_after": "after"})
        out["moved"] = out["before"] != out["after"]
        return out[
            [
                "item",
                "id",
                "name",
                "before",
                "after",
                "moved",
                "progress_before",
                "progress_after",
                "expected_before",
                "expected_after",
            ]
        ]

    def moves(self) -> pd.DataFrame:
        """Only the items whose status moves."""
        frame = self.to_frame()
        return frame[frame["moved"]].drop(columns="moved").reset_index(drop=True)

    def _repr_html_(self) -> str:
        moves = self.moves()
        h0, h1 = self.before.health.score, self.after.health.score
        note = f"Health {display_value(h0)} → {display_value(h1)} at {self.after.as_of.isoformat()}."
        body = (
            html_table(moves[["item", "id", "name", "before", "after"]])
            if len(moves)
            else "<p>No status moves.</p>"
        )
        return titled_block("What if", html_table(self.changes), note) + titled_block(
            "Statuses that move", body
        )


def what_if(
    plan: Plan,
    metrics: Mapping[str, Mapping[str, Any]] | None = None,
    milestones: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    as_of: str | dt.date | None = None,
    observations: Observations | None = None,
) -> WhatIf:
    """Evaluate ``plan`` with changed metric targets/tolerances or milestone dates, beside the plan as it is.

    ``metrics``: {metric id: {target, target_date, baseline, baseline_date, tolerance}};
    ``milestones``: {milestone id: {due, start}}. The changed plan is validated like a plan file.
    """
    data = plan.model_dump(mode="python", by_alias=True)
    done = _apply(data["metrics"], metrics, METRIC_FIELDS, "metric")
    done += _apply(data["milestones"], milestones, MILESTONE_FIELDS, "milestone")
    if not done:
        raise InputError("what-if: nothing to change; pass metrics={id: {field: value}} or milestones=...")
    changed = revalidated(plan, data, "what-if")
    before = evaluate(plan, as_of, observations)
    after = evaluate(changed, before.as_of, before.observations)
    return WhatIf(before, after, pd.DataFrame(done, columns=["item", "id", "field", "before", "after"]))
