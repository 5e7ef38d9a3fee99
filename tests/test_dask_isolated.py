"""``--executor dask`` without a shared disk: workers that cannot read the project still make its reports.

Two ``dask worker`` processes are started with their own working and temporary folders and with an
audit hook (``sitecustomize``, so every Python process they start has it too: report workers, forked
reports, kernels) that refuses to open, list or connect to anything inside the project folder and
writes down every attempt. The batch runs in the test process, which owns the project.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from batchkit import PLAN, make_project
from builders import project_store

from csnb.project.folder import Project
from csnb.run.batch import BatchOptions, run_batch
from csnb.run.executors import SCATTER_BYTES

distributed = pytest.importorskip("distributed")

# Python's audit hook: every process that imports it refuses the project folder and notes the attempt.
GUARD = """\
import os, sys

_ROOT = os.environ.get("CSNB_TEST_FORBIDDEN", "")
_SEEN = os.environ.get("CSNB_TEST_SEEN", "")
_EVENTS = {"open", "os.listdir", "os.scandir", "os.chdir", "sqlite3.connect", "shutil.copyfile"}


def _guard(event, args):
    if not _ROOT or event not in _EVENTS or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.path.abspath(os.fsdecode(args[0]))
    if path == _ROOT or path.startswith(_ROOT + os.sep):
        fd = os.open(_SEEN, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, f"{os.getpid()} {event} {path}\\n".encode())
        os.close(fd)
        raise PermissionError(13, "this worker cannot see the project folder", path)


