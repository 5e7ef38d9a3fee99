"""``--cell-timeout`` on every engine, as Jupyter enforces a cell timeout.

The notebook cannot catch it (not with ``except BaseException``, not by blocking signals and hanging
in C: had either worked, the cell or the next one would have left a file behind), the run fails, and
the error says it timed out, not that something died, naming the cell by the number Jupyter shows
beside it. How soon after the timeout each engine stops a cell: benchmarks/bench_timeouts.py.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from batchkit import add_cell, make_project
from commands import run_csnb

from csnb.run.engines import engine_names

# Cell [3] of the report notebook: [1] is the parameters cell, [2] the injected one, [3] this.
SWALLOWS = """\
import pathlib, time
try:
    time.sleep(30)
except BaseException:  # a notebook that swallows everything, KeyboardInterrupt and timeouts included
    pass
pathlib.Path("went-on.txt").write_text("the cell carried on after its timeout")
time.sleep(30)
"""

# Blocks the signals a timeout could use, then sleeps in C: no Python signal handler can run.
NATIVE_HANG = """\
import ctypes, signal
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGINT, signal.SIGTERM})
ctypes.CDLL(None).sleep(30)
"""

AFTER = 'import pathlib\npathlib.Path("next-cell.txt").write_text("the next cell ran")\n'


def _project(root: Path, cell: str) -> Path:
    make_project(root, ["alpha"])
    add_cell(root, AFTER)
    add_cell(root, cell)  # right after the parameters, so before AFTER
    return root


@pytest.mark.slow
@pytest.mark.parametrize("engine", engine_names())
@pytest.mark.parametrize("cell", [SWALLOWS, NATIVE_HANG], ids=["caught", "native-hang"])
def test_a_cell_timeout_cannot_be_caught_or_outwaited_and_names_the_cell(
    tmp_path: Path, engine: str, cell: str
) -> None:
    root = _project(tmp_path / "p", cell)
    done = run_csnb("run", "alpha", "--engine", engine, "--cell-timeout", "2", cwd=root, timeout=300)

    assert done.returncode == 1, done.stderr
    assert "cell 3 timed out after 2 s" in done.stderr, done.stderr
    assert "died" not in done.stderr and "DeadKernelError" not in done.stderr
    assert not (root / "next-cell.txt").exists(), "the notebook went on after the timed-out cell"
    assert not (root / "went-on.txt").exists(), "the cell caught its timeout and carried on"
    kept = next((root / "reports" / "alpha").glob("*/operator.ipynb"))
    nb = nbformat.read(kept, as_version=4)
    assert nb.cells[[c.get("execution_count") for c in nb.cells].index(3)].source == cell


@pytest.mark.slow
def test_no_cell_timeout_lets_a_slow_cell_finish(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", "import time\ntime.sleep(3)\n")
    done = run_csnb("run", "alpha", "--cell-timeout", "20", cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (root / "next-cell.txt").exists()
