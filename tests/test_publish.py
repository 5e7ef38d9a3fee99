"""``--out URL``: reports are written to the project as usual and copied to any fsspec location."""

from __future__ import annotations

from pathlib import Path

import fsspec
import pytest
from batchkit import make_project

from csnb.errors import ConfigError
from csnb.project.folder import Project
from csnb.run.batch import BatchOptions, run_batch
from csnb.run.job import Result
from csnb.run.publish import Publisher, publisher


def _report(reports: Path, client: str = "acme", day: str = "2026-10-15") -> Result:
    """A finished report's files in ``reports`` (HTML, executed notebook, PDF edition) and its result."""
    folder = reports / client / day
    folder.mkdir(parents=True)
    (folder / "operator.html").write_text("<html>acme report</html>")
    (folder / "operator.ipynb").write_text('{"cells": []}')
    (folder / "executive.pdf").write_bytes(b"%PDF-1.7")
    return Result(client, "operator", day, "ok", 1.0, html=str(folder / "operator.html"))


def test_a_report_is_copied_under_the_same_layout_without_its_notebook(tmp_path: Path) -> None:
    result = _report(tmp_path / "reports")
    out = tmp_path / "bucket" / "reports"

    copied = Publisher(f"file://{out}", tmp_path / "reports").result(result)

    assert copied == result
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "acme/2026-10-15/executive.pdf",
        "acme/2026-10-15/operator.html",
    ]
    assert (out / "acme/2026-10-15/operator.html").read_text() == "<html>acme report</html>"


def test_a_failed_report_is_not_copied(tmp_path: Path) -> None:
    result = _report(tmp_path / "reports")
    failed = Result("acme", "operator", "2026-10-15", "failed", 1.0, error="client acme: boom")

    Publisher("memory://unsent", tmp_path / "reports").result(failed)

    assert not fsspec.filesystem("memory").exists("/unsent/acme") and result.status == "ok"


def test_a_copy_that_fails_fails_the_report_and_says_where(tmp_path: Path) -> None:
    result = _report(tmp_path / "reports")
    (tmp_path / "taken").write_text("a file where the folder should be")

    copied = Publisher(f"file://{tmp_path / 'taken'}", tmp_path / "reports").result(result)

    assert copied.status == "failed"
    assert copied.error.startswith(f"client acme: the report was written but not copied to file://{tmp_path}")


def test_an_unknown_protocol_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--out nosuchfs://bucket/x"):
        publisher("nosuchfs://user:secret@bucket/x", tmp_path)
    assert publisher(None, tmp_path) is None


@pytest.mark.slow
def test_a_batch_copies_its_reports_and_portfolio_page_to_the_url(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ["alpha", "failing"])

    summary = run_batch(BatchOptions(all=True, out_url="memory://portfolio/reports", jobs=1), Project(root))

    memory = fsspec.filesystem("memory")
    local = root / "reports" / "alpha" / "2026-10-15" / "operator.html"
    assert {r.client: r.status for r in summary.results} == {"alpha": "ok", "failing": "failed"}
    assert memory.cat("/portfolio/reports/alpha/2026-10-15/operator.html") == local.read_bytes()
    assert memory.cat("/portfolio/reports/index.html") == (root / "reports" / "index.html").read_bytes()
    assert not memory.exists("/portfolio/reports/alpha/2026-10-15/operator.ipynb")
    assert not memory.exists("/portfolio/reports/failing")
    assert summary.index_error is None


@pytest.mark.slow
def test_a_one_client_run_copies_its_report_and_the_portfolio_page_to_the_url(tmp_path: Path) -> None:
    from commands import run_csnb

    root = make_project(tmp_path / "p", ["alpha", "beta"])
    out = tmp_path / "bucket" / "reports"

    done = run_csnb("run", "alpha", "--out", f"file://{out}", cwd=root)

    assert done.returncode == 0, done.stderr
    assert (out / "alpha" / "2026-10-15" / "operator.html").read_bytes() == (
        root / "reports" / "alpha" / "2026-10-15" / "operator.html"
    ).read_bytes()
    assert (out / "index.html").read_bytes() == (root / "reports" / "index.html").read_bytes()
    assert not list(out.rglob("*.ipynb"))


@pytest.mark.slow
def test_a_report_whose_copy_failed_is_failed_in_the_store_and_made_again_next_time(tmp_path: Path) -> None:
    from csnb.store.runs import Store

    root = make_project(tmp_path / "p", ["alpha"])
    (tmp_path / "taken").write_text("a file where the folder should be")

    first = run_batch(BatchOptions(all=True, out_url=f"file://{tmp_path / 'taken'}", jobs=1), Project(root))

    assert [r.status for r in first.results] == ["failed"]
    store = Store(Project(root).config.store_url)
    [run] = store.runs("alpha")
    store.dispose()
    assert run["status"] == "failed" and "written but not copied to file://" in run["error"]
    again = run_batch(BatchOptions(all=True, out_url=f"file://{tmp_path / 'bucket'}", jobs=1), Project(root))
    assert [r.status for r in again.results] == ["ok"] and not again.skipped
    assert (tmp_path / "bucket" / "alpha" / "2026-10-15" / "operator.html").is_file()
