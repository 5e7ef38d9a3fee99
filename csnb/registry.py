"""One registry class for every pluggable kind: metric sources, batch executors and notebook engines.

A registry maps a name to a class, given either as the class or as a ``"module:Class"`` path that is
imported on first use, so that naming a kind (validating a plan, listing ``--executor`` choices)
never imports SQLAlchemy, Dask or ipykernel. Third parties add kinds through the entry-point group.
The three registries live here, at the bottom of the package, so any stage can ask which kinds exist.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from csnb.errors import ConfigError


class Registry:
    """Maps a name (a source ``kind``, an ``--executor``, an ``--engine``) to the class that implements it."""

    def __init__(self, group: str, what: str, builtin: dict[str, str]) -> None:
        self.group = group
        self.what = what
        self._classes: dict[str, Any] = {}
        self._lazy: dict[str, str] = dict(builtin)
        self._entry_points_loaded = False

    def register(self, name: str, cls: Any) -> None:
        """Register ``cls`` (or a ``"module:Class"`` string) under ``name``."""
        if isinstance(cls, str):
            self._lazy[name] = cls
            self._classes.pop(name, None)
        else:
            self._classes[name] = cls

    def _load_entry_points(self) -> None:
        if not self._entry_points_loaded:
            self._entry_points_loaded = True
            for ep in entry_points(group=self.group):
                self._lazy.setdefault(ep.name, ep.value)

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        self._load_entry_points()
        return sorted(set(self._classes) | set(self._lazy))

    kinds = names  # sources call their names "kinds", as the plan does

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def get(self, name: str) -> Any:
        """The class registered as ``name``; ``ConfigError`` naming the known ones when unknown."""
        if name not in self._classes:
            self._load_entry_points()
            if name not in self._lazy:
                raise ConfigError(f"unknown {self.what} {name!r} (known: {', '.join(self.names())})")
            module, _, attr = self._lazy[name].partition(":")
            self._classes[name] = getattr(import_module(module), attr)
        return self._classes[name]


sources = Registry(
    "csnb.sources",
    "source kind",
    {
        "sql": "csnb.sources.sql:SqlSource",
        "csv": "csnb.sources.files:CsvSource",
        "parquet": "csnb.sources.files:ParquetSource",
    },
)
executors = Registry(
    "csnb.executors",
    "executor",
    {
        "local": "csnb.run.executors:LocalExecutor",
        "dask": "csnb.run.executors:DaskExecutor",
    },
)
engines = Registry(
    "csnb.engines",
    "engine",
    {
        "warm-shell": "csnb.run.engines.shell:ShellEngine",
        "warm-kernel": "csnb.run.engines.kernel:WarmKernelEngine",
        "kernel": "csnb.run.engines.stock:StockKernelEngine",
    },
)
