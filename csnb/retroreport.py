"""Deprecated home of the retrospective notebook's API: use ``csnb.retro``."""

from __future__ import annotations

import warnings

from csnb.retro.notebook import RetroReport, prepare_retro, run_retro, write_template

warnings.warn(
    "csnb.retroreport moved to csnb.retro; import prepare_retro from there", DeprecationWarning, stacklevel=2
)

__all__ = ["RetroReport", "prepare_retro", "run_retro", "write_template"]
