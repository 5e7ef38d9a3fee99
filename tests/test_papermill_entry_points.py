"""csnb's engines are papermill engines: ``papermill --engine csnb-warm-kernel`` runs from a shell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook


def _notebook(path: Path) -> Path:
    nb = new_notebook(
        cells=[
            new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
            new_code_cell("print('x is', x)"),
            new_code_cell("x * 2"),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["csnb-warm-kernel", "csnb-warm-shell"])
def test_papermill_cli_runs_a_notebook_with_a_csnb_engine(tmp_path: Path, engine: str) -> None:
    source, out = _notebook(tmp_path / "in.ipynb"), tmp_path / "out.ipynb"
    papermill = Path(sys.executable).with_name("papermill")
    done = subprocess.run(
        [str(papermill), "--engine", engine, str(source), str(out), "-p", "x", "21", "--no-progress-bar"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    nb = nbformat.read(out, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[2].outputs[0]["text"] == "x is 21\n"  # cell 1 is papermill's injected parameters
    assert code[3].outputs[0]["data"]["text/plain"] == "42"
    assert [c.execution_count for c in code] == [1, 2, 3, 4]


@pytest.mark.slow
def test_the_entry_points_import_no_engine_until_a_notebook_runs() -> None:
    code = (
        "import sys, papermill.engines as e\n"
        "names = set(e.papermill_engines._engines)\n"
        "print('csnb-warm-kernel' in names, 'csnb-warm-shell' in names, 'ipykernel.kernelapp' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "True", "False"], done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["csnb-warm-kernel", "csnb-warm-shell"])
def test_papermill_cli_timeout_cannot_be_caught_by_the_notebook(tmp_path: Path, engine: str) -> None:
    swallow = "import time\ntry:\n    time.sleep(30)\nexcept BaseException:\n    pass\ntime.sleep(30)"
    nb = new_notebook(cells=[new_code_cell(swallow), new_code_cell("open('next-cell.txt', 'w').close()")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "in.ipynb")
    papermill = Path(sys.executable).with_name("papermill")
    done = subprocess.run(
        [str(papermill), "--engine", engine, "--execution-timeout", "2", "in.ipynb", "out.ipynb"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    # papermill itself fails (warm-shell: its process is ended, as a kernel would be killed)
    assert done.returncode != 0
    assert not (tmp_path / "next-cell.txt").exists()
