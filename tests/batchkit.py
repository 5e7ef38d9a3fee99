"""Builders for batch tests: a small project folder whose clients can be made to fail, hang or crash."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import nbformat
from builders import project_store, write_project
from commands import CSNB, wait_for

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
    rows = ["date,value"] + [f"2026-09-{d:02d},{10 - d / 10:.2f}" for d in range(1, 31)]
    rows += [f"2026-10-{d:02d},{7 - d / 20:.2f}" for d in range(1, 16)]
    plans = {c: PLAN.format(client=c, name=(names or {}).get(c, c.title())) for c in clients}
    files = {"data/metrics.csv": "\n".join(rows) + "\n"}
    write_project(root, plans, as_of=as_of, timezone="Europe/London", files=files, report_notebook=True)
    add_cell(root, FAULTS)
    return root


def add_cell(root: Path, source: str, *, at_end: bool = False) -> None:
    """Put a code cell into the project's report notebook, right after the parameters (or at the end)."""
    path = root / "notebooks" / "client_report.ipynb"
    nb = nbformat.read(path, as_version=4)
    tags = [c.get("metadata", {}).get("tags", []) for c in nb.cells]
    at = len(nb.cells) if at_end else next(i for i, t in enumerate(tags) if "parameters" in t) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    nbformat.write(nb, path)


def summary(done: subprocess.CompletedProcess[str]) -> dict:
    """The ``--json`` summary a batch printed."""
    return json.loads(done.stdout)


def running_batch(root: Path, *args: str) -> subprocess.Popen:
    """``csnb ARGS`` started in the background in ``root``, its ``slow*`` clients sleeping for ten minutes;
    returned once the batch has written its first report and recorded it in the store (a report whose
    file is written but whose run is not yet recorded counts as not done: a killed batch makes it again)."""
    batch = subprocess.Popen(
        [*CSNB, *args],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "CSNB_TEST_SLOW": "600"},
    )
    wait_for(lambda: _first_report_recorded(root), 120, "the batch's first recorded report")
    return batch


def _first_report_recorded(root: Path) -> bool:
    if not list((root / "reports").glob("*/*/operator.html")):
        return False
    store = project_store(root)
    try:
        return any(run["status"] == "ok" for run in store.runs())
    finally:
        store.dispose()
