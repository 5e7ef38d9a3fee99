"""The command line basics: version, JSON Schema, validating a good plan, and help with examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from builders import write_project
from commands import run_csnb
from ruamel.yaml import YAML
from typer.testing import CliRunner

import csnb
from csnb.cli import app

# The example plan of the design notes, as written there.
DESIGN_EXAMPLE = """\
client: {id: acme, name: Acme Logistics}
people:
  - {id: dana, name: Dana Ortiz, side: provider, role: Customer Success Manager}
  - {id: lee, name: Lee Chen, side: client, role: VP Operations}
goals:
  - id: routing
    statement: Reduce manual call routing time by 40% within 60 days
    metrics: [routing_minutes]
sources:
  warehouse: {kind: sql, url: "${CSNB_WAREHOUSE_URL}"}     # secrets only through env vars
metrics:
  - id: routing_minutes
    name: Manual routing time per day
    kind: lag                 # lag = outcome; lead = forward signal
    leads: []                 # on a lead metric: the lag metrics it should move
    unit: minutes
    direction: down           # down: smaller is better
    source: warehouse
    query: "SELECT day AS date, value FROM metrics WHERE client = :client AND metric = 'routing_minutes'"
    aggregate: mean           # sum | mean | last | min | max | count
    frequency: week           # day | week | month
    baseline: {value: 600, date: 2026-09-01}
    target:   {value: 360, date: 2026-10-31}
    tolerance: 0.10
    owner: lee
milestones:
  - id: M1
    title: Phone numbers provisioned
    stage: onboarding         # discovery | onboarding | adoption | value | renewal | expansion
    owner: dana
    start: 2026-09-01
    due: 2026-09-03
    depends_on: []
    criteria:
      - {metric: numbers_provisioned, op: ">=", value: 100}
      - {check: Admin access granted by client, done: true, done_on: 2026-09-02}
    raci: {responsible: [dana], accountable: [lee], consulted: [], informed: []}
    leap: false               # an optional acceleration milestone
risks:
  - id: R1
    description: Agents not trained in time
    owner: dana
    likelihood: medium
    impact: high
    trigger: {metric: agents_trained, op: "<", value: 50, after: 2026-09-07}
    contingency: Add a second training session
cadence:
  - {ritual: weekly-update, rrule: "FREQ=WEEKLY;BYDAY=MO", audience: operator, channel: email}
  - {ritual: monthly-review, rrule: "FREQ=MONTHLY;BYDAY=1TU", audience: executive}
changes:
  - {id: C1, requested_on: 2026-09-20, by: lee, description: Add Spanish IVR,
     impact: {days: 5, cost: 2000}, status: approved, decided_on: 2026-09-22}
decisions:
  - {on: 2026-09-10, decision: Advance to adoption, rationale: M1 and M2 met}
"""

# The example references two metrics it does not define, and e-mails people who have no address:
# a complete plan adds the metrics, the addresses, the recipients and the client's e-mail domain.
GOOD_PLAN = (
    DESIGN_EXAMPLE.replace(
        "client: {id: acme, name: Acme Logistics}",
        "client: {id: acme, name: Acme Logistics, domains: [acme.example.com]}",
    )
    .replace(
        "role: Customer Success Manager}", "role: Customer Success Manager, email: dana@provider.example.org}"
    )
    .replace("role: VP Operations}", "role: VP Operations, email: lee.chen@acme.example.com}")
    .replace("audience: operator, channel: email}", "audience: operator, channel: email, recipients: [lee]}")
    .replace("audience: executive}", "audience: executive, recipients: [lee]}")
).replace(
    "milestones:\n",
    """\
  - {id: numbers_provisioned, name: Numbers provisioned, kind: lag, source: warehouse, query: SELECT 1,
     baseline: {value: 0, date: 2026-09-01}, target: {value: 100, date: 2026-09-03}}
  - {id: agents_trained, name: Agents trained, kind: lead, leads: [routing_minutes], source: warehouse,
     query: SELECT 2, baseline: {value: 0, date: 2026-09-01}, target: {value: 120, date: 2026-09-30}}
milestones:
""",
    1,
)
WAREHOUSE = "postgresql://reporter@warehouse.example.com/analytics"


def as_json_data(yaml_text: str) -> object:
    """A YAML plan as the JSON an editor's schema validator sees (dates become strings)."""
    return json.loads(json.dumps(YAML(typ="safe").load(yaml_text), default=str))


@pytest.mark.slow
def test_version() -> None:
    done = run_csnb("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"csnb {csnb.__version__}"


@pytest.fixture(scope="module")
def schema() -> dict:
    """The JSON Schema printed by ``csnb schema``."""
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    return json.loads(result.stdout)


def test_schema_is_json_schema_of_a_plan(schema: dict) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert "milestones" in schema["properties"]
    assert {"client", "people"} <= set(schema["required"])


def test_schema_accepts_the_design_example_and_rejects_a_typo(schema: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert list(validator.iter_errors(as_json_data(DESIGN_EXAMPLE))) == []
    assert list(validator.iter_errors(as_json_data(GOOD_PLAN))) == []
    typo = as_json_data(DESIGN_EXAMPLE.replace("    unit: minutes\n", "    units: minutes\n"))
    assert ["units" in e.message for e in validator.iter_errors(typo)] == [True]


def test_validate_a_good_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "acme.yaml").write_text(GOOD_PLAN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CSNB_WAREHOUSE_URL", WAREHOUSE)
    result = CliRunner().invoke(app, ["validate", "acme.yaml"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ok acme.yaml: acme — 3 metrics, 1 milestones, 1 risks",
        "1 valid, 0 invalid",
    ]


def test_validate_a_folder_of_plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {"acme": GOOD_PLAN}, files={"parameters/notes.txt": "not a plan"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CSNB_WAREHOUSE_URL", WAREHOUSE)
    result = CliRunner().invoke(app, ["validate", "parameters"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "1 valid, 0 invalid"


def command_names() -> list[str]:
    """Every command the ``csnb`` app has today."""
    return sorted(typer.main.get_command(app).commands)


def test_main_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in command_names():
        assert name in result.output


@pytest.mark.parametrize("command", command_names())
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert f"csnb {command}" in result.output


@pytest.mark.parametrize("command", command_names())
def test_readme_documents_every_command_with_an_example(command: str) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    commands = readme.split("## Commands", 1)[1]
    assert f"| `csnb {command}" in commands, f"README's command table lacks `csnb {command}`"
    assert f"\ncsnb {command} " in commands, f"README's examples lack a `csnb {command}` line"
