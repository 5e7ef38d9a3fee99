"""Batches that fail safely: numeric options, unwritable or full report folders, timed-out queries, one batch
at a time per project."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from batchkit import make_project, running_batch
from builders import project_store
from clikit import csnb_here
from commands import CSNB, run_csnb, wait_for, wait_until_no_processes
from sqlalchemy import create_engine, text

from csnb.errors import BusyError, OutputError
from csnb.fs import cannot_write, write_atomic
from csnb.run.lock import batch_lock

# --- numeric options ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "1e308", "-1", "0", "86401"])
def test_a_timeout_that_is_not_a_positive_finite_number_of_seconds_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.chdir(make_project(tmp_path / "p", ["acme"]))
    for args in (("run", "--all", "--timeout", value), ("run", "acme", "--timeout", value)):
        code, stderr = csnb_here(*args)
        assert code == 2, stderr
        assert stderr.startswith("--timeout: must be a number of seconds above 0 and at most 86400 (a day), ")
        assert stderr.rstrip().endswith(f"not {float(value):g}")
    assert not Path(".csnb", "store.db").exists()  # nothing ran, nothing was recorded
    assert not Path("reports").exists()


def test_jobs_must_be_a_whole_number_from_1_to_256(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(make_project(tmp_path / "p", ["acme"]))
    for value in ("0", "-3", "100000"):
        code, stderr = csnb_here("run", "--all", "--jobs", value)
        assert (code, stderr.strip()) == (2, f"--jobs: must be a whole number from 1 to 256, not {value}")
    code, stderr = csnb_here("run", "--all", "--jobs", "nan")
    assert code == 2 and "Invalid value for '--jobs'" in stderr and "Traceback" not in stderr


# --- report folders that refuse files ----------------------------------------------------------------------


def in_own_mount(root: Path, mount: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``csnb ARGS`` in ``root`` with a fresh tmpfs (options ``mount``) on ``root/reports``, in a mount
    namespace of its own; then the hidden files left in reports/. Skips where namespaces are not allowed."""
    if (
        not shutil.which("unshare")
        or subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode
    ):
        pytest.skip("no user and mount namespaces here (unshare -rm)")
    (root / "reports").mkdir(exist_ok=True)
    script = (
        f'mount -t tmpfs -o {mount} tmpfs reports || exit 99\n"$@"\necho "exit=$?"\n'
        'echo "hidden:"; find reports -name ".*" -type f\n'
    )
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", *CSNB, *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_a_read_only_reports_folder_fails_each_report_with_the_path_and_the_reason(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ["acme", "bravo"])
    done = in_own_mount(root, "ro", "run", "--all")
    assert "exit=1" in done.stdout, done.stdout + done.stderr
    for client in ("acme", "bravo"):
        folder = root / "reports" / client / "2026-10-15"
        assert f"failed client {client}: cannot write {folder}: Read-only file system" in done.stderr
    assert "portfolio page not written: cannot write" in done.stderr
    assert "Traceback" not in done.stderr and "DeadKernelError" not in done.stderr
    rows = project_store(root).runs()  # each report is recorded once, as failed, with the reason
    assert sorted((r["client"], r["status"]) for r in rows) == [("acme", "failed"), ("bravo", "failed")]
    assert all("Read-only file system" in r["error"] for r in rows)


@pytest.mark.slow
def test_a_full_reports_folder_fails_the_report_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ["acme"])
    done = in_own_mount(root, "size=300k", "run", "acme")  # the report's HTML alone is larger
    assert "exit=1" in done.stdout, done.stdout + done.stderr
    folder = root / "reports" / "acme" / "2026-10-15"
    assert f"failed client acme: cannot write {folder}/operator." in done.stderr  # .ipynb or .html
    assert ": No space left on device" in done.stderr
    assert done.stdout.split("hidden:")[1].strip() == ""  # no .operator.<pid>.tmp... file
    assert "Traceback" not in done.stderr
    [row] = project_store(root).runs()
    assert row["status"] == "failed" and "No space left on device" in row["error"]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_a_report_folder_without_write_permission_fails_the_report(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ["acme"])
    (root / "reports").mkdir()
    (root / "reports").chmod(0o555)
    try:
        done = run_csnb("run", "acme", cwd=root)
    finally:
        (root / "reports").chmod(0o755)
    assert done.returncode == 1
    assert f"cannot write {root / 'reports' / 'acme' / '2026-10-15'}: Permission denied" in done.stderr