sys.addaudithook(_guard)
"""

WAREHOUSE_PLAN = PLAN.replace(
    "exports: {{kind: csv, path: ../data/metrics.csv}}",
    'warehouse: {{kind: sql, url: "sqlite:///../.csnb/warehouse.db"}}',
).replace(
    "source: exports",
    'source: warehouse\n    query: "SELECT day AS date, value FROM obs WHERE client = :client"',
)
LOGO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _warehouse(root: Path, clients: list[str]) -> None:
    """A SQLite warehouse inside the project: handle times falling from 10 to 6.5 minutes."""
    (root / ".csnb").mkdir(exist_ok=True)
    db = sqlite3.connect(root / ".csnb" / "warehouse.db")
    db.execute("CREATE TABLE obs (client TEXT, day TEXT, value REAL)")
    rows = [(c, f"2026-09-{d:02d}", 10 - d / 10) for c in clients for d in range(1, 31)]
    rows += [(c, f"2026-10-{d:02d}", 7 - d / 20) for c in clients for d in range(1, 16)]
    rows += [("someone-else", f"2026-09-{n % 28 + 1:02d}", 1.0) for n in range(5000)]  # a shared warehouse
    db.executemany("INSERT INTO obs VALUES (?, ?, ?)", rows)
    db.commit()
    db.close()


@pytest.fixture
def isolated(tmp_path: Path) -> Iterator[tuple[str, Path, list[Path]]]:
    """(scheduler address, project folder, worker folders): two workers that may not read the project."""
    root = tmp_path / "project"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(GUARD)
    folders = [tmp_path / f"worker{i}" for i in range(2)]
    with distributed.LocalCluster(n_workers=0, dashboard_address=None, silence_logs=40) as cluster:
        procs = []
        for folder in folders:
            (folder / "tmp").mkdir(parents=True)
            env = {
                **_env(),
                "PYTHONPATH": str(hook),
                "CSNB_TEST_FORBIDDEN": str(root),
                "CSNB_TEST_SEEN": str(folder / "seen.log"),
                "TMPDIR": str(folder / "tmp"),
            }
            log = (folder / "worker.log").open("wb")  # noqa: SIM115 - handed to the worker process
            command = [sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address]
            command += ["--nthreads", "1", "--no-dashboard", "--local-directory", str(folder / "dask")]
            procs.append(
                subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=log)
            )
        try:
            with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
                client.wait_for_workers(2, timeout=120)
            yield cluster.scheduler_address, root, folders
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}


@pytest.mark.slow
def test_workers_that_cannot_see_the_project_make_its_reports(
    isolated: tuple[str, Path, list[Path]],
) -> None:
    address, root, folders = isolated
    make_project(root, ["alpha", "failing"])
    (root / "parameters" / "beta.yaml").write_text(WAREHOUSE_PLAN.format(client="beta", name="Beta"))
    _warehouse(root, ["beta"])
    assert (root / ".csnb" / "warehouse.db").stat().st_size >= SCATTER_BYTES  # sent to the cluster once
    (root / "logo.png").write_bytes(LOGO)
    with (root / "csnb.toml").open("a") as toml:
        toml.write('\n[branding]\nprovider = "Northwind Success"\nlogo = "logo.png"\n')

    # the guard works: a worker asked to read the project's settings is refused
    with distributed.Client(address, set_as_default=False) as client:
        refused = client.submit(Path.read_text, root / "csnb.toml", pure=False).exception(timeout=60)
        cwds = set(client.run(os.getcwd).values())
    assert isinstance(refused, PermissionError)
    assert cwds == {str(f) for f in folders}
    for folder in folders:
        (folder / "seen.log").unlink(missing_ok=True)

    summary = run_batch(BatchOptions(all=True, executor="dask", address=address, timeout=120), Project(root))

    results = {r.client: r for r in summary.results}
    statuses = {c: r.status for c, r in results.items()}
    assert statuses == {"alpha": "ok", "beta": "ok", "failing": "failed"}, {
        c: r.error for c, r in results.items()
    }
    for client, name in (("alpha", "Alpha"), ("beta", "Beta")):
        html = root / "reports" / client / "2026-10-15" / "operator.html"
        assert results[client].html == str(html)
        page = html.read_text()
        assert name in page and "Average handle time" in page and "Northwind Success" in page
        assert "data:image/png;base64," + base64.b64encode(LOGO).decode() in page
        assert (html.parent / "operator.ipynb").is_file()
    failing = results["failing"]
    assert "RuntimeError: the warehouse said no" in failing.error
    assert failing.notebook == str(root / "reports" / "failing" / "2026-10-15" / "operator.ipynb")
    assert Path(failing.notebook).is_file() and not (Path(failing.notebook).parent / "operator.html").exists()

    # the coordinator recorded every run, with the worker's host and the project's paths
    store = project_store(root)
    rows = {r["client"]: r for r in store.runs()}
    assert {c: r["status"] for c, r in rows.items()} == {"alpha": "ok", "beta": "ok", "failing": "failed"}
    assert rows["alpha"]["outputs"]["html"] == results["alpha"].html
    assert rows["alpha"]["batch"] == summary.batch and rows["alpha"]["duration"] > 0
    assert store.snapshot_history("beta", "operator", 1)[0]["health"]["score"] is not None
    assert (root / "reports" / "index.html").is_file()

    # no worker process ever opened a project path, and none left its scratch folder behind
    assert [f for f in folders if (f / "seen.log").exists()] == []
    time.sleep(0.5)
    assert [p for f in folders for p in (f / "tmp").glob("csnb-job-*")] == []


@pytest.mark.slow
def test_the_previous_report_reaches_a_worker_so_what_changed_is_shown(
    isolated: tuple[str, Path, list[Path]],
) -> None:
    address, root, _ = isolated
    make_project(root, ["alpha"], as_of="2026-10-08")
    first = run_batch(BatchOptions(all=True, executor="dask", address=address), Project(root))
    assert [r.status for r in first.results] == ["ok"], [r.error for r in first.results]

    second = run_batch(
        BatchOptions(all=True, executor="dask", address=address, as_of=dt.date(2026, 10, 15)), Project(root)
    )

    assert [r.status for r in second.results] == ["ok"], [r.error for r in second.results]
    page = Path(second.results[0].html).read_text()
    assert "compared with 8 Oct 2026" in page  # the worker had the previous report's snapshot
    assert len(project_store(root).snapshot_history("alpha", "operator", 5)) == 2
