"""Running csnb as a user or a scheduler does, and waiting, with a deadline, on what it starts."""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psutil
import pytest

T = TypeVar("T")


def _csnb_command() -> list[str]:
    """The ``csnb`` console script of this interpreter's environment (the module where none is installed)."""
    script = Path(sys.executable).with_name("csnb")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "csnb.cli"]


CSNB = _csnb_command()


def run_csnb(
    *args: str, cwd: Path | None = None, env: dict[str, str | None] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the csnb command line in a fresh process, as a scheduler would: no terminal, no stdin.

    ``env`` adds to this process's environment; a variable given as None is left out.
    """
    merged = {**os.environ, **(env or {})}
    return subprocess.run(
        [*CSNB, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={name: value for name, value in merged.items() if value is not None},
    )


def wait_for(
    predicate: Callable[[], T],
    timeout: float,
    what: str,
    *,
    interval: float = 0.1,
    detail: Callable[[], object] | None = None,
) -> T:
    """Call ``predicate`` until it returns something true, and return that.

    After ``timeout`` seconds the test fails with a message naming ``what`` it waited for (and, with
    ``detail``, what it saw instead). The predicate may itself assert, to stop waiting early.
    """
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        if time.monotonic() >= deadline:
            seen = f"; {detail()}" if detail else ""
            pytest.fail(f"waited {timeout:g} s for {what}{seen}")
        time.sleep(interval)
    return found


def csnb_processes(marker: str | Path) -> list[str]:
    """Command lines of running worker or kernel processes whose working folder is in ``marker``."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            if ("csnb.run.worker" in cmd or "ipykernel" in cmd) and str(marker) in (proc.info["cwd"] or ""):
                found.append(f"{proc.info['pid']} {cmd}")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def wait_until_no_processes(root: Path, timeout: float = 10) -> None:
    """Wait until no worker or kernel process of the project ``root`` runs (kernels poll their parent each
    second, so they outlive a killed batch by about that long)."""
    wait_for(
        lambda: not csnb_processes(root),
        timeout,
        f"the workers and kernels of the project {root} to exit",
        interval=0.3,
        detail=lambda: f"still running: {csnb_processes(root)}",
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_processes(target: Callable[[str, int], None], url: str, count: int, timeout: float = 120) -> list:
    """Run ``target(url, n)`` for each n below ``count``, each in a forked process, all at once (each child
    opens its own database engine, as a pool worker does); the processes' exit codes."""
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=target, args=(url, n)) for n in range(count)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout)
    return [proc.exitcode for proc in procs]
