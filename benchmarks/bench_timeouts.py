"""How soon does each timeout stop what it guards, after its limit?

The test suite checks that every timeout stops its work and says so; this script measures how long
that takes, in the same run, for:

* a SQLite source whose query would run for minutes (``timeout: 0.5``): goal under 5 s;
* the same on the PostgreSQL and MariaDB test servers (``timeout: 1``, a 5 s sleep), when they answer:
  goal under 4.5 s;
* a report cell that never ends, on each warm engine (a 2 s job timeout): goal under 30 s;
* ``csnb run CLIENT --timeout N`` on a client whose report hangs, wall time: goal under N + 25 s;
* ``csnb lab`` stopping a server that ignores SIGTERM (1 s of grace, then SIGKILL): goal under 10 s.

    python benchmarks/bench_timeouts.py [--run-timeout 20] [--skip-servers]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import nbformat

from csnb.demo.build import build_demo
from csnb.explore import lab
from csnb.plan import Client, Plan
from csnb.project.folder import Project
from csnb.project.scaffold import bundled_notebooks
from csnb.run.batch import make_job
from csnb.run.forkserver import run_forked
from csnb.sources import pull

SERVERS = {
    "PostgreSQL": (
        os.environ.get("CSNB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        "SELECT pg_sleep(5) IS NULL AS x",
    ),
    "MariaDB": (
        os.environ.get("CSNB_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
        "SELECT SLEEP(5) AS x",
    ),
}
ENDLESS_SQLITE = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000000) "
    "SELECT '2026-09-01' AS date, max(x) AS value FROM n"
)
HANGING_CELL = "import time\ntime.sleep(3600)  # the report never finishes\n"


def show(label: str, seconds: float, goal: float) -> None:
    """One line: what was stopped, how long it took, and whether that meets the goal."""
    verdict = "ok" if seconds < goal else "OVER"
    print(f"{label:<52} {seconds:6.2f} s   {f'goal < {goal:g} s':<14} {verdict}")


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    began = time.perf_counter()
    out = fn()
    return time.perf_counter() - began, out


def source_plan(folder: Path, url: str, slow: str, quick: str, timeout: float) -> Plan:
    """A plan with one ``db`` source at ``url``: a metric whose query is slow and one that is quick."""
    metrics = [
        {
            "id": metric_id,
            "name": metric_id,
            "kind": "lag",
            "source": "db",
            "query": query,
            "baseline": {"value": 0, "date": "2026-09-01"},
            "target": {"value": 100, "date": "2026-12-01"},
        }
        for metric_id, query in (("slow", slow), ("quick", quick))
    ]
    plan = Plan.model_validate(
        {
            "client": Client.model_construct(id="acme", name="Acme", timezone="UTC", industry=None),
            "people": [{"id": "dana", "name": "Dana Ortiz", "side": "provider", "role": "CSM"}],
            "sources": {"db": {"kind": "sql", "url": url, "timeout": timeout}},
            "metrics": metrics,
        }
    )
    plan._path = folder / "plan.yaml"
    return plan


def source_timeouts(folder: Path, servers: bool) -> None:
    """A slow query stopped by the source's timeout, on SQLite and (when they answer) the servers."""
    with sqlite3.connect(folder / "warehouse.db") as db:
        db.execute("CREATE TABLE t (x)")
    quick = "SELECT '2026-09-01' AS date, 1 AS value"
    plan = source_plan(folder, "sqlite:///warehouse.db", ENDLESS_SQLITE, quick, 0.5)
    seconds, obs = timed(lambda: pull(plan))
    assert [e.metric for e in obs.errors] == ["slow"], obs.errors
    show("SQLite source, timeout 0.5 s", seconds, 5)
    for name, (url, sleep) in SERVERS.items() if servers else ():
        slow = f"SELECT CURRENT_DATE AS date, 1 AS value FROM ({sleep}) AS slow"
        plan = source_plan(folder, url, slow, "SELECT CURRENT_DATE AS date, 2 AS value", 1)
        seconds, obs = timed(lambda plan=plan: pull(plan))
        if any(e.metric == "quick" for e in obs.errors):
            print(f"{name} source: server not reachable at {url.split('@')[-1]}, skipped")
            continue
        show(f"{name} source, timeout 1 s", seconds, 4.5)


def hanging_project(root: Path) -> Path:
    """The demo project whose report notebook hangs right after its parameters."""
    for _ in build_demo(root):  # a generator of progress lines
        pass
    nb = nbformat.read(bundled_notebooks() / "client_report.ipynb", as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(HANGING_CELL))
    (root / "notebooks").mkdir()
    nbformat.write(nb, root / "notebooks" / "client_report.ipynb")
    return root


def report_timeouts(root: Path, run_timeout: float) -> None:
    """A hanging report stopped by a warm engine's cell timeout, and by ``csnb run --timeout``."""
    here = Path.cwd()
    os.chdir(root)
    try:
        for engine in ("warm-kernel", "warm-shell"):
            job = replace(make_job(Project(root), "acme", engine=engine), cell_timeout=2)
            seconds, result = timed(lambda job=job: run_forked(job))
            assert result.status == "failed" and "timed out after 2 s" in result.error, result
            show(f"hanging cell on {engine}, timeout 2 s", seconds, 30)
    finally:
        os.chdir(here)
    command = [sys.executable, "-m", "csnb.cli", "run", "northwind", "--timeout", f"{run_timeout:g}"]
    seconds, done = timed(lambda: subprocess.run(command, cwd=root, capture_output=True, text=True))
    assert done.returncode == 1, done.stderr
    show(f"csnb run, hanging client, --timeout {run_timeout:g} (wall time)", seconds, run_timeout + 25)


def lab_stop() -> None:
    """``csnb lab`` stopping a server that ignores SIGTERM."""
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('up', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert stubborn.stdout.readline().strip() == "up"
    seconds, _ = timed(lambda: lab.stop(stubborn, grace=1.0))
    show("csnb lab stopping a server that ignores SIGTERM", seconds, 10)


def main() -> None:
    """Run every measurement and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-timeout", type=float, default=20, help="--timeout of the hanging csnb run")
    parser.add_argument("--skip-servers", action="store_true", help="leave out PostgreSQL and MariaDB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source_timeouts(Path(folder), servers=not args.skip_servers)
        report_timeouts(hanging_project(Path(folder) / "project"), args.run_timeout)
    lab_stop()


if __name__ == "__main__":
    main()
