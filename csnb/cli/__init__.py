"""The ``csnb`` command line: one module per command group, parsing and printing only."""

from __future__ import annotations

from csnb.cli.core import app, main

__all__ = ["app", "main"]
