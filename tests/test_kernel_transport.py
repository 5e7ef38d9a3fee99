"""Kernels started by csnb talk over ipc sockets in a private folder: no TCP port, no alarming warning.

A stock ipykernel on TCP prints "[IPKernelApp] WARNING | Kernel is running over TCP without
encryption" into every run's output and every batch log; a customer success manager reading that
after ``csnb run acme`` cannot tell it is harmless. No engine may print it, nor any other warning.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from batchkit import make_project
from commands import run_csnb

from csnb.run.engines import engine_names


def _warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if "WARNING" in line or "without encryption" in line]


@pytest.mark.slow
@pytest.mark.parametrize("engine", engine_names())
def test_a_report_run_prints_no_kernel_warning(tmp_path: Path, engine: str) -> None:
    root = make_project(tmp_path / "p", ["alpha"])
    done = run_csnb("run", "alpha", "--engine", engine, cwd=root)
    assert done.returncode == 0, done.stderr
    assert _warnings(done.stderr + done.stdout) == []


@pytest.mark.slow
def test_a_batch_on_stock_kernels_logs_no_kernel_warning(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ["alpha", "beta"])
    done = run_csnb("run", "--all", "--jobs", "2", "--engine", "kernel", cwd=root)
    assert done.returncode == 0, done.stderr
    logs = "".join(p.read_text() for p in (root / ".csnb" / "logs").glob("*.log"))
    assert _warnings(done.stderr + logs) == []
