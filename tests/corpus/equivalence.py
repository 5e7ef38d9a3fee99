"""Run notebooks through stock papermill or a csnb engine, and reduce executed notebooks to what must match.

``python -m tests.corpus.equivalence ENGINE OUT_DIR TIMEOUT NOTEBOOK...`` executes each notebook: with
ENGINE ``stock``, papermill's defaults in this process (the reference); with a ``csnb run --engine``
name, as csnb does: the engine's papermill options, a warm engine in a fresh fork of a warm process
per notebook (watched through the cell clock, as ``csnb run`` watches it). Each output notebook is
written to OUT_DIR under the input's name; a notebook that fails is kept with its outputs, as
papermill keeps it.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import nbformat

STOCK = "stock"  # papermill's own nbclient engine with its defaults, as a user runs ``papermill``
WALL_LIMIT = 120.0  # seconds a whole notebook may take before it is killed (a hang, not a timeout)

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_NUMBER = re.compile(r"\d+(\.\d+)?( ?(ns|μs|µs|ms|s)\b)?")  # a timing, with its unit (ns or μs: luck)
_TIMED = re.compile(r"(CPU times|Wall time|it/s\]|s/it\])")  # timings and progress-bar rates


def _options(engine: str) -> dict[str, Any]:
    if engine == STOCK:
        return {"engine_name": "nbclient", "kernel_name": "python3"}
    from csnb.run.engines import papermill_options

    return papermill_options(engine)


def _execute(engine: str, source: Path, out: Path, timeout: float | None) -> None:
    import papermill as pm

    try:
        pm.execute_notebook(
            str(source),
            str(out),
            execution_timeout=timeout,
            progress_bar=False,
            cwd=str(source.parent),  # the same working folder for every engine
            **_options(engine),
        )
        outcome = "ok"
    except Exception as exc:  # noqa: BLE001 - a failing notebook is a result to compare, not an error here
        outcome = _outcome(exc)
    out.with_suffix(".outcome").write_text(outcome)


def _outcome(exc: Exception) -> str:
    """How a run ended: a cell raised (``error``), a cell timed out, or the kernel died."""
    name, text = type(exc).__name__, str(exc)
    if name == "PapermillExecutionError":
        return "error"
    if "CellTimeoutError" in name or "timed out" in text:
        return "timeout"
    if "DeadKernel" in name or "died" in text.lower():
        return "died"
    return f"other: {name}"


def _run_forked(engine: str, source: Path, out: Path, timeout: float | None) -> None:
    """Run in a fresh fork, watched through the shared cell clock as ``csnb run`` watches a report."""
    from csnb.run import process
    from csnb.run.forkserver import CELL_GRACE

    clock = process.CellClock()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            process.detach(parent)
            process.cell_clock = clock
            _execute(engine, source, out, timeout)
        except BaseException:  # noqa: BLE001 - never return into the parent's loop from a fork
            code = 1
        finally:
            os._exit(code)
    deadline = time.monotonic() + WALL_LIMIT
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0]:  # ended by a cell's timeout when the clock still shows the cell
            if clock.overdue():
                out.with_suffix(".outcome").write_text("timeout")
            return
        if clock.overdue(CELL_GRACE):  # a cell that hangs past its timeout: stopped, as csnb stops it
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            out.with_suffix(".outcome").write_text("timeout")
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def run(engine: str, out_dir: Path, timeout: float | None, notebooks: list[Path]) -> None:
    """Execute every notebook with ``engine`` into ``out_dir`` (warm engines: one fresh fork each)."""
    warm = engine != STOCK and _is_warm(engine)
    if warm:
        from csnb.run.forkserver import warm_up

        warm_up()
    for source in notebooks:
        out = out_dir / source.name
        if warm:
            _run_forked(engine, source, out, timeout)
        else:
            _execute(engine, source, out, timeout)


def _is_warm(engine: str) -> bool:
    from csnb.run.engines import is_warm

    return is_warm(engine)


def _text(value: Any) -> str:
    text = "".join(value) if isinstance(value, list) else str(value)
    text = _ADDRESS.sub("0x…", text)
    return _NUMBER.sub("N", text) if _TIMED.search(text) else text


def _outputs(outputs: list[dict]) -> dict[str, Any]:
    """Outputs as comparable values: each stream's whole text, and the other outputs in order.

    A kernel sends a stream in chunks, and text written at the file-descriptor level (a subprocess,
    ``os.write``) arrives from a reader thread, so where it falls between other outputs is timing.
    """
    streams: dict[str, str] = {}
    others: list[tuple] = []
    for o in outputs:
        kind = o["output_type"]
        if kind == "stream":
            streams[o["name"]] = streams.get(o["name"], "") + _text(o["text"])
        elif kind == "error":
            others.append(("error", o["ename"], _text(o["evalue"])))
        else:
            data = o.get("data", {})
            others.append(
                (kind, tuple(sorted(data)), _text(data.get("text/plain", "")), o.get("execution_count"))
            )
    return {"streams": {k: v for k, v in streams.items() if v}, "others": others}


def reduce(path: Path) -> dict[str, Any]:
    """How the run ended, and per code cell: execution count, papermill's status, normalised outputs.

    When a cell timed out or its kernel died, only the cells before it are compared, and that it is
    the same cell: what the stopped cell shows depends on how its kernel was stopped (papermill
    interrupts it first, csnb kills it at once), papermill marks it "completed", "failed" or leaves it
    "running" by engine, and whether a dying cell got its execution count is a race.
    """
    if not path.is_file():
        return {"outcome": "missing"}
    outcome_file = path.with_suffix(".outcome")
    outcome = outcome_file.read_text() if outcome_file.is_file() else "killed"
    nb = nbformat.read(path, as_version=4)
    cells = [
        {
            "count": cell.get("execution_count"),
            "status": cell.metadata.get("papermill", {}).get("status"),
            "outputs": _outputs(cell.get("outputs", [])),
            "started": bool(cell.metadata.get("papermill", {}).get("start_time")),
        }
        for cell in nb.cells
        if cell.cell_type == "code"
    ]
    return {"outcome": outcome, "cells": cells}


def equivalent(stock: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether an engine's run matches stock papermill's (see ``reduce`` for what a crash compares)."""
    if stock.get("outcome") != other.get("outcome"):
        return False
    if stock["outcome"] in ("timeout", "died"):
        stop = _last_started(stock["cells"])
        return stop == _last_started(other["cells"]) and stock["cells"][:stop] == other["cells"][:stop]
    return stock["cells"] == other["cells"]


def _last_started(cells: list[dict[str, Any]]) -> int:
    """The index of the last cell that started (the one a timeout or a death stopped)."""
    return max((i for i, c in enumerate(cells) if c["started"]), default=len(cells))


if __name__ == "__main__":
    engine_name, folder, limit, *paths = sys.argv[1:]
    run(engine_name, Path(folder), float(limit) if limit != "none" else None, [Path(p) for p in paths])
