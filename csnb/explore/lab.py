"""JupyterLab for analysts: the client's exploration notebook prepared by papermill, and the server's life.

``csnb lab`` is its command line; the processes are handled here so they can be tested and reused.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

from csnb.errors import CsnbError
from csnb.fs import atomic_path
from csnb.project.layout import ReportsFolder

NOTEBOOK = "exploration.ipynb"
STOP_GRACE_SECONDS = 20.0  # time JupyterLab gets to shut its kernels down before it is killed


def exploration_template(notebooks: Path) -> Path:
    """The project's own ``exploration.ipynb`` when it has one (it may be tuned), else the bundled one."""
    own = notebooks / NOTEBOOK
    if own.is_file():
        return own
    from csnb.project.scaffold import bundled_notebooks

    bundled = bundled_notebooks() / NOTEBOOK
    if not bundled.is_file():
        raise CsnbError(f"no {NOTEBOOK} in {notebooks} or in this csnb installation; reinstall csnb")
    return bundled


def last_report_date(reports: Path, client: str) -> dt.date | None:
    """The newest ``reports/<client>/<as_of>/`` date, so exploring starts where the last report did."""
    return max(ReportsFolder(reports).report_dates(client), default=None)


def prepare_notebook(
    root: Path, client: str, as_of: dt.date | None = None, fresh: bool = False
) -> tuple[Path, bool]:
    """``notebooks/explore-<client>.ipynb`` with its parameters injected (not executed); True when written.

    An existing copy is the analyst's work and is kept unless ``fresh``.
    """
    import papermill as pm

    from csnb.project.folder import Project

    project = Project(root)
    project.plan_path(client)  # an unknown client fails here, naming the known ones
    target = project.config.notebooks / f"explore-{client}.ipynb"
    if target.exists() and not fresh:
        return target, False
    as_of = as_of or last_report_date(project.config.reports, client)
    parameters = {"client": client, **({"as_of": as_of.isoformat()} if as_of else {})}
    target.parent.mkdir(parents=True, exist_ok=True)
    template = exploration_template(project.config.notebooks)
    with atomic_path(target, keep_suffix=True) as partial:  # never a half-written notebook
        pm.execute_notebook(
            str(template), str(partial), parameters=parameters, prepare_only=True, progress_bar=False
        )
    return target, True


def lab_command(
    root: Path, notebook: Path | None, port: int | None, browser: bool, extra: list[str]
) -> list[str]:
    """The JupyterLab command line: this Python's JupyterLab, serving ``root`` on 127.0.0.1."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}", "--ServerApp.ip=127.0.0.1"]
    if port is not None:
        # a port asked for is that port or an error, never a neighbour the caller does not know about
        command += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if not browser:
        command.append("--no-browser")
    command += extra
    if notebook is not None:
        command.append(str(notebook.relative_to(root)))
    return command


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop(proc: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop JupyterLab's process group: SIGTERM (it shuts its kernels down), SIGKILL after ``grace``."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


def serve(command: list[str], cwd: Path) -> int:
    """Run JupyterLab until it exits or Ctrl-C / SIGTERM stops it; return its exit status."""
    # its own session: the terminal's Ctrl-C reaches csnb only, and csnb stops the whole group once
    proc = subprocess.Popen(command, cwd=cwd, start_new_session=True)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop(proc)
