"""``--executor dask``: the same jobs on a Dask cluster, results and failures as with the local pool."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from batchkit import make_project
from builders import project_store

from csnb.errors import ConfigError, RunError, SourceError
from csnb.project.folder import Project
from csnb.registry import executors as registry
from csnb.run.batch import BatchOptions, run_batch
from csnb.run.executors import DaskExecutor
from csnb.run.job import Result

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> str:
    """A scheduler with two single-threaded worker processes, started for these tests."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster:
        yield cluster.scheduler_address


@pytest.mark.slow
def test_dask_runs_jobs_and_isolates_failures_like_the_local_pool(tmp_path: Path, scheduler: str) -> None:
    root = make_project(tmp_path / "p", ["alpha", "failing", "killer"])
    summary = run_batch(
        BatchOptions(all=True, executor="dask", address=scheduler, timeout=120), Project(root)
    )

    results = {r.client: r for r in summary.results}
    assert summary.exit_code == 1
    assert results["alpha"].status == "ok" and Path(results["alpha"].html).is_file()
    assert (
        results["failing"].status == "failed"
        and "RuntimeError: the warehouse said no" in results["failing"].error
    )
    killed = results["killer"]  # it kills its cells' parent: the report process, with the default engine
    assert killed.status == "failed" and "report process died (killed by SIGKILL)" in killed.error
    assert all(Path(results[c].notebook).is_file() for c in ("failing", "killer"))
    rows = project_store(root).runs()
    assert sorted((r["client"], r["status"]) for r in rows) == [
        ("alpha", "ok"),
        ("failing", "failed"),
        ("killer", "failed"),
    ]
    assert (root / "reports" / "index.html").is_file()


def test_results_and_errors_survive_pickling_to_and_from_workers() -> None:
    result = Result("acme", "operator", "2026-10-12", "failed", 1.5, error="client acme: boom", cell=4)
    assert pickle.loads(pickle.dumps(result)) == result
    for error in (
        RunError("client acme: cell 4 raised KeyError", client="acme", cell=4, notebook="n.ipynb"),
        SourceError("timed out", client="acme", metric="m", source="warehouse"),
        ConfigError("--address: no scheduler"),
    ):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and str(back) == str(error)
    assert pickle.loads(pickle.dumps(RunError("x", client="acme", cell=4))).cell == 4


@pytest.mark.slow
def test_an_unreachable_scheduler_is_a_configuration_error() -> None:
    assert registry.get("dask") is DaskExecutor
    with pytest.raises(ConfigError, match="no Dask scheduler answers at tcp://127.0.0.1:9"):
        DaskExecutor(address="tcp://127.0.0.1:9", connect_timeout=2)._client()
