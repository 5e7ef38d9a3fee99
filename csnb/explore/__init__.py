"""The analyst API: evaluations that display as tables, what-if changes, candidate metrics, comparisons."""

from __future__ import annotations

from csnb.explore.analysis import (
    AnalystPlan,
    Comparison,
    Evaluation,
    Project,
    Table,
    Trial,
    WhatIf,
    breakdown,
    chart,
    compare,
    evaluate,
    load_plan,
    observations,
    status_table,
    try_metric,
    what_if,
)

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
