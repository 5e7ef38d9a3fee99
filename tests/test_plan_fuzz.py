"""Fuzzing the plan loader: anything an editor makes gets a located CsnbError, never a crash."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from csnb.errors import CsnbError, Issue
from csnb.plan import Plan, load_plan, validate_document
from csnb.plan.located import parse_located

PLAN = """\
client: {id: acme, name: Acme Logistics, timezone: America/Chicago}
people:
  - {id: dana, name: Dana Ortiz, side: provider, role: Customer Success Manager, email: dana@example.com}
  - {id: lee, name: Lee Chen, side: client, role: VP Operations}
goals:
  - {id: routing, statement: Reduce manual call routing time by 40%, metrics: [routing_minutes]}
sources:
  warehouse: {kind: sql, url: "${CSNB_WAREHOUSE_URL}"}
  exports: {kind: csv, path: data/acme.csv}
metrics:
  - id: routing_minutes
    name: Manual routing time per day
    kind: lag
    direction: down
    source: warehouse
    query: "SELECT day AS date, value FROM metrics WHERE metric = 'routing_minutes'"
    baseline: {value: 600, date: 2026-09-01}
    target: {value: 360, date: 2026-10-31}
    owner: lee
  - id: agents_trained
    name: Agents trained
    kind: lead
    leads: [routing_minutes]
    source: exports
    baseline: {value: 0, date: 2026-09-01}
    target: {value: 120, date: 2026-09-30}
milestones:
  - id: M1
    title: Phone numbers provisioned
    stage: onboarding
    owner: dana
    start: 2026-09-01
    due: 2026-09-03
    criteria:
      - {metric: agents_trained, op: ">=", value: 20}
      - {check: Admin access granted, done: true, done_on: 2026-09-02}
    raci: {responsible: [dana], accountable: [lee]}
  - {id: M2, title: Agents trained, stage: adoption, owner: dana, start: 2026-09-03, due: 2026-09-30,
     depends_on: [M1], criteria: [{metric: agents_trained, op: ">=", value: 100}]}
risks:
  - {id: R1, description: Agents not trained in time, owner: dana, likelihood: medium, impact: high,
     trigger: {metric: agents_trained, op: "<", value: 50, after: 2026-09-07}, contingency: Second session}
cadence:
  - {ritual: weekly-update, rrule: "FREQ=WEEKLY;BYDAY=MO", audience: operator, recipients: [lee, client]}
escalation:
  - {level: 1, contacts: [dana], when: a milestone is late}
changes:
  - {id: C1, requested_on: 2026-09-20, by: lee, description: Add Spanish IVR, status: approved,
     decided_on: 2026-09-22, affects: [M2]}
decisions:
  - {on: 2026-09-10, decision: Advance to adoption, rationale: M1 met, by: [dana]}
settings: {trend_periods: 4}
"""
ENV = {"CSNB_WAREHOUSE_URL": "postgresql://reporter@warehouse.example.com/analytics"}
DATA = YAML(typ="safe").load(PLAN)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(),
    st.text(max_size=30),
    st.dates().map(str),
    st.sampled_from(["", "${CSNB_UNSET}", "M1", "dana", "-1", "1e400", "~"]),
)
values = st.one_of(
    scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=8), scalars, max_size=3)
)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside ``node``."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        out.append(prefix + (key,))
        out += paths(value, prefix + (key,))
    return out


def parent(data: Any, path: tuple) -> Any:
    """The container holding the last part of ``path``."""
    for part in path[:-1]:
        data = data[part]
    return data


def mutate(data: Any, kind: str, draw: Any) -> Any:
    """``data`` changed once in the way ``kind`` names."""
    data = copy.deepcopy(data)
    path = draw(st.sampled_from(paths(data)))
    holder, key = parent(data, path), path[-1]
    if kind == "delete":
        del holder[key]
    elif kind == "replace":
        holder[key] = draw(values.filter(lambda v: type(v) is not type(holder[key])))
    elif kind == "duplicate" and isinstance(holder, list):
        holder.insert(key, copy.deepcopy(holder[key]))
    elif kind == "rename" and isinstance(holder, dict):
        holder[draw(st.text(min_size=1, max_size=12))] = holder.pop(key)
    return data


def check_outcome(plan: Plan | None, issues: list[Issue]) -> None:
    """A result is either a plan without issues or located issues without a plan."""
    assert (plan is None) == bool(issues)
    assert plan is None or isinstance(plan, Plan)
    for issue in issues:
        assert isinstance(issue, Issue) and issue.file == "plan.yaml" and issue.line >= 0 and issue.message


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file rewritten by every example (hypothesis runs many examples per test call)."""
    return tmp_path_factory.mktemp("fuzz") / "plan.yaml"


def load_or_error(path: Path, content: bytes) -> None:
    """Load ``content`` as a plan; only a plan or a ``CsnbError`` may come out."""
    path.write_bytes(content)
    try:
        assert isinstance(load_plan(path, env=ENV, display="plan.yaml"), Plan)
    except CsnbError as exc:
        assert str(exc)


# about 250 examples in all: enough to reach every section, quick enough for every test run
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TEXT_FUZZ = settings(FUZZ, max_examples=50)


def test_base_plan_is_valid() -> None:
    plan, issues = validate_document(parse_located(PLAN, "plan.yaml"), env=ENV)
    assert issues == [] and isinstance(plan, Plan)


@FUZZ
@given(kind=st.sampled_from(["delete", "replace", "duplicate", "rename"]), data=st.data())
def test_structural_mutations_give_a_plan_or_located_issues(kind: str, data: st.DataObject) -> None:
    mutated = mutate(DATA, kind, data.draw)
    text = json.dumps(mutated, default=str, allow_nan=True)  # JSON is YAML, and easy to write from data
    plan, issues = validate_document(parse_located(text, "plan.yaml"), env=ENV)
    check_outcome(plan, issues)


@TEXT_FUZZ
@given(cut=st.integers(0, len(PLAN.encode())))
def test_truncated_file_never_crashes(plan_file: Path, cut: int) -> None:
    load_or_error(plan_file, PLAN.encode()[:cut])


@TEXT_FUZZ
@given(at=st.integers(0, len(PLAN)), junk=st.text(min_size=1, max_size=8).filter(lambda t: "\x00" not in t))
def test_inserted_characters_never_crash(plan_file: Path, at: int, junk: str) -> None:
    load_or_error(plan_file, (PLAN[:at] + junk + PLAN[at:]).encode("utf-8", "surrogatepass"))


@TEXT_FUZZ
@given(
    at=st.integers(0, len(PLAN)),
    junk=st.sampled_from(
        [
            "[",
            "]",
            "{",
            "}",
            ":",
            "- ",
            "&a ",
            "*a",
            "!!",
            "\t",
            "'",
            '"',
            "#",
            "\n  ",
            "---\n",
            "...",
            "%YAML",
            "\\",
        ]
    ),
)
def test_inserted_yaml_syntax_never_crashes(at: int, junk: str) -> None:
    try:
        doc = parse_located(PLAN[:at] + junk + PLAN[at:], "plan.yaml")
    except CsnbError:
        return
    check_outcome(*validate_document(doc, env=ENV))
