"""csnb: client success notebooks — run client success plans as code.

The names below are imported lazily so that ``import csnb`` stays fast and never needs pandas,
SQLAlchemy or Dask until they are used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_plan": "csnb.plan",
    "Plan": "csnb.plan",
    "pull": "csnb.sources.pull",
    "Observations": "csnb.sources.pull",
    "evaluate": "csnb.engine",
    "evaluate_portfolio": "csnb.engine",
    "Snapshot": "csnb.snapshot",
    "compare": "csnb.explore",
    "Project": "csnb.project",
    "CsnbError": "csnb.errors",
}

_SUBMODULES = {"explore", "charts", "report", "lessons"}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f"csnb.{name}")
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'csnb' has no attribute {name!r}")
