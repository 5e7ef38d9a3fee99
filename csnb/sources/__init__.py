"""Metric data sources behind one registry keyed by the plan's ``kind`` (sql, csv, parquet, ...)."""

from __future__ import annotations

from csnb.sources.pull import Observations, pull
from csnb.sources.registry import SourceRegistry, registry

__all__ = ["Observations", "SourceRegistry", "pull", "registry"]
