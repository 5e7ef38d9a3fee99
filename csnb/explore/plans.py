"""Plans for notebooks: ``csnb.Project(...).plan(client)`` and ``csnb.load_plan`` with conveniences."""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Any

from csnb.explore.evaluation import chart, evaluate, observations, what_if
from csnb.plan.load import load_plan as load
from csnb.plan.models import Plan
from csnb.project.folder import Project as BaseProject

if TYPE_CHECKING:
    pass


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
