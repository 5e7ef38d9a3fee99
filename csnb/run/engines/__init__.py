"""How a report's cells run (``csnb run --engine``): one papermill engine per module, one registry.

The registry (``csnb.registry.engines``) maps the ``--engine`` name to a papermill engine class that
carries what the runner needs: ``papermill_name`` (its name in papermill's own registry, which the
``papermill.engine`` entry points fill, so ``papermill --engine csnb-warm-kernel`` works too),
``warm`` (whether it must run in a fork of a warm process) and ``options`` (papermill arguments).
"""

from __future__ import annotations

from typing import Any

from csnb.registry import engines

DEFAULT_ENGINE = "warm-kernel"  # runs any notebook as a stock kernel does (tests/test_engine_equivalence.py)


def engine_names() -> list[str]:
    """Every ``--engine`` name."""
    return engines.names()


def is_warm(name: str) -> bool:
    """Whether the engine runs each report in a fork of a warm process."""
    return bool(engines.get(name).warm)


def papermill_options(name: str) -> dict[str, Any]:
    """Papermill arguments for the engine, registering it with papermill if no entry point did."""
    from papermill.engines import papermill_engines

    cls = engines.get(name)
    if cls.papermill_name not in papermill_engines._engines:
        papermill_engines.register(cls.papermill_name, cls)
    options = dict(cls.options)
    if cls.papermill_name != "nbclient":
        options["engine_name"] = cls.papermill_name
    return options
