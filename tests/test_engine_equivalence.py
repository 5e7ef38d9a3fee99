"""Every ``csnb run --engine`` runs any notebook exactly as stock papermill with a stock kernel does,
or is kept, in ``csnb run --help``, to csnb's own report notebooks.

Papermill's own test notebooks (shipped inside the installed package; nobody here wrote them) and a
corpus of hostile notebooks (tests/corpus/hostile.py) run through stock papermill and through every
csnb engine, each warm run in a fresh fork of a warm process as ``csnb run`` does it; then every
code cell is compared: execution counts, papermill's status, output types and mimetypes, stream
names and text (normalised), error names and values, which cells ran, and how the run ended.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest
from commands import run_csnb
from corpus.equivalence import STOCK, equivalent, reduce
from corpus.hostile import CASES, build

from csnb.run.engines import DEFAULT_ENGINE, engine_names

DRIVER = Path(__file__).parent / "corpus" / "equivalence.py"
PAPERMILL_NOTEBOOKS = Path(papermill.__file__).parent / "tests" / "notebooks"
pytestmark = pytest.mark.timeout(2400)  # four runs of the whole corpus, on a busy machine too
CELL_TIMEOUT = "5"  # papermill's keyboard_interrupt.ipynb sleeps 60 s: it must end as a timeout


def _python_notebooks() -> list[Path]:
    """Papermill's test notebooks that run on a Python kernel (one is written for R)."""
    out = []
    for path in sorted(PAPERMILL_NOTEBOOKS.glob("*.ipynb")):
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        language = meta.get("kernelspec", {}).get("language") or meta.get("language_info", {}).get("name")
        if language in (None, "python"):
            out.append(path)
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every notebook of the comparison in one folder (the working folder of every run)."""
    folder = tmp_path_factory.mktemp("corpus")
    for path in _python_notebooks():
        shutil.copy(path, folder / f"papermill_{path.name}")
    for name in CASES:
        nbformat.write(build(name), folder / f"hostile_{name}.ipynb")
    return folder


def _start(engine: str, corpus: Path, out: Path) -> subprocess.Popen[bytes]:
    out.mkdir()
    notebooks = sorted(str(p) for p in corpus.glob("*.ipynb"))
    return subprocess.Popen(
        [sys.executable, str(DRIVER), engine, str(out), CELL_TIMEOUT, *notebooks],
        stdout=subprocess.DEVNULL,  # what hostile cells write past the kernel lands here
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def runs(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each engine's executed corpus (stock papermill's under ``stock``), run once for every test here."""
    folder = tmp_path_factory.mktemp("runs")
    engines = [STOCK, *engine_names()]
    # two corpus runs at a time: the suite's other worker leaves a core idle for much of this, and more
    # at once would slow cells enough to blur which of them time out
    for pair in (engines[i : i + 2] for i in range(0, len(engines), 2)):
        started = [_start(engine, corpus, folder / engine) for engine in pair]
        assert [run.wait(timeout=1200) for run in started] == [0] * len(started), pair
    return {engine: folder / engine for engine in engines}


def _differ(corpus: Path, runs: dict[str, Path], engine: str) -> list[str]:
    names = sorted(p.stem for p in corpus.glob("*.ipynb"))
    stock, other = runs[STOCK], runs[engine]
    return [n for n in names if not equivalent(reduce(stock / f"{n}.ipynb"), reduce(other / f"{n}.ipynb"))]


# warm-shell runs cells in the report process itself, not in a kernel; on these notebooks it does not
# do what Jupyter does, which is why ``csnb run --help`` keeps it to csnb's own report notebooks
SHELL_DIFFERS = {
    "hostile_asyncio_get_event_loop": "no kernel event loop runs the cells",
    "hostile_asyncio_run": "asyncio.run works, where a kernel's running loop refuses it",
    "hostile_bad_repr_html": "a failing _repr_html_ does not fail the cell",
    "hostile_exit_builtin": "exit() has no kernel to end",
    "hostile_fd_write": "output written to file descriptor 1 is not captured",
    "hostile_input_call": "input() has no frontend to ask",
    "hostile_logging_handler": "a handler keeps the stream of the cell that made it",
    "hostile_os_exit": "os._exit ends the report process, not a kernel",
    "hostile_os_system": "a shell command's output is not captured",
    "hostile_segfault": "a crash ends the report process, not a kernel",
    "hostile_stdout_fileno": "sys.stdout has no file descriptor",
    "hostile_subprocess_output": "a subprocess's output is not captured",
    "hostile_tqdm_progress": "tqdm sees no notebook frontend",
}


@pytest.mark.slow
def test_the_default_engine_and_the_stock_kernel_match_stock_papermill_on_every_notebook(
    corpus: Path, runs: dict[str, Path]
) -> None:
    names = sorted(p.name for p in corpus.glob("*.ipynb"))
    assert len(names) >= 50
    for engine in (DEFAULT_ENGINE, "kernel"):
        assert _differ(corpus, runs, engine) == [], f"{engine} differs from stock papermill"
    outcomes = {n: reduce(runs[STOCK] / n)["outcome"] for n in names}
    # the corpus exercises every way a run ends, so equality above covers each of them
    assert {"ok", "error", "timeout", "died"} <= set(outcomes.values()), outcomes


@pytest.mark.slow
def test_an_engine_that_differs_is_kept_to_csnb_report_notebooks_in_the_help(
    corpus: Path, runs: dict[str, Path]
) -> None:
    differs = {e: _differ(corpus, runs, e) for e in engine_names() if e not in (DEFAULT_ENGINE, "kernel")}
    assert set(differs) == {"warm-shell"}, "a new engine: compare it here and state what it is for"
    unexplained = sorted(set(differs["warm-shell"]) - set(SHELL_DIFFERS))
    assert unexplained == [], f"warm-shell differs from stock papermill on {unexplained} too"
    help_text = " ".join(run_csnb("run", "--help", env={"COLUMNS": "400"}).stdout.split())
    assert "warm-shell" in help_text and "only for csnb's own report notebooks" in help_text
