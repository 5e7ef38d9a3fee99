"""One identity per client: the plan's file name is its client id, and commands take ids, never paths.

The project holds two small plans, alpha and bravo (``parameters/<client>.yaml``); a third folder,
``other``, lies beside the project to show that nothing is read from or written to it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import write_project
from commands import run_csnb
from typer.testing import CliRunner

from csnb.cli import app
from csnb.errors import InputError, PlanError
from csnb.project.folder import Project, client_id


def plan_text(name: str, client_line: str = "") -> str:
    """A valid plan; ``client_line`` is put into the client section (say ``id: bravo``)."""
    return (
        f"client:\n  name: {name}\n{client_line}"
        "people:\n  - {id: dana, name: Dana Ortiz, side: provider, role: CSM}\n"
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_project(
        tmp_path / "project", {"alpha": plan_text("Alpha Freight"), "bravo": plan_text("Bravo Orchards")}
    )
    (tmp_path / "other" / "parameters").mkdir(parents=True)
    (tmp_path / "other" / "parameters" / "x.yaml").write_text(plan_text("Someone Else"), encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def validate(*paths: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["validate", *paths])
    return result.exit_code, result.output.splitlines()


def test_a_plan_without_client_id_takes_its_file_name(project: Path) -> None:
    assert Project().plan("alpha").id == "alpha"
    assert validate() == (
        0,
        [
            "ok parameters/alpha.yaml: alpha — 0 metrics, 0 milestones, 0 risks",
            "ok parameters/bravo.yaml: bravo — 0 metrics, 0 milestones, 0 risks",
            "2 valid, 0 invalid",
        ],
    )


def test_a_client_id_equal_to_the_file_name_is_fine(project: Path) -> None:
    (project / "parameters" / "alpha.yaml").write_text(plan_text("Alpha", "  id: alpha\n"))
    assert validate()[0] == 0


def test_a_client_id_that_differs_from_the_file_name_is_refused(project: Path) -> None:
    (project / "parameters" / "alpha.yaml").write_text(plan_text("Alpha", "  id: zulu\n"))
    code, lines = validate("parameters/alpha.yaml")
    assert code == 2
    assert lines[0] == (
        "parameters/alpha.yaml:3:3: client.id: client id 'zulu' differs from the file name 'alpha.yaml': "
        "a plan's file name is its client id (name the file zulu.yaml, or drop client.id)"
    )
    with pytest.raises(PlanError):
        Project().plan("alpha")


def test_two_plans_claiming_one_id_are_both_refused_each_naming_the_other(project: Path) -> None:
    # the attack of the issue: alpha.yaml says it is bravo, so `run bravo; send alpha` mixed them up
    (project / "parameters" / "alpha.yaml").write_text(plan_text("Alpha", "  id: bravo\n"))
    code, lines = validate()
    assert code == 2
    assert (
        "parameters/alpha.yaml:3:3: client.id: client id 'bravo' is also claimed by parameters/bravo.yaml: "
        "each client has one plan (its file name is the client id)"
    ) in lines
    assert (
        "parameters/bravo.yaml:1:1: client.id: client id 'bravo' is also claimed by parameters/alpha.yaml: "
        "each client has one plan (its file name is the client id)"
    ) in lines
    assert lines[-1] == "0 valid, 2 invalid"


def test_a_yaml_and_a_yml_plan_of_one_client_are_refused(project: Path) -> None:
    (project / "parameters" / "alpha.yml").write_text(plan_text("Alpha again"))
    code, lines = validate()
    assert code == 2
    assert (
        "parameters/alpha.yml:1:1: client.id: client id 'alpha' is also claimed by parameters/alpha.yaml: "
        "each client has one plan (its file name is the client id)"
    ) in lines
    with pytest.raises(PlanError, match="client alpha also has the plan parameters/alpha.yaml"):
        Project().plan("alpha")


def test_a_draft_outside_the_project_may_share_the_id_of_the_plan_it_replaces(
    project: Path, tmp_path: Path
) -> None:
    draft = tmp_path / "drafts" / "alpha-v2.yaml"
    draft.parent.mkdir()
    draft.write_text(plan_text("Alpha", "  id: alpha\n"))
    code, lines = validate(str(draft))
    assert code == 0, lines


def test_a_client_is_named_by_its_id_never_by_a_path() -> None:
    assert client_id("acme-eu_2") == "acme-eu_2"
    for value in ("../../other/parameters/x", "/etc/passwd", "acme/..", "Acme", "acme.yaml", "", "a b"):
        with pytest.raises(InputError, match="is not a client id"):
            client_id(value)
    with pytest.raises(InputError, match=r"write 'acme', without \.yaml"):
        client_id("parameters/acme.yaml")


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("run", "../other/parameters/x"),
        ("run", "../../other/parameters/x"),
        ("run", "--all", "--clients", "alpha,../other/parameters/x"),
        ("send", "../other/parameters/x", "--dry-run"),
        ("calendar", "../other/parameters/x"),
        ("status", "../other/parameters/x"),
    ],
)
def test_a_path_given_as_client_exits_2_and_touches_nothing_outside(
    project: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = run_csnb(*args, cwd=project, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "/other/parameters/x' is not a client id" in done.stderr
    assert "never by a path" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in (tmp_path / "other").rglob("*")) == ["parameters", "x.yaml"]
    assert not (project / "reports").exists()
