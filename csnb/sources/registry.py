"""The source registry: a new kind of metric source is one class and one ``register`` line."""

from __future__ import annotations

from csnb.registry import Registry
from csnb.registry import sources as registry

SourceRegistry = Registry  # the name this module exported before the registries became one class

__all__ = ["SourceRegistry", "registry"]
