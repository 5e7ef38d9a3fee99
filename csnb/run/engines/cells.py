"""Papermill's per-cell bookkeeping without a full notebook write after every cell (both warm engines).

Papermill writes the whole executed notebook before and after each cell; a report's notebook carries
its charts' specs, so each write is a full serialisation of ~100 KB. Writing before each executed
cell keeps what a killed report had done (and names the cell it was running); the writes after each
cell and around markdown cells add nothing to that.
"""

from __future__ import annotations

from typing import Any


def bookkeep(nb_man: Any, step: Any, cell: Any, index: int, save: bool = False) -> None:
    """Papermill's ``step`` (``cell_start``, ``cell_complete``...) for a cell, writing only if ``save``."""
    path = nb_man.output_path
    if not save:
        nb_man.output_path = None
    try:
        step(cell, cell_index=index)
    finally:
        nb_man.output_path = path


def runs(cell: Any) -> bool:
    """Whether a kernel executes the cell: code, not blank, not tagged ``skip-execution``."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    return cell.cell_type == "code" and bool(cell.source.strip()) and "skip-execution" not in tags
