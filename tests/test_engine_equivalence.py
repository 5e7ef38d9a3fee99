"""The default engine runs any notebook exactly as stock papermill with a stock kernel does.

Papermill's own test notebooks (shipped inside the installed package; nobody here wrote them) and a
corpus of hostile notebooks (tests/corpus/hostile.py) run through stock papermill and through csnb's
default engine, each warm run in a fresh fork of a warm process as ``csnb run`` does it; then every
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
from corpus.equivalence import equivalent, reduce
from corpus.hostile import CASES, build

from csnb.run.engines import DEFAULT_ENGINE

DRIVER = Path(__file__).parent / "corpus" / "equivalence.py"
PAPERMILL_NOTEBOOKS = Path(papermill.__file__).parent / "tests" / "notebooks"
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


def _run(engine: str, corpus: Path, out: Path) -> None:
    out.mkdir()
    notebooks = sorted(str(p) for p in corpus.glob("*.ipynb"))
    subprocess.run(
        [sys.executable, str(DRIVER), engine, str(out), CELL_TIMEOUT, *notebooks],
        check=True,
        timeout=900,
        stdout=subprocess.DEVNULL,  # what hostile cells write past the kernel lands here
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_the_default_engine_matches_stock_papermill_on_every_notebook(corpus: Path, tmp_path: Path) -> None:
    _run("kernel", corpus, tmp_path / "stock")
    _run(DEFAULT_ENGINE, corpus, tmp_path / "csnb")
    names = sorted(p.name for p in corpus.glob("*.ipynb"))
    assert len(names) >= 45
    stock, csnb = tmp_path / "stock", tmp_path / "csnb"
    differ = [n for n in names if not equivalent(reduce(stock / n), reduce(csnb / n))]
    assert differ == [], f"{DEFAULT_ENGINE} differs from stock papermill on {differ}"
    outcomes = {n: reduce(stock / n)["outcome"] for n in names}
    # the corpus exercises every way a run ends, so equality above covers each of them
    assert {"ok", "error", "timeout", "died"} <= set(outcomes.values()), outcomes
