"""What changed between two dates, as a table for notebooks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from csnb.explore.evaluation import evaluate, report_date
from csnb.explore.tables import display_value, html_table, titled_block
from csnb.indicators.changes import Diff, diff
from csnb.plan.models import Plan

if TYPE_CHECKING:
    from csnb.sources.pull import Observations


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
        note = f"Health {display_value(self.health_before)} → {display_value(self.health_after)}."
        frame = self.to_frame()
        return titled_block(title, html_table(frame) if len(frame) else "<p>Nothing changed.</p>", note)


def compare(
    plan: Plan, as_of_a: str | dt.date, as_of_b: str | dt.date, observations: Observations | None = None
) -> Comparison:
    """What changed in ``plan`` from ``as_of_a`` to ``as_of_b`` (pulls its data unless given)."""
    a = evaluate(plan, report_date(plan, as_of_a), observations)
    b = evaluate(plan, report_date(plan, as_of_b), a.observations)
    return Comparison(**vars(diff(a.snapshot, b.snapshot, plan)))
