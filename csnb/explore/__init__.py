"""The analyst API: evaluations that display as tables, what-if changes, candidate metrics, comparisons.

Every object here has ``_repr_html_`` (user strings escaped: a metric name is text, never markup) and
``to_frame()``. The numbers are the report's: the same ``pull`` and ``evaluate``, on the same ``as_of``.
"""

from __future__ import annotations

from csnb.explore.compare import Comparison, compare
from csnb.explore.evaluation import Evaluation, WhatIf, chart, evaluate, observations, what_if
from csnb.explore.plans import AnalystPlan, Project, load_plan
from csnb.explore.tables import Table, breakdown, status_table
from csnb.explore.trial import Trial, try_metric

__all__ = [
    "AnalystPlan",
    "Comparison",
    "Evaluation",
    "Project",
    "Table",
    "Trial",
    "WhatIf",
    "breakdown",
    "chart",
    "compare",
    "evaluate",
    "load_plan",
    "observations",
    "status_table",
    "try_metric",
    "what_if",
]
