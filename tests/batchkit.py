"""Builders for batch tests: a small project folder whose clients can be made to fail, hang or crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
CSNB = [sys.executable, "-c", "from csnb.cli import main; main()"]

PLAN = """\
client: {{id: {client}, name: "{name}", timezone: Europe/London}}
people:
  - {{id: dana, name: Dana Ortiz, side: provider, role: Customer Success Manager}}
goals:
  - {{id: speed, statement: Answer calls faster, metrics: [handle_time]}}
sources:
  exports: {{kind: csv, path: ../data/metrics.csv}}
metrics:
  - id: handle_time
    name: Average handle time
    kind: lag
    unit: minutes
    direction: down
    source: exports
    aggregate: mean
    frequency: week
    baseline: {{value: 10, date: 2026-09-01}}
    target: {{value: 6, date: 2026-11-30}}
    owner: dana
milestones:
  - {{id: M1, title: Agents trained, stage: onboarding, owner: dana, start: 2026-09-01, due: 2026-10-30,
     criteria: [{{metric: handle_time, op: "<=", value: 8}}]}}
cadence:
  - {{ritual: weekly-update, rrule: "FREQ=WEEKLY;BYDAY=MO", audience: operator, time: "09:00"}}
"""

# Test-only faults, chosen by client id in a cell after the parameters: a cell that raises, a cell that
# never ends, a kernel that segfaults, and a kernel that kills the worker process running it.
FAULTS = """\
import os, pathlib, time
_client = pathlib.Path(plan_path).stem
if _client.startswith("failing"):
    raise RuntimeError("the warehouse said no")
if _client.startswith("hanging"):
    time.sleep(3600)
if _client.startswith("crashing"):
    import ctypes
    ctypes.string_at(0)
if _client.startswith("killer"):
    import signal
    os.kill(os.getppid(), signal.SIGKILL)
if _client.startswith("slow"):
    time.sleep(float(os.environ.get("CSNB_TEST_SLOW", "0")))
"""


def make_project(
    root: Path, clients: list[str], names: dict[str, str] | None = None, as_of: str = "2026-10-15"
) -> Path:
    """A project with one small plan per client, a CSV of metrics and a report notebook with fault hooks."""
    (root / "parameters").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "notebooks").mkdir()
    (root / "csnb.toml").write_text(f'[project]\nas_of = "{as_of}"\ntimezone = "Europe/London"\n')
    rows = ["date,value"] + [f"2026-09-{d:02d},{10 - d / 10:.2f}" for d in range(1, 31)]
    rows += [f"2026-10-{d:02d},{7 - d / 20:.2f}" for d in range(1, 16)]
    (root / "data" / "metrics.csv").write_text("\n".join(rows) + "\n")
    for client in clients:
        name = (names or {}).get(client, client.title())
        (root / "parameters" / f"{client}.yaml").write_text(PLAN.format(client=client, name=name))
    nb = nbformat.read(REPO / "notebooks" / "client_report.ipynb", as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(FAULTS))
    nbformat.write(nb, root / "notebooks" / "client_report.ipynb")
    return root


def csnb(
    root: Path, *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the csnb command line in ``root`` as a scheduler would: no terminal, no stdin."""
    return subprocess.run(
        [*CSNB, *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def summary(done: subprocess.CompletedProcess[str]) -> dict:
    """The ``--json`` summary a batch printed."""
    return json.loads(done.stdout)


def csnb_processes(marker: str) -> list[str]:
    """Command lines of running worker or kernel processes whose environment or cwd mention ``marker``."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            if ("csnb.run.worker" in cmd or "ipykernel" in cmd) and marker in (proc.info["cwd"] or ""):
                found.append(f"{proc.info['pid']} {cmd}")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found
