"""Warm engines: each report runs in a fresh fork that inherits nothing from the reports before it.

Isolation: what one client's cells change (a global, Altair's renderer and theme, a module attribute,
an environment variable, an open file, a secret held in memory) is absent when the next client runs
on the same fork server. Crashes: a segfault, ``os._exit``, a hang or a killed batch is one failed
client, and no process is left behind. Equivalence: on the demo, every engine's executed notebook has
the stock kernel's cells, output types and mimetypes, and its HTML the same visible text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest
from batchkit import add_cell, make_project, running_batch, summary
from commands import csnb_processes, run_csnb, wait_until_no_processes
from conftest import REPO
from pages import visible_text

WARM = ["warm-kernel", "warm-shell"]

# Reads what this process can see of earlier clients' changes, and looks for another client's secret
# in its own memory by hash (so the probe never holds the secret it is looking for).
PROBE = """\
import hashlib, json, os, pathlib, string
import altair as alt

def _secret_in_memory(digest):
    found = False
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            start, end = (int(x, 16) for x in span.split("-"))
            if "r" not in perms or end - start > 1 << 30:
                continue
            try:
                mem.seek(start)
                chunk = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            at = chunk.find(b"SECRET:")
            while at != -1 and not found:
                found = hashlib.sha256(chunk[at : at + 39]).hexdigest() == digest
                at = chunk.find(b"SECRET:", at + 1)
    return found

def _open_files():
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.append((int(fd), os.readlink(f"/proc/self/fd/{fd}")))
        except OSError:  # the descriptor listdir itself used
            pass
    return found

def _probe(other):
    digest = pathlib.Path(f"data/{other}.sha256").read_text()
    handles = _open_files()
    print("PROBE " + json.dumps({
        "global": "LEAK" in globals(),
        "renderer": alt.renderers.active,
        "theme": alt.theme.active,
        "module attribute": string.ascii_letters,
        "environment": os.environ.get("CSNB_LEAK"),
        "open files": sorted(h for _, h in handles if "handle-" in h),
        "inherited pipes": sum(1 for fd, h in handles if fd > 2 and h.startswith("pipe:")),
        "secret": _secret_in_memory(digest),
    }))

_client = pathlib.Path(plan_path).stem
_probe("alpha" if _client == "beta" else "beta")
"""

MUTATE = """\
LEAK = _client
alt.renderers.enable("json")
alt.theme.enable("dark")
string.ascii_letters = "patched by " + _client
os.environ["CSNB_LEAK"] = _client
_handle = open(f"handle-{_client}.txt", "w")
_secret = pathlib.Path(f"data/{_client}.secret").read_text()
_probe(_client)
"""


def _isolation_project(root: Path) -> Path:
    make_project(root, ["alpha", "beta"])
    for client in ("alpha", "beta"):
        secret = f"SECRET:{uuid.uuid4().hex}"
        (root / "data" / f"{client}.secret").write_text(secret)
        (root / "data" / f"{client}.sha256").write_text(hashlib.sha256(secret.encode()).hexdigest())
    add_cell(root, PROBE)
    add_cell(root, MUTATE, at_end=True)
    return root


def _probes(notebook: Path) -> list[dict]:
    nb = nbformat.read(notebook, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("PROBE ")]


@pytest.mark.slow
@pytest.mark.parametrize("engine", WARM)
def test_nothing_one_client_changes_reaches_the_next(tmp_path: Path, engine: str) -> None:
    root = _isolation_project(tmp_path / "p")
    # one slot: beta runs on the fork server that just served alpha
    done = run_csnb(
        "run", "--all", "--clients", "alpha,beta", "--jobs", "1", "--engine", engine, "--json", cwd=root
    )
    assert done.returncode == 0, done.stderr
    results = {r["client"]: r for r in summary(done)["results"]}

    alpha_before, alpha_after = _probes(Path(results["alpha"]["notebook"]))
    beta_before, beta_after = _probes(Path(results["beta"]["notebook"]))
    # alpha really changed everything, and the probe finds a secret that is in memory
    assert alpha_after == {
        "global": True,
        "renderer": "json",
        "theme": "dark",
        "module attribute": "patched by alpha",
        "environment": "alpha",
        "open files": [str(root / "handle-alpha.txt")],
        # warm-shell: only the pipe the result goes back through; a forked kernel keeps none
        "inherited pipes": 1 if engine == "warm-shell" else 0,
        "secret": True,
    }
    # beta starts exactly as alpha started: none of alpha's changes, and alpha's secret nowhere in memory
    assert beta_before == alpha_before
    assert beta_before["global"] is False and beta_before["environment"] is None
    assert beta_before["open files"] == [] and beta_before["secret"] is False
    assert beta_before["renderer"] != "json" and beta_before["theme"] != "dark"


@pytest.mark.slow
def test_the_fork_server_holds_no_threads_and_never_loads_vl_convert() -> None:
    code = "import sys; from csnb.run import forkserver as warm; warm.warm_up()\n"
    code += "print(warm.native_threads(), 'vl_convert' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["[]", "False"], done.stderr


EXITING = """\
import os, pathlib
if pathlib.Path(plan_path).stem.startswith("exiting"):
    os._exit(3)