def test_only_a_failed_write_of_the_output_is_called_one(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "acme.html"
    with pytest.raises(OutputError) as full:
        with cannot_write(target):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # write() names no file
    assert str(full.value) == f"cannot write {target}: No space left on device"
    with pytest.raises(TimeoutError), cannot_write(target):
        raise TimeoutError("Cell execution timed out")  # a library's timeout is no system error
    with pytest.raises(FileNotFoundError), cannot_write(target):
        (tmp_path / "input.csv").read_text()  # reading another file is not writing the output
    with pytest.raises(OutputError, match="cannot write .*: Not a directory"):
        (tmp_path / "reports").write_text("a file where the folder should be")
        write_atomic(target, "<html></html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]  # no temporary file beside it


# --- a timed-out report stops its query on the server ------------------------------------------------------

SLEEPS = {  # a metric query that takes a minute, and how to see it running on the server
    "pg_url": (
        "SELECT CURRENT_DATE AS date, 1 AS value FROM pg_sleep(60) /* {marker} */",
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE :like AND pid <> pg_backend_pid()",
    ),
    "mariadb_url": (
        "SELECT CURRENT_DATE AS date, SLEEP(60) AS value /* {marker} */",
        "SELECT count(*) FROM information_schema.processlist WHERE info LIKE :like AND id <> CONNECTION_ID()",
    ),
}


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.parametrize("server", ["pg_url", "mariadb_url"])
@pytest.mark.parametrize("how", ["single", "batch"])
def test_a_report_stopped_by_timeout_leaves_no_query_running_on_the_server(
    tmp_path: Path, request: pytest.FixtureRequest, server: str, how: str
) -> None:
    url = request.getfixturevalue(server)
    marker = f"csnb-timeout-{uuid.uuid4().hex[:8]}"
    query, running = SLEEPS[server]
    root = make_project(tmp_path / "p", ["acme"])
    plan = root / "parameters" / "acme.yaml"
    source = f'warehouse: {{kind: sql, url: "{url}", timeout: 300}}'  # the source's own limit is 5 minutes
    metric = f'source: warehouse\n    query: "{query.format(marker=marker)}"'
    csv = "exports: {kind: csv, path: ../data/metrics.csv}"
    plan.write_text(plan.read_text().replace(csv, source).replace("source: exports", metric))
    args = ("run", "acme", "--timeout", "8") if how == "single" else ("run", "--all", "--timeout", "8")
    done = run_csnb(*args, cwd=root)
    assert done.returncode == 1 and "did not finish within 8 s and was stopped" in done.stderr, done.stderr

    engine = create_engine(url)

    def queries_left() -> int:
        with engine.connect() as conn:
            return conn.execute(text(running), {"like": f"%{marker}%"}).scalar()

    try:  # the server stops the query at the report's deadline; give it a moment to notice
        wait_for(lambda: queries_left() == 0, 5, f"the query {marker} to stop", detail=queries_left)
    finally:
        engine.dispose()


# --- one batch at a time -----------------------------------------------------------------------------------


def test_a_second_holder_of_the_project_lock_is_refused_or_waits_until_the_first_lets_go(
    tmp_path: Path,
) -> None:
    heard: list[str] = []
    with batch_lock(tmp_path):
        with pytest.raises(BusyError) as refused, batch_lock(tmp_path, wait=False):
            pass
        assert f"another batch is running in this project (pid {os.getpid()} on " in str(refused.value)
        assert refused.value.exit_code == 2

        got = threading.Event()

        def second() -> None:
            with batch_lock(tmp_path, on_wait=heard.append):
                got.set()

        waiter = threading.Thread(target=second)
        waiter.start()
        wait_for(lambda: heard, 10, "the second batch to say it waits")
        time.sleep(0.3)
        assert not got.is_set()  # still waiting while the first holds the lock
    waiter.join(10)
    assert got.is_set()
    assert heard[0].startswith(
        f"waiting for the batch already running in this project (pid {os.getpid()} on "
    )


@pytest.mark.slow
def test_two_batches_started_together_record_each_report_exactly_once(tmp_path: Path) -> None:
    clients = ["acme", "bravo", "carol"]
    root = make_project(tmp_path / "p", clients)
    command = [*CSNB, "run", "--all", "--json"]
    batches = [
        subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [batch.communicate(timeout=300) for batch in batches]
    assert [batch.returncode for batch in batches] == [0, 0], outputs

    (second, waited), (first, _) = sorted(
        ((json.loads(out), err) for out, err in outputs), key=lambda o: o[0]["ok"]
    )
    assert first["ok"] == 3 and first["skipped"] == []  # one batch ran every report
    assert second["ok"] == 0 and [s["reason"] for s in second["skipped"]] == ["already succeeded"] * 3
    assert "waiting for the batch already running in this project (pid " in waited

    rows = project_store(root).runs()
    assert sorted(r["client"] for r in rows) == clients  # one run row per report
    assert {r["status"] for r in rows} == {"ok"}


@pytest.mark.slow
def test_no_wait_refuses_a_second_batch_while_one_runs_and_a_killed_batch_leaves_no_lock(
    tmp_path: Path,
) -> None:
    root = make_project(tmp_path / "p", ["acme", "slow"])
    first = running_batch(root, "run", "--all", "--jobs", "2")
    try:
        done = run_csnb("run", "--all", "--no-wait", cwd=root)
        assert done.returncode == 2
        assert done.stderr.startswith(f"error: another batch is running in this project (pid {first.pid} on ")
        assert "run again without --no-wait to wait for it" in done.stderr
    finally:
        first.kill()  # kill -9: its lock goes with it
        first.wait()
    wait_until_no_processes(root)
    done = run_csnb("run", "--all", "--no-wait", "--clients", "acme", cwd=root)
    assert done.returncode == 0, done.stderr  # nobody holds the lock any more (acme is already done)
