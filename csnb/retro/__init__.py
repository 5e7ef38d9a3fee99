"""Milestone retrospectives: facts, the team's file, the notebook run, and lessons from them."""

from __future__ import annotations

from csnb.retro.notebook import RetroReport, prepare_retro, run_retro, write_template

__all__ = ["RetroReport", "prepare_retro", "run_retro", "write_template"]
