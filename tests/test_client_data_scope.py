"""Data scoped to the client: a shared database is read with ``:client`` bound, files stay in the project,
and no message quotes what a file holds.

The SQL tests share one SQLite warehouse, ``data/warehouse.db``, between alpha and bravo: table
``metrics`` holds both clients' rows, bravo's values are 9999 (a canary), and table ``alpha_only`` holds
alpha's rows alone.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from builders import write_project
from typer.testing import CliRunner

from csnb.cli import app
from csnb.project.folder import Project
from csnb.sources import pull

CANARY = "CANARY-7f3e-secret"
SQL_SOURCE = {"kind": "sql", "url": "sqlite:///../data/warehouse.db"}
BY_CLIENT = "SELECT date, value FROM metrics WHERE client = :client"


def plan(name: str, sources: dict, query: str | None = None, source: str = "warehouse") -> dict:
    """A plan of client ``name`` with one daily metric, ``calls``, read from ``source``."""
    metric = {
        "id": "calls",
        "name": "Calls",
        "kind": "lag",
        "source": source,
        "frequency": "day",
        "baseline": {"value": 0, "date": "2026-09-01"},
        "target": {"value": 10, "date": "2026-09-30"},
    }
    return {
        "client": {"name": name.title()},
        "people": [{"id": "dana", "name": "Dana Ortiz", "side": "provider", "role": "CSM"}],
        "sources": sources,
        "metrics": [metric | ({"query": query} if query else {})],
    }


def warehouse(root: Path) -> None:
    (root / "data").mkdir(exist_ok=True)
    with sqlite3.connect(root / "data" / "warehouse.db") as db:
        db.execute("CREATE TABLE metrics (client TEXT, date TEXT, value REAL)")
        db.executemany(
            "INSERT INTO metrics VALUES (?, ?, ?)",
            [("alpha", "2026-09-01", 1), ("alpha", "2026-09-02", 2), ("bravo", "2026-09-01", 9999)],
        )
        db.execute("CREATE TABLE alpha_only AS SELECT date, value FROM metrics WHERE client = 'alpha'")


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a project whose alpha plan reads the warehouse with ``query`` (bravo binds :client)."""
    monkeypatch.chdir(tmp_path)

    def make(query: str, dedicated: bool = False, with_bravo: bool = True) -> Path:
        source = SQL_SOURCE | ({"dedicated": True} if dedicated else {})
        plans = {"alpha": plan("alpha", {"warehouse": source}, query)}
        if with_bravo:
            plans["bravo"] = plan("bravo", {"warehouse": SQL_SOURCE}, BY_CLIENT)
        write_project(tmp_path, plans)
        warehouse(tmp_path)
        return tmp_path

    return make


def validate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["validate", *args])
    return result.exit_code, result.output


def alpha_values(root: Path) -> tuple[list[float], list[str]]:
    obs = pull(Project(root).plan("alpha"))
    return obs.frame["value"].tolist(), [str(e) for e in obs.errors]


def test_a_query_without_client_on_a_shared_database_is_refused(shared) -> None:
    root = shared("SELECT date, value FROM metrics")
    code, output = validate()
    assert code == 2
    assert (
        "parameters/alpha.yaml:24:3: metrics[0].query: source 'warehouse' reads the same database as "
        "parameters/bravo.yaml: bind :client in this query"
    ) in output
    # and a run that skipped validation pulls nothing from it: bravo's rows never reach alpha's report
    values, errors = alpha_values(root)
    assert values == [] and 9999.0 not in values
    assert errors == [
        "client alpha, metric calls, source warehouse: source 'warehouse' reads the same database as "
        "bravo.yaml: bind :client in this query (… WHERE client = :client) so it returns only this "
        "client's rows, or mark the source `dedicated: true` if what it reads holds only this client's data"
    ]


def test_a_query_that_binds_client_reads_only_this_clients_rows(shared) -> None:
    root = shared(BY_CLIENT)
    assert validate()[0] == 0
    assert alpha_values(root) == ([1.0, 2.0], [])


def test_a_dedicated_source_need_not_bind_client(shared) -> None:
    root = shared("SELECT date, value FROM alpha_only", dedicated=True)
    assert validate()[0] == 0
    assert alpha_values(root) == ([1.0, 2.0], [])


