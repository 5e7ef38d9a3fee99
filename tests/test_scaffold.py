"""``csnb init``: a new project that validates and runs offline, from a checkout and from a wheel."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from commands import run_csnb

import csnb
from csnb.errors import ConfigError
from csnb.plan import load_plan
from csnb.project.scaffold import bundled_notebooks, example_csv, init_project


@pytest.mark.slow
def test_init_writes_a_project_that_validates(tmp_path):
    folder = tmp_path / "plans"
    written = init_project(folder)
    relative = {p.relative_to(folder).as_posix() for p in written}
    assert {"csnb.toml", ".gitignore", "examples/example.yaml", "data/example.csv"} <= relative
    assert (folder / "notebooks").is_dir()
    assert {"reports/", ".csnb/"} <= set((folder / ".gitignore").read_text().splitlines())
    # the example is no client until it is copied: parameters/ is there, and empty
    assert (folder / "parameters").is_dir() and not any((folder / "parameters").iterdir())
    no_csnb_variables = {name: None for name in os.environ if name.startswith("CSNB_")}
    result = run_csnb("validate", "examples/example.yaml", cwd=folder, env=no_csnb_variables)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 valid, 0 invalid" in result.stdout and "warning" not in result.stdout


@pytest.mark.slow
def test_init_ends_with_the_next_commands_and_they_work(tmp_path):
    result = run_csnb("init", "plans", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    steps = result.stdout.split("next:\n")[1].splitlines()
    commands = [line.split("#")[0].strip() for line in steps]
    assert commands == [
        "cd plans && cp examples/example.yaml parameters/",
        "csnb validate",
        "csnb run example",
    ]
    before = run_csnb("validate", cwd=tmp_path / "plans")  # the example is not a client yet
    assert before.returncode == 2 and "copy examples/example.yaml there" in before.stderr, before.stderr
    shutil.copy(tmp_path / "plans" / "examples" / "example.yaml", tmp_path / "plans" / "parameters")
    checked = run_csnb("validate", cwd=tmp_path / "plans")
    assert checked.returncode == 0 and "1 valid, 0 invalid" in checked.stdout, checked.stdout


def test_the_example_is_in_no_batch_until_it_is_copied(tmp_path):
    from csnb.project.folder import Project

    init_project(tmp_path)
    assert Project(tmp_path).plan_paths() == []  # not in run --all, --due, send or the portfolio page
    shutil.copy(tmp_path / "examples" / "example.yaml", tmp_path / "parameters")
    assert [p.name for p in Project(tmp_path).plan_paths()] == ["example.yaml"]


def test_the_example_reads_the_same_on_any_day(tmp_path):
    from csnb.project.config import load_config

    init_project(tmp_path)
    pinned = load_config(tmp_path).as_of
    assert pinned == dt.date(2026, 2, 25)  # within the example's data, whatever the clock says
    shutil.copy(tmp_path / "examples" / "example.yaml", tmp_path / "parameters")
    plan = load_plan(tmp_path / "parameters" / "example.yaml", env={})
    snap = csnb.evaluate(plan, csnb.pull(plan, env={}), pinned)
    # on the pinned day nothing is missed or late: M3 is under way and both metrics on track
    assert set(snap.metrics["status"]) == {"on_track"}
    assert list(snap.milestones["status"]) == ["done", "done", "on_track"]
    assert snap.health.band == "green"


def test_init_copies_every_bundled_notebook(tmp_path, repo):
    init_project(tmp_path / "p")
    bundled = sorted(p.name for p in bundled_notebooks().glob("*.ipynb"))
    assert sorted(p.name for p in (tmp_path / "p" / "notebooks").glob("*.ipynb")) == bundled
    for name in bundled:
        assert (tmp_path / "p" / "notebooks" / name).read_bytes() == (bundled_notebooks() / name).read_bytes()


def test_bundled_notebooks_in_a_checkout_are_the_repository_notebooks(repo):
    assert bundled_notebooks() == repo / "notebooks"


def test_example_plan_works_offline(tmp_path):
    init_project(tmp_path)
    shutil.copy(tmp_path / "examples" / "example.yaml", tmp_path / "parameters")
    plan = load_plan(tmp_path / "parameters" / "example.yaml", env={})
    observations = csnb.pull(plan, env={})
    assert observations.ok, observations.errors
    snap = csnb.evaluate(plan, observations, dt.date(2026, 2, 10))
    assert set(snap.metrics["status"]) == {"on_track"}
    assert list(snap.milestones["status"]) == ["done", "done", "not_started"]
    check = snap.lead_checks.iloc[0]
    assert check["predicts"] and check["best_shift"] == 1


def test_example_data_is_deterministic():
    text = example_csv()
    assert text == example_csv()
    lines = text.splitlines()
    assert lines[0] == "client,metric,date,value" and len(lines) == 1 + 2 * 16 * 7


def test_init_into_an_empty_existing_folder(tmp_path):
    assert init_project(tmp_path)  # tmp_path exists and is empty


@pytest.mark.slow
@pytest.mark.parametrize("occupant", ["file", "folder"])
def test_init_refuses_a_non_empty_folder(tmp_path, occupant):
    if occupant == "file":
        (tmp_path / "notes.txt").write_text("mine")
    else:
        (tmp_path / "sub").mkdir()
    with pytest.raises(ConfigError, match="not empty"):
        init_project(tmp_path)
    result = run_csnb("init", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "not empty" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == (["notes.txt"] if occupant == "file" else ["sub"])


@pytest.mark.slow
def test_init_refuses_a_file(tmp_path):
    (tmp_path / "x").write_text("")
    result = run_csnb("init", "x", cwd=tmp_path)
    assert result.returncode == 2 and "is a file" in result.stderr


def _build_wheel(repo: Path, out: Path) -> Path:
    pytest.importorskip("hatchling", reason="building the wheel needs hatchling (pip install hatchling)")
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--quiet",
        "-w",
        str(out),
        str(repo),
    ]
    build = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    wheels = list(out.glob("csnb-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


@pytest.mark.slow
def test_wheel_bundles_the_notebooks_and_init_uses_them(tmp_path, repo):
    notebooks = sorted(p.name for p in (repo / "notebooks").glob("*.ipynb"))
    if not notebooks:
        pytest.skip("the repository has no notebooks yet, so there is nothing to bundle")
    # build from a copy: pip and hatchling must not leave anything behind in the repository
    source = tmp_path / "src"
    skip = shutil.ignore_patterns(
        ".venv", ".git", "reports", ".csnb", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist"
    )
    shutil.copytree(repo, source, ignore=skip)
    wheel = _build_wheel(source, tmp_path / "dist")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert {f"csnb/_bundled/notebooks/{n}" for n in notebooks} <= names
        zf.extractall(tmp_path / "site")
    # the unpacked wheel comes first on sys.path, so `csnb` is the wheel's copy, with no source checkout
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    code = "import csnb.project.scaffold as s, sys; print(s.bundled_notebooks()); s.init_project(sys.argv[1])"
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "proj")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == tmp_path / "site" / "csnb" / "_bundled" / "notebooks"
    assert sorted(p.name for p in (tmp_path / "proj" / "notebooks").glob("*.ipynb")) == notebooks


def test_a_misspelt_client_gets_a_suggestion(tmp_path):
    from csnb.errors import PlanError
    from csnb.project.folder import Project

    init_project(tmp_path)
    shutil.copy(tmp_path / "examples" / "example.yaml", tmp_path / "parameters")
    with pytest.raises(PlanError, match=r"no plan for client 'exmaple' \(did you mean 'example'\?\)"):
        Project(tmp_path).plan_path("exmaple")
    with pytest.raises(PlanError, match=r"no plan for client 'acme' \(known: example\)"):
        Project(tmp_path).plan_path("acme")
