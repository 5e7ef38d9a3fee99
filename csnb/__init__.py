"""csnb: client success notebooks — run client success plans as code.

The names below are imported lazily so that ``import csnb`` stays fast and never needs pandas,
SQLAlchemy or Dask until they are used.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from importlib.util import find_spec
from typing import Any

__version__ = "0.1.0"


def _defer_iri_grammar() -> None:
    """Build rfc3987-syntax's grammar when an IRI is first checked, not when jsonschema is imported.

    nbformat imports jsonschema, whose format checkers import rfc3987-syntax, which compiles 38 Lark
    parsers at import: 1.5-2.5 s of CPU in every csnb command, report worker and kernel that never checks
    an IRI (python-jsonschema/jsonschema#1428). The stand-in keeps the one function jsonschema uses and
    loads the real module on its first call, so validation itself is unchanged.
    """
    name = "rfc3987_syntax"
    if name in sys.modules or find_spec(name) is None:  # absent: jsonschema must not register its checks
        return
    real: list[Any] = []

    def is_valid_syntax(term: str, value: str) -> bool:
        """rfc3987_syntax.is_valid_syntax, imported on first use."""
        if not real:
            sys.modules.pop(name, None)
            try:
                real.append(import_module(name))
            finally:
                sys.modules.setdefault(name, stand_in)
        return real[0].is_valid_syntax(term, value)

    stand_in = types.ModuleType(name, "Deferred rfc3987_syntax (see csnb._defer_iri_grammar).")
    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    sys.modules[name] = stand_in


_defer_iri_grammar()

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