def test_a_database_only_one_plan_reads_need_not_bind_client(shared) -> None:
    root = shared("SELECT date, value FROM alpha_only", with_bravo=False)
    assert validate()[0] == 0
    assert alpha_values(root) == ([1.0, 2.0], [])


def test_one_database_behind_two_variables_is_shared_too(shared, monkeypatch: pytest.MonkeyPatch) -> None:
    root = shared("SELECT date, value FROM metrics")
    monkeypatch.setenv("ALPHA_DB", "sqlite:///../data/warehouse.db")
    text = (root / "parameters" / "alpha.yaml").read_text()
    (root / "parameters" / "alpha.yaml").write_text(
        text.replace("sqlite:///../data/warehouse.db", "${ALPHA_DB}")
    )
    code, output = validate()
    assert code == 2 and "reads the same database as parameters/bravo.yaml" in output


# --- file sources --------------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a project at tmp_path/project whose alpha plan reads the csv file at ``path``."""
    root = tmp_path / "project"
    monkeypatch.chdir(tmp_path)

    def make(path: str, content: str | None = None, at: str = "data/alpha.csv") -> Path:
        write_project(
            root, {"alpha": plan("alpha", {"files": {"kind": "csv", "path": path}}, source="files")}
        )
        if content is not None:
            (root / at).parent.mkdir(parents=True, exist_ok=True)
            (root / at).write_text(content, encoding="utf-8")
        return root

    return make


def test_a_relative_path_inside_the_project_is_read(files) -> None:
    root = files("../data/alpha.csv", "metric,date,value\ncalls,2026-09-01,3\n")
    assert alpha_values(root) == ([3.0], [])


@pytest.mark.parametrize("path", ["/etc/shadow", "/proc/self/environ", "~/.ssh/id_rsa"])
def test_an_absolute_path_is_a_plan_error(files, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    root = files(path)
    monkeypatch.chdir(root)
    code, output = validate()
    assert code == 2
    assert "parameters/alpha.yaml:11:5: sources.files.path: an absolute path is refused" in output


def test_a_path_that_climbs_out_of_the_project_is_refused(files, tmp_path: Path) -> None:
    (tmp_path / "outside.csv").write_text(f"metric,date,value\ncalls,2026-09-01,{CANARY}\n")
    root = files("../../outside.csv")
    values, [error] = alpha_values(root)
    assert values == [] and CANARY not in error
    assert "refused: ../../outside.csv is outside the project folder" in error


@pytest.mark.parametrize("target", ["/proc/self/environ", "outside.csv"])
def test_a_link_out_of_the_project_is_refused(files, tmp_path: Path, monkeypatch, target: str) -> None:
    monkeypatch.setenv("CSNB_TEST_CANARY", CANARY)
    (tmp_path / "outside.csv").write_text(f"{CANARY}\n")
    root = files("../data/link.csv")
    (root / "data").mkdir()
    (root / "data" / "link.csv").symlink_to(tmp_path / target if target == "outside.csv" else target)
    values, [error] = alpha_values(root)
    assert values == [] and "refused: ../data/link.csv is outside the project folder" in error
    assert CANARY not in error


def test_a_path_from_a_variable_must_land_inside_the_project(files, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    (tmp_path / "outside.csv").write_text("metric,date,value\ncalls,2026-09-01,1\n")
    values, [error] = alpha_values(files("${DATA_DIR}/outside.csv"))
    assert values == [] and "is outside the project folder" in error


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (f"SECRET={CANARY}\n", "the file ../.env has no column 'date' for date (it has: 1 column)"),
        (f"metric,date,value\ncalls,2026-09-01,{CANARY}\n", "non-numeric values in 1 row (data row 1)"),
        (f"metric,date,value\ncalls,{CANARY},1\n", "unparseable or missing dates in 1 row (data row 1)"),
        (f'metric,date,value\ncalls,2026-09-01,1\n"{CANARY}\n', "malformed CSV"),
    ],
)
def test_no_message_quotes_the_file(files, content: str, says: str) -> None:
    # a file inside the project can still hold a secret (an .env file named as a data source)
    root = files("../.env", content, at=".env")
    values, [error] = alpha_values(root)
    assert says in error and CANARY not in error
