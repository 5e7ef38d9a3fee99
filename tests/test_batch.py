"""Portfolio batches from the command line: failure isolation, exit codes, idempotence and crash safety."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from batchkit import make_project, running_batch, summary
from builders import project_store
from commands import run_csnb, wait_for, wait_until_no_processes

HEALTHY = ["alpha", "beta"]
FAULTY = {
    "failing": "cell 3 raised RuntimeError: the warehouse said no",
    "hanging": "did not finish within 20 s and was stopped while running cell 3",
    "crashing": "DeadKernelError",
    # the killer kills its cells' parent: with the default engine, the report process the kernel forked from
    "killer": "its report process died (killed by SIGKILL)",
}


@pytest.mark.slow
def test_failing_hanging_and_crashing_clients_leave_every_healthy_report(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", HEALTHY + list(FAULTY))
    # the hanging client goes first so that its timeout overlaps the other jobs
    order = "hanging,crashing,alpha,failing,killer,beta"
    done = run_csnb("run", "--all", "--clients", order, "--jobs", "2", "--timeout", "20", "--json", cwd=root)

    assert done.returncode == 1, done.stderr
    results = {r["client"]: r for r in summary(done)["results"]}
    assert set(results) == set(HEALTHY) | set(FAULTY)
    for client in HEALTHY:
        html = Path(results[client]["html"])
        assert results[client]["status"] == "ok" and html.is_file()
        assert html.read_text(encoding="utf-8").rstrip().endswith("</html>")
    for client, error in FAULTY.items():
        r = results[client]
        assert r["status"] == "failed" and error in r["error"], r
        assert Path(r["notebook"]).is_file(), f"{client}: executed notebook not kept"
        assert not (root / "reports" / client / "2026-10-15" / "operator.html").exists()
    wait_until_no_processes(root)

    # one finished run row per job, none left open
    rows = project_store(root).runs()
    assert sorted(r["client"] for r in rows) == sorted(results)
    assert {r["client"]: r["status"] for r in rows} == {c: r["status"] for c, r in results.items()}

    # the portfolio page flags exactly the failed clients
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    banner = index.split('class="banner"')[1].split("</div>")[0]
    assert all(f"({c})" in banner for c in FAULTY) and "(alpha)" not in banner

    # --retry-failed picks exactly the failed reports
    retry = summary(run_csnb("run", "--retry-failed", "--dry-run", "--json", cwd=root))
    assert sorted(j["client"] for j in retry["planned"]) == sorted(FAULTY)


@pytest.mark.slow
def test_due_runs_what_the_cadence_asks_once(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", HEALTHY)
    at = "2026-10-13T10:00"  # Tuesday: the weekly update of Monday 12 October is due

    first = run_csnb("run", "--due", "--at", at, "--jobs", "2", "--json", cwd=root)
    assert first.returncode == 0, first.stderr
    ran = summary(first)
    assert sorted((r["client"], r["as_of"], r["status"]) for r in ran["results"]) == [
        ("alpha", "2026-10-12", "ok"),
        ("beta", "2026-10-12", "ok"),
    ]
    assert (root / "reports" / "alpha" / "2026-10-12" / "operator.html").is_file()

    again = run_csnb("run", "--due", "--at", at, "--json", cwd=root)
    assert again.returncode == 0 and summary(again)["results"] == []
    assert [s["reason"] for s in summary(again)["skipped"]] == ["already succeeded"] * 2

    forced = summary(
        run_csnb("run", "--due", "--at", at, "--force", "--clients", "beta", "--dry-run", "--json", cwd=root)
    )
    assert [(j["client"], j["as_of"]) for j in forced["planned"]] == [("beta", "2026-10-12")]
    assert len(project_store(root).runs()) == 2


@pytest.mark.slow
def test_invalid_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", HEALTHY)
    (root / "parameters" / "broken.yaml").write_text("client: {id: broken}\nmetrics: 3\n")

    bad_plan = run_csnb("run", "--all", cwd=root)
    assert bad_plan.returncode == 2 and "broken.yaml" in bad_plan.stderr
    for args in (
        ["--all", "--jobs", "0", "--clients", "alpha"],
        ["--all", "--at", "2026-10-13", "--clients", "alpha"],
        ["--all", "--executor", "nope", "--clients", "alpha"],
        ["--due", "--at", "Tuesday"],
        ["--all", "--clients", "nobody"],
    ):
        done = run_csnb("run", *args, cwd=root)
        assert done.returncode == 2, (args, done.stderr)
    assert not (root / "reports").exists() and not (root / ".csnb").exists()


@pytest.mark.slow
def test_kill_9_keeps_finished_reports_and_the_next_due_run_completes(tmp_path: Path) -> None:
    clients = ["alpha", "slow1", "slow2"]
    root = make_project(tmp_path / "p", clients)
    batch = running_batch(root, "run", "--due", "--jobs", "2")
    os.kill(batch.pid, signal.SIGKILL)
    batch.wait()
    reports = root / "reports"
    finished_before = sorted(reports.glob("*/*/operator.html"))

    wait_until_no_processes(root)  # no worker or kernel outlives the batch
    for html in reports.glob("*/*/*.html"):
        assert html.read_text(encoding="utf-8").rstrip().endswith("</html>"), f"partial {html}"

    rest = run_csnb("run", "--due", "--json", cwd=root)
    assert rest.returncode == 0, rest.stderr
    assert {r["client"] for r in summary(rest)["results"]} == set(clients) - {
        p.parts[-3] for p in finished_before
    }
    assert sorted(reports.glob("*/*/operator.html")) == sorted(
        reports / c / "2026-10-12" / "operator.html" for c in clients
    )
    assert not list(reports.glob("*/*/.*.tmp*")), "temporary files of the killed batch were left"
    statuses = [r["status"] for r in project_store(root).runs()]
    assert "running" not in statuses and "interrupted" in statuses


@pytest.mark.slow
def test_one_client_with_a_timeout_is_stopped_and_recorded(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ["hanging"])
    done = run_csnb("run", "hanging", "--timeout", "5", cwd=root)
    assert done.returncode == 1
    assert "did not finish within 5 s" in done.stderr and "operator.ipynb" in done.stderr
    assert [r["status"] for r in project_store(root).runs()] == ["failed"]
    wait_until_no_processes(root)


@pytest.mark.slow
@pytest.mark.parametrize("option", ["--json", None])
def test_progress_never_mixes_into_json(tmp_path: Path, option: str | None) -> None:
    root = make_project(tmp_path / "p", ["alpha"])
    done = run_csnb("run", "--all", "--dry-run", *([option] if option else []), cwd=root)
    assert done.returncode == 0
    if option:
        assert json.loads(done.stdout)["planned"][0]["client"] == "alpha"
    else:
        assert "would run alpha operator 2026-10-15" in done.stdout


def test_an_unreaped_worker_counts_as_gone_so_its_run_is_retried() -> None:
    # where init does not reap orphans, a killed batch's workers stay zombies that signal 0 reaches
    from csnb.run.worker import pid_alive

    child = os.fork()
    if child == 0:
        os._exit(0)
    try:
        wait_for(
            lambda: Path(f"/proc/{child}/stat").read_text().split(") ")[1][:1] == "Z",
            10,
            f"child {child} to exit (a zombie)",
            interval=0.05,
        )
        assert not pid_alive(child)
        assert pid_alive(os.getpid())
    finally:
        os.waitpid(child, 0)
    assert not pid_alive(child)