"""


@pytest.mark.slow
@pytest.mark.parametrize("engine", WARM)
def test_a_crash_exit_or_hang_is_one_failed_client_and_nothing_is_left(tmp_path: Path, engine: str) -> None:
    clients = ["alpha", "crashing", "exiting", "failing", "hanging", "beta"]
    root = make_project(tmp_path / "p", clients)
    add_cell(root, EXITING)

    order = ",".join(clients)
    done = run_csnb(
        "run",
        "--all",
        "--clients",
        order,
        "--jobs",
        "2",
        "--timeout",
        "15",  # room for a healthy report on a busy 2-core machine; the hanging one is stopped here
        "--engine",
        engine,
        "--json",
        cwd=root,
    )

    assert done.returncode == 1, done.stderr
    results = {r["client"]: r for r in summary(done)["results"]}
    ok = {c for c, r in results.items() if r["status"] == "ok"}
    assert ok == {"alpha", "beta"}, {c: results[c]["error"] for c in {"alpha", "beta"} - ok}
    assert "DeadKernelError" in results["crashing"]["error"] and "SIGSEGV" in results["crashing"]["error"]
    assert "exit status 3" in results["exiting"]["error"]
    assert "RuntimeError: the warehouse said no" in results["failing"]["error"]
    assert "did not finish within 15 s" in results["hanging"]["error"]
    for client in ("crashing", "exiting", "failing", "hanging"):
        kept = results[client]["notebook"]
        assert kept and Path(kept).is_file(), f"{client}: executed notebook not kept: {results[client]}"
        assert results[client]["cell"], f"{client}: failing cell not named"
    for client in ("alpha", "beta"):
        assert Path(results[client]["html"]).read_text(encoding="utf-8").rstrip().endswith("</html>")
    wait_until_no_processes(root)


@pytest.mark.slow
@pytest.mark.parametrize("engine", WARM)
def test_a_cell_timeout_stops_the_cell_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    from dataclasses import replace

    from csnb.project.folder import Project
    from csnb.run.batch import make_job
    from csnb.run.forkserver import run_forked

    root = make_project(tmp_path / "p", ["hanging"])
    monkeypatch.chdir(root)
    job = replace(make_job(Project(root), "hanging", engine=engine), cell_timeout=2)
    result = run_forked(job)
    assert result.status == "failed" and "cell 3 timed out after 2 s" in result.error, result
    nb = nbformat.read(result.notebook, as_version=4)
    assert [c.metadata.papermill.status for c in nb.cells if c.cell_type == "code"][2] == "failed"


@pytest.mark.slow
@pytest.mark.parametrize("engine", WARM)
def test_a_fork_of_a_process_that_ran_notebooks_itself_still_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    from dataclasses import replace

    from jupyter_core.utils import run_sync

    from csnb.project.folder import Project
    from csnb.run.batch import make_job
    from csnb.run.engines.shell import new_shell
    from csnb.run.forkserver import run_forked

    async def answer() -> int:
        return 42

    assert run_sync(answer)() == 42  # this process now caches an event loop, as a notebook client leaves it
    new_shell()  # and holds an IPython shell singleton, as an in-process warm-shell run leaves it
    root = make_project(tmp_path / "p", ["alpha"])
    monkeypatch.chdir(root)
    job = replace(make_job(Project(root), "alpha", engine=engine), cell_timeout=60)
    result = run_forked(job)
    assert result.status == "ok", result.error


@pytest.mark.slow
def test_a_forked_kernel_that_dies_before_answering_is_started_once_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from csnb.project.folder import Project
    from csnb.run.batch import make_job
    from csnb.run.engines import kernel as warmkernel
    from csnb.run.forkserver import run_forked

    root = make_project(tmp_path / "p", ["alpha"])
    monkeypatch.chdir(root)
    deaths = tmp_path / "deaths"
    deaths.mkdir()
    become = warmkernel._become_kernel

    def flaky(*args, limit: int) -> None:  # runs in the forked kernel: the count lives in files
        if len(list(deaths.iterdir())) < limit:
            (deaths / str(os.getpid())).touch()
            os._exit(9)
        become(*args)

    job = replace(make_job(Project(root), "alpha", engine="warm-kernel"), cell_timeout=60)
    monkeypatch.setattr(warmkernel, "_become_kernel", lambda *a: flaky(*a, limit=1))
    once = run_forked(job)
    assert once.status == "ok", once.error
    assert len(list(deaths.iterdir())) == 1

    monkeypatch.setattr(warmkernel, "_become_kernel", lambda *a: flaky(*a, limit=99))
    twice = run_forked(replace(job, run_key=None))
    assert twice.status == "failed" and "died before replying" in twice.error, twice
    assert len(list(deaths.iterdir())) == 3  # the first start and one more, then the client fails


@pytest.mark.slow
@pytest.mark.parametrize("engine", WARM)
def test_kill_9_of_a_batch_leaves_no_fork_server_or_report_process(tmp_path: Path, engine: str) -> None:
    root = make_project(tmp_path / "p", ["alpha", "slow1", "slow2"])
    batch = running_batch(root, "run", "--all", "--jobs", "2", "--engine", engine)
    assert len(csnb_processes(root)) >= 3, "expected fork servers and forked reports running"
    os.kill(batch.pid, signal.SIGKILL)
    batch.wait()
    wait_until_no_processes(root)  # no fork server or report outlives the batch


def _shape(notebook: Path) -> list[tuple]:
    """What a reader of the executed notebook checks: cells, and each output's type and mimetypes."""
    nb = nbformat.read(notebook, as_version=4)
    return [
        (
            cell.cell_type,
            "" if "injected-parameters" in cell.metadata.get("tags", []) else cell.source,
            cell.get("execution_count"),
            [(o.output_type, o.get("name"), sorted(o.get("data", {}))) for o in cell.get("outputs", [])],
        )
        for cell in nb.cells
    ]


@pytest.mark.slow
def test_every_engine_makes_the_stock_kernels_reports_on_the_demo(fresh_demo: Path) -> None:
    root = fresh_demo
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    runs = {}
    for engine in ["kernel", *WARM]:
        out = root / f"reports-{engine}"
        store = f"sqlite:///{root / f'{engine}.db'}"
        done = run_csnb(
            "run",
            "--all",
            "--jobs",
            "2",
            "--engine",
            engine,
            "--out",
            str(out),
            "--store",
            store,
            "--json",
            cwd=root,
        )
        assert done.returncode == 0, done.stderr
        runs[engine] = {r["client"]: r for r in summary(done)["results"]}

    stock = runs.pop("kernel")
    assert sorted(stock) == ["acme", "fernhill", "northwind"]
    for engine, results in runs.items():
        for client, expected in stock.items():
            got = results[client]
            assert _shape(Path(got["notebook"])) == _shape(Path(expected["notebook"])), (engine, client)
            html = Path(got["html"]).read_text(encoding="utf-8")
            assert visible_text(html) == visible_text(Path(expected["html"]).read_text(encoding="utf-8")), (
                engine,
                client,
            )
            assert "vegaEmbed" in html and not re.search(r"<script[^>]+src=", html), "not self-contained"
