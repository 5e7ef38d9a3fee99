"""The deterministic demo: a synthetic warehouse, demo plans and retrospectives."""

from __future__ import annotations

from csnb.demo.build import build_demo

__all__ = ["build_demo"]
