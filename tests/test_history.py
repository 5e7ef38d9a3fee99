"""``csnb history``: past runs as a table for people and as JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import project_store, write_project
from typer.testing import CliRunner

from csnb.cli import app


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with three recorded runs of two clients."""
    write_project(tmp_path, {})
    monkeypatch.chdir(tmp_path)
    store = project_store(tmp_path)
    for key, client, status, error in [
        ("1", "acme", "ok", None),
        ("2", "zeta", "failed", "client zeta: cell 4 raised KeyError: 'routing'\nTraceback ..."),
        ("3", "acme", "ok", None),
    ]:
        run_id = store.start_run(
            key, client=client, ritual="weekly-update", audience="operator", as_of="2026-10-12"
        )
        store.finish_run(
            run_id, status, error=error, outputs={"html": f"reports/{client}/2026-10-12/operator.html"}
        )
    store.dispose()
    return tmp_path


def test_history_table_lists_runs_newest_first_with_the_error_line(project: Path) -> None:
    done = CliRunner().invoke(app, ["history"])
    assert done.exit_code == 0, done.output
    lines = [line for line in done.output.splitlines() if "2026-10-12" in line]
    assert [("acme" in line, "zeta" in line) for line in lines] == [
        (True, False),
        (False, True),
        (True, False),
    ]
    assert "cell 4 raised KeyError" in done.output and "Traceback" not in done.output


def test_history_of_one_client_as_json(project: Path) -> None:
    done = CliRunner().invoke(app, ["history", "zeta", "--json"])
    rows = json.loads(done.stdout)
    assert [(r["client"], r["status"], r["ritual"]) for r in rows] == [("zeta", "failed", "weekly-update")]
    assert rows[0]["outputs"] == {"html": "reports/zeta/2026-10-12/operator.html"}
    assert rows[0]["finished"] >= rows[0]["started"]


def test_history_of_a_new_project_is_empty_and_creates_no_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(tmp_path, {})
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(app, ["history", "--json"])
    assert json.loads(done.stdout) == []
    assert not (tmp_path / ".csnb").exists()
