"""A small warm batch runs in forks of the ``csnb run`` process itself, warmed up once.

Starting a worker costs a Python start and a warm-up of its own (pandas, Altair, papermill...); for
two reports that costs more than the reports. So a batch chooses: few reports run one after another
in forks of the command (never slower than as many ``csnb run CLIENT`` runs, each a fork of its
command), more run on a pool of workers. Either way a crash, a hang past ``--timeout`` or a failing
cell is one failed client. The timings behind the choice: benchmarks/bench_batch.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from batchkit import make_project, summary
from commands import run_csnb, wait_until_no_processes

from csnb.run.forkserver import runs_here


def test_few_reports_run_here_and_many_on_workers() -> None:
    # here: 2.5 + 2n CPU seconds; on 2 workers: 5 + 2n/2 -> here up to 2 reports, workers from 3
    assert [runs_here(n, slots=2) for n in (1, 2, 3, 10)] == [True, True, False, False]
    # more cores change nothing for 2 reports (they run 2 at a time either way): 6.5 s here, 7 s on workers
    assert [runs_here(n, slots=8) for n in (2, 3)] == [True, False]
    # one slot: a worker would only add its own start, but a batch with a progress bar runs on workers
    assert runs_here(3, slots=1) and not runs_here(4, slots=1)


@pytest.mark.slow
def test_a_small_batch_starts_no_worker_and_still_isolates_each_client(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ["alpha", "crashing"])
    done = run_csnb("run", "--all", "--jobs", "2", "--json", cwd=root)
    assert done.returncode == 1, done.stderr
    results = {r["client"]: r for r in summary(done)["results"]}
    assert results["alpha"]["status"] == "ok"
    assert Path(results["alpha"]["html"]).read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert "SIGSEGV" in results["crashing"]["error"]
    assert not list((root / ".csnb" / "logs").glob("*.log")), "a worker was started (it logs there)"
    wait_until_no_processes(root)


@pytest.mark.slow
def test_a_small_batch_stops_a_report_at_the_timeout(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ["alpha", "hanging"])
    done = run_csnb("run", "--all", "--timeout", "10", "--json", cwd=root)
    assert done.returncode == 1, done.stderr
    results = {r["client"]: r for r in summary(done)["results"]}
    assert results["alpha"]["status"] == "ok"
    assert "did not finish within 10 s" in results["hanging"]["error"]
    assert Path(results["hanging"]["notebook"]).is_file()
    wait_until_no_processes(root)
