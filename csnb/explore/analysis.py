"""Exploring a plan in a notebook: evaluations that display as tables, what-if changes, candidate metrics.

Every object here has ``_repr_html_`` (user strings escaped: a metric name is text, never markup) and
``to_frame()``. The numbers are the report's: the same ``pull`` and ``evaluate``, on the same ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from csnb.errors import InputError, Issue, PlanError
from csnb.indicators.assess import assess, to_date
from csnb.indicators.changes import Diff, diff
from csnb.indicators.snapshot import Health, Snapshot
from csnb.plan.load import load_plan as load
from csnb.plan.models import Plan
from csnb.project.config import load_config
from csnb.project.folder import Project as BaseProject
from csnb.sources import pull

if TYPE_CHECKING:
    import altair as alt

    from csnb.sources.pull import Observations

STATUS_COLUMNS = ["item", "id", "name", "status", "current", "target", "progress", "expected", "due"]
# What a what-if may change, and where the value lives in the plan document.
METRIC_FIELDS = {
    "target": ("target", "value"),
    "target_date": ("target", "date"),
    "baseline": ("baseline", "value"),
    "baseline_date": ("baseline", "date"),
    "tolerance": ("tolerance",),
}
MILESTONE_FIELDS = {"due": ("due",), "start": ("start",)}
DATE_FIELDS = {"target_date", "baseline_date", "due", "start"}


def _cell(value: Any) -> Any:
    """A value as a table cell: tuples as comma lists, floats with a few significant digits."""
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return "—" if pd.isna(value) else f"{value:,.4g}"
    return "—" if value is None or value is pd.NaT else value


def html_table(frame: pd.DataFrame) -> str:
    """``frame`` as an HTML table with every header and cell escaped."""
    shown = frame.map(_cell) if len(frame) else frame
    return shown.to_html(index=False, escape=True, border=0, na_rep="—", classes="csnb-explore")


def _block(title: str, body: str, note: str = "") -> str:
    text = f"<p>{html.escape(note)}</p>" if note else ""
    return f"<div><h4>{html.escape(title)}</h4>{text}{body}</div>"


@dataclass(frozen=True)
class Table:
    """A titled frame that a notebook shows as an escaped HTML table."""

    title: str
    frame: pd.DataFrame
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame (a copy: change it freely)."""
        return self.frame.copy()

    def __len__(self) -> int:
        return len(self.frame)

    def _repr_html_(self) -> str:
        return _block(self.title, html_table(self.frame), self.note)

    def __repr__(self) -> str:
        return f"{self.title}\n{self.frame.to_string(index=False)}"


def report_date(plan: Plan, as_of: str | dt.date | None = None) -> dt.date:
    """``as_of`` as a date; by default the report's: today, or the date ``csnb.toml`` pins."""
    return to_date(as_of) or load_config(plan.path.parent if plan.path else None).today()


def observations(
    plan: Plan, start: str | dt.date | None = None, end: str | dt.date | None = None
) -> Observations:
    """Every metric of ``plan`` from its sources (``csnb.pull``) between ``start`` and ``end``."""
    return _pull(plan, to_date(start), to_date(end))


def _pull(plan: Plan, start: dt.date | None = None, end: dt.date | None = None) -> Observations:
    return pull(plan, start=start, end=end)


def status_table(snap: Snapshot) -> pd.DataFrame:
    """One row per metric, milestone and risk, plus health: the statuses a report prints."""
    m, ms, r = snap.metrics, snap.milestones, snap.risks
    parts = [
        pd.DataFrame(
            {
                "item": "health",
                "id": ["health"],
                "name": ["Health"],
                "status": [snap.health.band],
                "current": [snap.health.score],
            }
        ),
        pd.DataFrame(
            {
                "item": "metric",
                "id": m["metric"],
                "name": m["name"],
                "status": m["status"],
                "current": m["current"],
                "target": m["target"],
                "progress": m["progress"],
                "expected": m["expected"],
                "due": m["target_date"],
            }
        ),
        pd.DataFrame(
            {
                "item": "milestone",
                "id": ms.get("milestone", []),
                "name": ms.get("title", []),
                "status": ms.get("status", []),
                "due": ms.get("due", []),
            }
        ),
        pd.DataFrame(
            {
                "item": "risk",
                "id": r["risk"],
                "name": r["description"],
                "status": r["status"],
                "current": r["current"],
            }
        ),
    ]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True).reindex(columns=STATUS_COLUMNS)


