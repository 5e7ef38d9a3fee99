"""The source registry: a new kind of metric source is one class and one ``register`` line."""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

# Built-in kinds are named by import path so that validating a plan never imports SQLAlchemy or pyarrow.
_BUILTIN = {
    "sql": "csnb.sources.sql:SqlSource",
    "csv": "csnb.sources.files:CsvSource",
    "parquet": "csnb.sources.files:ParquetSource",
}


class SourceRegistry:
    """Maps a source ``kind`` to the class that pulls observations for it."""

    def __init__(self) -> None:
        self._classes: dict[str, Any] = {}
        self._lazy: dict[str, str] = dict(_BUILTIN)
        self._entry_points_loaded = False

    def register(self, kind: str, cls: Any) -> None:
        """Register ``cls`` (or an ``"module:Class"`` string) as the handler of ``kind``."""
        if isinstance(cls, str):
            self._lazy[kind] = cls
        else:
            self._classes[kind] = cls

    def _load_entry_points(self) -> None:
        if not self._entry_points_loaded:
            self._entry_points_loaded = True
            for ep in entry_points(group="csnb.sources"):
                self._lazy.setdefault(ep.name, ep.value)

    def kinds(self) -> list[str]:
        """Every registered kind, sorted."""
        self._load_entry_points()
        return sorted(set(self._classes) | set(self._lazy))

    def get(self, kind: str) -> Any:
        """The handler class for ``kind``; ``KeyError`` when unknown."""
        if kind not in self._classes:
            self._load_entry_points()
            target = self._lazy[kind]
            module, _, name = target.partition(":")
            self._classes[kind] = getattr(import_module(module), name)
        return self._classes[kind]


registry = SourceRegistry()
