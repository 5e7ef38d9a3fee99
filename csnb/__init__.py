"""csnb: client success notebooks — run client success plans as code.

The names below are imported lazily so that ``import csnb`` stays fast and never needs pandas,
SQLAlchemy or Dask until they are used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_plan": "csnb.explore",
    "Plan": "csnb.plan",
    "pull": "csnb.sources.pull",
    "Observations": "csnb.sources.pull",
    "evaluate": "csnb.indicators.evaluation",
    "evaluate_portfolio": "csnb.indicators.evaluation",
    "Snapshot": "csnb.indicators.snapshot",
    "compare": "csnb.explore",
    "Project": "csnb.explore",
    "CsnbError": "csnb.errors",
}

_SUBMODULES = {
    "explore": "csnb.explore",
    "report": "csnb.report",
    "retro": "csnb.retro",
    "plan": "csnb.plan",
    "sources": "csnb.sources",
    "indicators": "csnb.indicators",
    "render": "csnb.render",
    "run": "csnb.run",
    "store": "csnb.store",
    "charts": "csnb.report.charts",
    "lessons": "csnb.retro.lessons",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(_SUBMODULES[name])
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'csnb' has no attribute {name!r}")