def _names(snap: Snapshot) -> dict[str, str]:
    names = dict(zip(snap.metrics["metric"], snap.metrics["name"], strict=True))
    names.update(zip(snap.milestones.get("milestone", []), snap.milestones.get("title", []), strict=True))
    return names


def breakdown(snap: Snapshot) -> pd.DataFrame:
    """Each health input with the points it cost: ``lost`` adds up to ``100 - score``, worst first."""
    comp = snap.health.components
    counted = comp["weight"].where(comp["points"].notna(), 0.0)
    total = counted.sum()
    lost = counted * (100 - comp["points"].fillna(100)) / total if total else counted * 0.0
    names = _names(snap)
    out = pd.DataFrame(
        {
            "input": comp["input"],
            "name": comp["input"].map(names).fillna(comp["input"]),
            "kind": comp["kind"],
            "status": comp["status"],
            "points": comp["points"],
            "weight": comp["weight"],
            "lost": lost,
        }
    )
    return out.sort_values(["lost", "weight"], ascending=[False, False], kind="stable", ignore_index=True)


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
        if h.missing:
            note += f" Left out for lack of data: {', '.join(h.missing)}."
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
        from csnb.report.charts import metric_chart

        return metric_chart(self._row(metric_id), self.snapshot.series)

    def lead_chart(self) -> alt.LayerChart:
        """Correlation of each lead with its lag at every shift tried."""
        from csnb.report.charts import lead_lag_chart

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
        return _block(title, html_table(self.to_frame())) + self.breakdown()._repr_html_()

    def __repr__(self) -> str:
        return f"Evaluation(client={self.plan.client.id!r}, as_of={self.as_of}, health={self.health.score})"


def evaluate(
    plan: Plan, as_of: str | dt.date | None = None, observations: Observations | None = None
) -> Evaluation:
    """Evaluate ``plan`` at ``as_of`` (default: the report's date), pulling its data unless given."""
    # the whole series, not only up to as_of: what-ifs and comparisons move the date later
    obs = observations if observations is not None else _pull(plan)
    return Evaluation(plan, assess(plan, report_date(plan, as_of), observations=obs).snapshot, obs)


def chart(plan: Plan, metric_id: str, as_of: str | dt.date | None = None) -> alt.LayerChart:
    """The report's Altair chart of one metric of ``plan`` at ``as_of``."""
    return evaluate(plan, as_of).chart(metric_id)


def revalidated(plan: Plan, data: dict[str, Any], label: str) -> Plan:
    """A plan document checked like a plan file; keeps ``plan``'s file, where relative paths start."""
    from csnb.plan.load import validate_document
    from csnb.plan.located import Located

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
        note = f"Health {_cell(h0)} → {_cell(h1)} at {self.after.as_of.isoformat()}."
        body = (
            html_table(moves[["item", "id", "name", "before", "after"]])
            if len(moves)
            else "<p>No status moves.</p>"
        )
        return _block("What if", html_table(self.changes), note) + _block("Statuses that move", body)


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


def _metric_spec(metric: Mapping[str, Any] | str) -> dict[str, Any]:
    """A candidate metric given as a mapping or as the YAML that would go under ``metrics:``."""
    if isinstance(metric, str):
        from csnb.plan.located import parse_located

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
        note = f"{self.rows} observations pulled; health {_cell(h0)} → {_cell(h1)} with it in the plan."
        out = _block(f"Candidate metric: {name}", html_table(row[cols]), note)
        checks = self.lead_checks()
        if len(checks):
            out += _block("Lead → lag check", html_table(checks.drop(columns=["client"])))
        return out


