"""JupyterLab for analysts: the client's exploration notebook prepared by papermill, and the server's life.

``csnb lab`` is its command line; the processes are handled here so they can be tested and reused.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


URL = re.compile(r"https?://127\.0\.0\.1:\d+/\S+")  # the address JupyterLab logs once it answers


def is_root() -> bool:
    """True when this process runs as root (JupyterLab then refuses to start without --allow-root)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_command(
    root: Path,
    notebook: Path | None,
    port: int | None,
    browser: bool,
    extra: list[str],
    kernel_sockets: Path | None = None,
) -> list[str]:
    """The JupyterLab command line: this Python's JupyterLab, serving ``root`` on 127.0.0.1.

    As root it passes ``--allow-root`` (a container's usual user). With ``kernel_sockets``, kernels talk
    over ipc sockets in that folder instead of TCP ports (no "running over TCP without encryption").
    """
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}", "--ServerApp.ip=127.0.0.1"]
    if is_root() and "--allow-root" not in extra:
        command.append("--allow-root")
    if kernel_sockets is not None:
        command += ["--KernelManager.transport=ipc", f"--KernelManager.ip={kernel_sockets / 'k'}"]
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


def _watch(stream: Any, started: float, on_ready: Callable[[str, float], None] | None) -> None:
    """Pass JupyterLab's log on to stderr; tell ``on_ready`` the first URL it logs and the seconds it took."""
    told = False
    for line in stream:
        sys.stderr.write(line)
        sys.stderr.flush()
        found = None if told else URL.search(line)
        if found and on_ready is not None:
            told = True
            on_ready(found.group(0), time.perf_counter() - started)


def serve(command: list[str], cwd: Path, on_ready: Callable[[str, float], None] | None = None) -> int:
    """Run JupyterLab until it exits or Ctrl-C / SIGTERM stops it; return its exit status.

    ``on_ready(url, seconds)`` is called once JupyterLab logs the address to open.
    """
    # its own session: the terminal's Ctrl-C reaches csnb only, and csnb stops the whole group once
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, start_new_session=True, stderr=subprocess.PIPE, text=True)
    watcher = threading.Thread(target=_watch, args=(proc.stderr, started, on_ready), daemon=True)
    watcher.start()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop(proc)
