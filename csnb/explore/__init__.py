"""The analyst API: evaluations that display as tables, what-if changes, candidate metrics, comparisons.

Every object here has ``_repr_html_`` (user strings escaped: a metric name is text, never markup) and
``to_frame()``. The numbers are the report's: the same ``pull`` and ``evaluate``, on the same ``as_of``.
The names load lazily, so ``csnb.explore.lab`` (used by ``csnb lab``) never imports pandas or Altair.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "Comparison": "comparison",
    "compare": "comparison",
    "Evaluation": "evaluation",
    "WhatIf": "evaluation",
    "chart": "evaluation",
    "evaluate": "evaluation",
    "observations": "evaluation",
    "what_if": "evaluation",
    "AnalystPlan": "plans",
    "Project": "plans",
    "load_plan": "plans",
    "Table": "tables",
    "breakdown": "tables",
    "status_table": "tables",
    "Trial": "trial",
    "try_metric": "trial",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"csnb.explore.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'csnb.explore' has no attribute {name!r}")
