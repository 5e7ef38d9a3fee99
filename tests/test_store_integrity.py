"""A store is never silently replaced: an empty, truncated or foreign store file, or a bad store URL, is an
error naming it (exit 2), and a new store is never an empty file."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from batchkit import make_project
from clikit import csnb_here
from commands import CSNB, run_csnb

from csnb.errors import StoreError
from csnb.store.lessons import KnowledgeBase
from csnb.store.runs import Store

HINT = "Restore it from a backup; or, to start a new, empty history"


def store_with_runs(path: Path, runs: int = 200) -> Path:
    """A store holding ``runs`` finished runs and a snapshot."""
    store = Store(f"sqlite:///{path}")
    for n in range(runs):
        run_id = store.start_run(
            f"acme|||2026-10-{n % 28 + 1:02d}|{n}",
            client="acme",
            ritual="",
            audience="operator",
            as_of="2026-10-15",
        )
        store.finish_run(run_id, "ok", error="x" * 200)
    store.record_snapshot("acme", "operator", dt.date(2026, 10, 15), {"health": {"score": 80}})
    store.dispose()
    return path


def damaged(kind: str, path: Path) -> bytes:
    """Make the store at ``path`` empty, truncated or foreign; its bytes after (nothing may rewrite them)."""
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        os.truncate(path, path.stat().st_size // 2)
    else:
        path.write_bytes(b"PK\x03\x04 this is a zip file, not a store " * 100)
    return path.read_bytes()


WHAT = {
    "empty": "is empty (0 bytes): the run history it held is gone",
    "truncated": "is damaged or not a database (database disk image is malformed)",
    "foreign": "is not a SQLite database",
}


@pytest.mark.parametrize("kind", list(WHAT))
def test_a_damaged_store_file_is_refused_with_its_path_and_a_way_out(tmp_path: Path, kind: str) -> None:
    path = store_with_runs(tmp_path / "store.db")
    before = damaged(kind, path)
    for opens in (Store, KnowledgeBase):
        with pytest.raises(StoreError) as refused:
            opens(f"sqlite:///{path}")
        assert str(refused.value).startswith(f"the store {path} {WHAT[kind]}. {HINT}")
        assert str(refused.value).endswith(f"move it aside: mv {path} {path}.broken")
        assert refused.value.exit_code == 2
    assert path.read_bytes() == before  # never recreated, never written


@pytest.mark.parametrize("kind", list(WHAT))
def test_batches_and_history_stop_at_a_damaged_store_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    root = make_project(tmp_path / "p", ["acme"])
    monkeypatch.chdir(root)
    path = root / ".csnb" / "store.db"
    path.parent.mkdir()
    store_with_runs(path)
    before = damaged(kind, path)
    for args in (
        ("run", "--all"),
        ("run", "--all", "--dry-run"),
        ("run", "--due"),
        ("run", "acme"),
        ("history",),
    ):
        code, stderr = csnb_here(*args)
        assert code == 2, (args, stderr)
        assert stderr.startswith(f"error: the store {path} {WHAT[kind]}. {HINT}"), stderr
    assert path.read_bytes() == before
    assert not (root / "reports").exists()  # nothing ran


def test_a_new_store_is_never_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "store.db"
    Store(f"sqlite:///{path}").dispose()
    assert path.read_bytes().startswith(b"SQLite format 3\x00")
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temporary file left


CREATE = """
import sys
from csnb.store.runs import Store
store = Store(sys.argv[1])
store.start_run(sys.argv[2], client="acme", ritual="", audience="operator", as_of="2026-10-15")
store.dispose()
"""


@pytest.mark.slow
def test_processes_creating_one_new_store_at_once_all_use_the_same_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    procs = [
        subprocess.Popen([sys.executable, "-c", CREATE, url, f"run-{n}"], stderr=subprocess.PIPE, text=True)
        for n in range(6)
    ]
    errors = [proc.communicate(timeout=120)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 6, errors
    store = Store(url)
    assert sorted(r["run_key"] for r in store.runs()) == [f"run-{n}" for n in range(6)]
    store.dispose()


BAD_URLS = {
    "notaurl": "the store URL 'notaurl' is not an SQLAlchemy URL; write one such as sqlite:///.csnb/store.db",
    "foo://host/db": "the store URL foo://host/db names a database or driver csnb cannot use (foo)",
    "mysql+nodriver://host/db": "names a database or driver csnb cannot use (mysql+nodriver)",
    "postgresql+psycopg://ana:s3cr3t-pw@127.0.0.1:1/db": (
        "cannot connect to the store at postgresql+psycopg://ana:***@127.0.0.1:1/db: connection failed"
    ),
    "sqlite:////proc/no/such/folder/store.db": "cannot create the store /proc/no/such/folder/store.db",
}


@pytest.mark.parametrize("url", list(BAD_URLS))
def test_a_bad_store_url_is_a_store_error_that_never_shows_the_password(url: str) -> None:
    with pytest.raises(StoreError) as refused:
        Store(url)
    assert BAD_URLS[url] in str(refused.value)
    assert "s3cr3t" not in str(refused.value)


def test_a_bad_store_option_is_exit_2_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(make_project(tmp_path / "p", ["acme"]))
    for url in ("notaurl", "postgresql+psycopg://ana:s3cr3t-pw@127.0.0.1:1/db"):
        for args in (
            ("run", "--all", "--store", url),
            ("run", "acme", "--store", url),
            ("history", "--store", url),
        ):
            code, stderr = csnb_here(*args)
            assert code == 2, (args, stderr)
            assert stderr.startswith("error: ") and BAD_URLS[url] in stderr
            assert "s3cr3t" not in stderr
    assert not Path("reports").exists()


@pytest.mark.slow
def test_the_console_script_says_a_store_is_empty_without_a_traceback(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ["acme"])
    path = root / ".csnb" / "store.db"
    path.parent.mkdir()
    path.write_bytes(b"")
    done = run_csnb("run", "--all", cwd=root)
    assert done.returncode == 2
    assert (
        done.stderr.startswith(f"error: the store {path} is empty (0 bytes)")
        and "Traceback" not in done.stderr
    )
    assert path.stat().st_size == 0


@pytest.mark.slow
def test_a_store_on_a_read_only_file_system_is_a_store_error(tmp_path: Path) -> None:
    if (
        not shutil.which("unshare")
        or subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode
    ):
        pytest.skip("no user and mount namespaces here (unshare -rm)")
    store_with_runs(tmp_path / "store.db")
    script = f'mount --bind "{tmp_path}" "{tmp_path}" && mount -o remount,ro,bind "{tmp_path}" && exec "$@"'
    done = subprocess.run(
        [
            "unshare",
            "-rm",
            "sh",
            "-c",
            script,
            "sh",
            *CSNB,
            "history",
            "--store",
            f"sqlite:///{tmp_path}/store.db",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert (
        done.stderr.startswith(f"error: cannot write the store {tmp_path}/store.db: ")
        and "Traceback" not in done.stderr
    )


LIST = """
import sys
from csnb.store.runs import Store
store = Store(sys.argv[1])
print(sorted((r["run_key"], r["status"]) for r in store.runs()))
store.dispose()
"""


def test_a_store_opened_twice_in_one_process_keeps_its_lock_and_its_writes(tmp_path: Path) -> None:
    """A warm report records its run while its notebook reads the same store, in one process; another
    process closing the store meanwhile must not take it for unused and delete the write-ahead log."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    runner = Store(url)
    first = runner.start_run("run-1", client="acme", ritual="", audience="operator", as_of="2026-10-15")
    reader = Store(url)  # the notebook's own store, opened while the runner's connection is open
    assert reader.previous_summary("acme", "operator", dt.date(2026, 10, 16)) is None
    other = subprocess.run([sys.executable, "-c", CREATE, url, "run-2"], capture_output=True, text=True)
    assert other.returncode == 0, other.stderr
    runner.finish_run(first, "ok")  # with the lock lost, this went into a log the other process deleted
    seen = subprocess.run([sys.executable, "-c", LIST, url], capture_output=True, text=True)
    assert seen.stdout.strip() == "[('run-1', 'ok'), ('run-2', 'running')]", seen.stderr
    runner.dispose()
    reader.dispose()


@pytest.mark.slow
def test_a_store_that_refuses_the_finished_run_fails_the_report_and_keeps_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csnb.project.folder import Project
    from csnb.run.batch import make_job
    from csnb.run.forkserver import run_forked

    root = make_project(tmp_path / "p", ["alpha"])
    monkeypatch.chdir(root)

    def refuse(self: Store, *args: object, **kwargs: object) -> None:
        raise StoreError("the disk is full")

    monkeypatch.setattr(Store, "finish_run", refuse)  # the forked report process inherits it
    result = run_forked(make_job(Project(root), "alpha"))

    assert result.status == "failed"
    assert result.error == "client alpha: the run could not be recorded in the store: the disk is full"
    assert Path(result.html).read_text(encoding="utf-8").rstrip().endswith("</html>")