def try_metric(
    plan: Plan,
    metric: Mapping[str, Any] | str,
    as_of: str | dt.date | None = None,
    observations: Observations | None = None,
) -> Trial:
    """Pull and evaluate a candidate metric (a mapping or YAML, as in the plan) alongside the plan's own."""
    from csnb.sources.pull import Observations

    data = plan.model_dump(mode="python", by_alias=True)
    data["metrics"].append(_metric_spec(metric))
    candidate_plan = revalidated(plan, data, "candidate metric")
    candidate = candidate_plan.metrics[-1]
    pulled = _pull(candidate_plan.model_copy(update={"metrics": [candidate]}))
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


@dataclass
class Comparison(Diff):
    """What changed between two dates (a ``Diff``) that shows itself as a table."""

    def to_frame(self) -> pd.DataFrame:
        """One row per change: status moves, milestones completed, risks triggered or cleared, deltas."""
        rows = [
            {"change": change, **vars(move)}
            for change, moves in (
                ("moved", self.moves),
                ("completed", self.completed),
                ("triggered", self.risks_triggered),
                ("cleared", self.risks_cleared),
            )
            for move in moves
        ]
        listed = {(r["kind"], r["id"]) for r in rows}
        rows += [
            {"change": "delta", **vars(d)} for d in self.deltas if d.delta and ("metric", d.id) not in listed
        ]
        rows += [
            {
                "change": "approved",
                "kind": "change",
                "id": c,
                "name": c,
                "before": None,
                "after": "approved",
                "delta": None,
            }
            for c in self.changes_approved
        ]
        return pd.DataFrame(rows, columns=["change", "kind", "id", "name", "before", "after", "delta"])

    def _repr_html_(self) -> str:
        title = f"What changed: {self.before} → {self.after}"
        note = f"Health {_cell(self.health_before)} → {_cell(self.health_after)}."
        frame = self.to_frame()
        return _block(title, html_table(frame) if len(frame) else "<p>Nothing changed.</p>", note)


def compare(
    plan: Plan, as_of_a: str | dt.date, as_of_b: str | dt.date, observations: Observations | None = None
) -> Comparison:
    """What changed in ``plan`` from ``as_of_a`` to ``as_of_b`` (pulls its data unless given)."""
    a = evaluate(plan, report_date(plan, as_of_a), observations)
    b = evaluate(plan, report_date(plan, as_of_b), a.observations)
    return Comparison(**vars(diff(a.snapshot, b.snapshot, plan)))


class AnalystPlan(Plan):
    """A plan with the notebook conveniences: ``plan.observations()``, ``plan.evaluate()``, ..."""

    def observations(self, start: dt.date | str | None = None, end: dt.date | str | None = None) -> Any:
        """Every metric's data from its sources (``csnb.pull``)."""
        return observations(self, start, end)

    def evaluate(self, as_of: dt.date | str | None = None, observations: Any = None) -> Any:
        """Every status at ``as_of`` (default: the report's date), as an ``Evaluation`` for notebooks."""
        return evaluate(self, as_of, observations)

    def chart(self, metric_id: str, as_of: dt.date | str | None = None) -> Any:
        """The report's Altair chart of one metric."""
        return chart(self, metric_id, as_of)

    def what_if(
        self,
        metrics: dict[str, dict[str, Any]] | None = None,
        milestones: dict[str, dict[str, Any]] | None = None,
        *,
        as_of: dt.date | str | None = None,
        observations: Any = None,
    ) -> Any:
        """The statuses that move with changed targets, tolerances or due dates (a ``WhatIf``)."""
        return what_if(self, metrics, milestones, as_of=as_of, observations=observations)


class Project(BaseProject):
    """A project folder whose plans come with the notebook conveniences (``csnb.Project``)."""

    plan_model = AnalystPlan


def load_plan(path: str | os.PathLike[str], env: dict[str, str] | None = None) -> AnalystPlan:
    """Load a plan file for a notebook (``csnb.load_plan``): a plan with the analyst conveniences."""
    plan = load(path, env=env, model=AnalystPlan)
    assert isinstance(plan, AnalystPlan)
    return plan
