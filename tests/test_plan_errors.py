"""Every plan rule, broken once: each test shows its input and the exact ``file:line:column: field`` shown.

Most tests edit ``BASE`` (a valid plan) in one place with ``edit(old, new)``; the line and column numbers
in the assertions refer to ``BASE`` after that edit.  Tests marked ``cli`` also run ``csnb validate`` and
check exit status 2, the same message on screen, and that nothing was written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from commands import run_csnb
from typer.testing import CliRunner

from csnb.cli import app
from csnb.errors import CsnbError, Issue, PlanError
from csnb.plan import Plan, load_plan

BASE = """\
client:
  id: acme
  name: Acme Logistics
  timezone: Europe/Berlin
people:
  - id: dana
    name: Dana Ortiz
    side: provider
    role: Customer Success Manager
    email: dana@example.com
  - id: lee
    name: Lee Chen
    side: client
    role: VP Operations
goals:
  - id: routing
    statement: Reduce manual call routing time by 40% within 60 days
    metrics: [routing_minutes]
sources:
  warehouse:
    kind: sql
    url: "${CSNB_WAREHOUSE_URL}"
metrics:
  - id: routing_minutes
    name: Manual routing time per day
    kind: lag
    unit: minutes
    direction: down
    source: warehouse
    query: "SELECT day AS date, value FROM metrics WHERE metric = 'routing_minutes'"
    baseline: {value: 600, date: 2026-09-01}
    target: {value: 360, date: 2026-10-31}
    tolerance: 0.10
    owner: lee
  - id: agents_trained
    name: Agents trained
    kind: lead
    leads: [routing_minutes]
    direction: up
    source: warehouse
    query: "SELECT day AS date, value FROM metrics WHERE metric = 'agents_trained'"
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
      - {check: Admin access granted by client, done: true, done_on: 2026-09-02}
    raci: {responsible: [dana], accountable: [lee]}
  - id: M2
    title: Agents trained
    stage: adoption
    owner: dana
    start: 2026-09-03
    due: 2026-09-30
    depends_on: [M1]
    criteria:
      - {metric: agents_trained, op: ">=", value: 100}
risks:
  - id: R1
    description: Agents not trained in time
    owner: dana
    likelihood: medium
    impact: high
    trigger: {metric: agents_trained, op: "<", value: 50, after: 2026-09-07}
    contingency: Add a second training session
cadence:
  - ritual: weekly-update
    rrule: "FREQ=WEEKLY;BYDAY=MO"
    audience: operator
escalation:
  - level: 1
    contacts: [dana]
    when: a milestone is late
changes:
  - id: C1
    requested_on: 2026-09-20
    by: lee
    description: Add Spanish IVR
    status: approved
    decided_on: 2026-09-22
decisions:
  - {on: 2026-09-10, decision: Advance to adoption, rationale: M1 met}
"""
ENV = {"CSNB_WAREHOUSE_URL": "postgresql://reporter@warehouse.example.com/analytics"}


def edit(*pairs: tuple[str, str]) -> str:
    """BASE with each ``old`` (which must occur exactly once) replaced by ``new``."""
    text = BASE
    for old, new in pairs:
        assert text.count(old) == 1, f"edit target not unique: {old!r}"
        text = text.replace(old, new)
    return text


def problems(tmp_path: Path, text: str | bytes, env: dict[str, str] | None = None) -> list[Issue]:
    """The issues ``load_plan`` reports for ``text`` saved as plan.yaml (it must reject it)."""
    path = tmp_path / "plan.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(PlanError) as info:
        load_plan(path, env=ENV if env is None else env, display="plan.yaml")
    return list(info.value.issues)


def where(issue: Issue) -> str:
    """``file:line:column: field`` of an issue, as printed."""
    return f"{issue.file}:{issue.line}:{issue.column}: {issue.field}"


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its content, to prove a command wrote nothing."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def reject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Check that a plan is rejected with exactly one issue at ``location`` whose message contains ``gist``.

    With ``cli=True`` it also runs ``csnb validate plan.yaml`` in the plan's folder.
    """

    def check(
        text: str, location: str, gist: str, *, env: dict[str, str] | None = None, cli: bool = False
    ) -> Issue:
        issues = problems(tmp_path, text, env)
        assert [where(i) for i in issues] == [location], [str(i) for i in issues]
        assert gist in issues[0].message
        if cli:
            run_cli(tmp_path, monkeypatch, ENV if env is None else env, str(issues[0]))
        return issues[0]

    return check


def run_cli(folder: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected_line: str) -> str:
    """Run ``csnb validate plan.yaml`` in ``folder``: exits 2, prints ``expected_line``; writes nothing."""
    monkeypatch.chdir(folder)
    monkeypatch.delenv("CSNB_WAREHOUSE_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    before = files_in(folder)
    result = CliRunner().invoke(app, ["validate", "plan.yaml"])
    assert result.exit_code == 2, result.output
    assert expected_line in result.output.splitlines()
    assert "0 valid, 1 invalid" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert files_in(folder) == before
    return result.output


def test_base_plan_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(BASE)
    plan = load_plan(path, env=ENV)
    assert isinstance(plan, Plan)
    assert [m.id for m in plan.milestones] == ["M1", "M2"]


# --- unknown keys, missing fields, wrong types ------------------------------------------------------


def test_unknown_key_at_top_level(reject) -> None:
    reject(edit(("cadence:\n", "cadense:\n")), "plan.yaml:72:1: cadense", "unknown field 'cadense'", cli=True)


def test_unknown_key_in_a_metric(reject) -> None:
    reject(
        edit(("    unit: minutes\n", "    units: minutes\n")),
        "plan.yaml:27:5: metrics[0].units",
        "unknown field 'units'",
        cli=True,
    )


def test_unknown_key_in_a_criterion(reject) -> None:
    text = edit(("done: true, done_on: 2026-09-02}", "done: true, don_on: 2026-09-02}"))
    reject(text, "plan.yaml:53:61: milestones[0].criteria[1].don_on", "unknown field 'don_on'")


def test_missing_required_field(reject) -> None:
    reject(
        edit(("    name: Agents trained\n", "")),
        "plan.yaml:35:5: metrics[1].name",
        "required field is missing",
        cli=True,
    )


def test_missing_people_is_reported_once_not_at_every_reference(tmp_path: Path) -> None:
    issues = problems(tmp_path, edit(("people:\n  - id: dana\n", "persons:\n  - id: dana\n")))
    assert [str(i) for i in issues] == [
        "plan.yaml:1:1: people: required field is missing",
        "plan.yaml:5:1: persons: unknown field 'persons' (is it a typo?)",
    ]


def test_wrong_type_list_for_a_number(reject) -> None:
    reject(
        edit(("    tolerance: 0.10\n", "    tolerance: [0.1]\n")),
        "plan.yaml:33:5: metrics[0].tolerance",
        "valid number",
    )


def test_wrong_type_text_for_a_date(reject) -> None:
    reject(
        edit(("    start: 2026-09-03\n", "    start: next week\n")),
        "plan.yaml:59:5: milestones[1].start",
        "valid date",
    )


def test_not_a_number_is_rejected(reject) -> None:
    reject(
        edit(("target: {value: 120, date: 2026-09-30}", "target: {value: .nan, date: 2026-09-30}")),
        "plan.yaml:43:14: metrics[1].target.value",
        "finite number",
    )


# --- references -----------------------------------------------------------------------------------


def test_unknown_metric_in_a_goal(reject) -> None:
    reject(
        edit(("    metrics: [routing_minutes]\n", "    metrics: [routing_minute]\n")),
        "plan.yaml:18:15: goals[0].metrics[0]",
        "unknown metric 'routing_minute'",
        cli=True,
    )


def test_unknown_metric_in_leads(reject) -> None:
    reject(
        edit(("    leads: [routing_minutes]\n", "    leads: [routing_minute]\n")),
        "plan.yaml:38:13: metrics[1].leads[0]",
        "unknown metric 'routing_minute'",
    )


def test_unknown_metric_in_a_criterion(reject) -> None:
    reject(
        edit(
            ('{metric: agents_trained, op: ">=", value: 20}', '{metric: agent_trained, op: ">=", value: 20}')
        ),
        "plan.yaml:52:10: milestones[0].criteria[0].metric",
        "unknown metric 'agent_trained'",
    )


def test_unknown_metric_in_a_risk_trigger(reject) -> None:
    reject(
        edit(("trigger: {metric: agents_trained,", "trigger: {metric: agents_traind,")),
        "plan.yaml:70:15: risks[0].trigger.metric",
        "unknown metric 'agents_traind'",
    )


def test_unknown_person_as_owner(reject) -> None:
    reject(
        edit(("    owner: lee\n", "    owner: leo\n")),
        "plan.yaml:34:5: metrics[0].owner",
        "unknown person 'leo'",
        cli=True,
    )


def test_unknown_person_in_raci(reject) -> None:
    reject(
        edit(("accountable: [lee]", "accountable: [lea]")),
        "plan.yaml:54:47: milestones[0].raci.accountable[0]",
        "unknown person 'lea'",
    )


def test_unknown_person_who_requested_a_change(reject) -> None:
    reject(edit(("    by: lee\n", "    by: lea\n")), "plan.yaml:83:5: changes[0].by", "unknown person 'lea'")


def test_unknown_person_in_escalation(reject) -> None:
    reject(
        edit(("    contacts: [dana]\n", "    contacts: [dan]\n")),
        "plan.yaml:78:16: escalation[0].contacts[0]",
        "unknown person 'dan'",
    )


def test_client_side_person_in_escalation(reject) -> None:
    reject(
        edit(("    contacts: [dana]\n", "    contacts: [lee]\n")),
        "plan.yaml:78:16: escalation[0].contacts[0]",
        "provider-side; 'lee' is a client",
    )


def test_unknown_source(reject) -> None:
    text = edit(("    direction: up\n    source: warehouse\n", "    direction: up\n    source: warehous\n"))
    reject(text, "plan.yaml:40:5: metrics[1].source", "unknown source 'warehous'", cli=True)


def test_unknown_milestone_in_depends_on(reject) -> None:
    reject(
        edit(("    depends_on: [M1]\n", "    depends_on: [M0]\n")),
        "plan.yaml:61:18: milestones[1].depends_on[0]",
        "unknown milestone 'M0'",
    )


def test_dependency_cycle_names_the_cycle(reject) -> None:
    text = edit(("    due: 2026-09-03\n", "    due: 2026-09-03\n    depends_on: [M2]\n"))
    issue = reject(text, "plan.yaml:51:5: milestones[0].depends_on", "dependency cycle", cli=True)
    assert issue.message == "dependency cycle: M1 -> M2 -> M1"


def test_three_milestone_cycle_is_reported_once(tmp_path: Path) -> None:
    text = edit(
        ("    due: 2026-09-03\n", "    due: 2026-09-03\n    depends_on: [M3]\n"),
        (
            "risks:\n",
            "  - {id: M3, title: Go live, stage: value, owner: dana, start: 2026-09-03,\n"
            "     due: 2026-10-01, depends_on: [M2], criteria: [{check: Live}]}\nrisks:\n",
        ),
    )
    issues = problems(tmp_path, text)
    assert [str(i) for i in issues] == [
        "plan.yaml:51:5: milestones[0].depends_on: dependency cycle: M1 -> M3 -> M2 -> M1"
    ]


def test_self_dependency(reject) -> None:
    reject(
        edit(("    depends_on: [M1]\n", "    depends_on: [M2]\n")),
        "plan.yaml:61:18: milestones[1].depends_on[0]",
        "cannot depend on itself",
    )


def test_long_dependency_chain_is_valid_and_does_not_overflow(tmp_path: Path) -> None:
    chain = "".join(
        f"  - {{id: C{i}, title: Step {i}, stage: adoption, owner: dana, start: 2026-09-01,\n"
        f"     due: 2026-09-30, depends_on: [C{i - 1}], criteria: [{{check: Step {i} done}}]}}\n"
        for i in range(1, 3000)
    )
    path = tmp_path / "plan.yaml"
    path.write_text(
        edit(
            (
                "risks:\n",
                "  - {id: C0, title: Start, stage: adoption, owner: dana, start: 2026-09-01,"
                " due: 2026-09-30, criteria: [{check: Started}]}\n" + chain + "risks:\n",
            )
        )
    )
    assert len(load_plan(path, env=ENV).milestones) == 3002


# --- duplicates -----------------------------------------------------------------------------------


def test_duplicate_metric_id(reject) -> None:
    text = edit(
        (
            "milestones:\n",
            "  - {id: routing_minutes, name: Again, kind: lag, direction: down, source: warehouse,\n"
            "     query: SELECT 1, baseline: {value: 9, date: 2026-09-01},"
            " target: {value: 5, date: 2026-10-01}}\nmilestones:\n",
        )
    )
    reject(text, "plan.yaml:44:6: metrics[2].id", "duplicate id 'routing_minutes' (first used at metrics[0])")


def test_duplicate_milestone_id(reject) -> None:
    text = edit(
        (
            "risks:\n",
            "  - {id: M1, title: Again, stage: value, owner: dana, start: 2026-09-03,"
            " due: 2026-10-01, criteria: [{check: Done}]}\nrisks:\n",
        )
    )
    reject(text, "plan.yaml:64:6: milestones[2].id", "duplicate id 'M1' (first used at milestones[0])")


def test_duplicate_person_id(reject) -> None:
    text = edit(("goals:\n", "  - {id: dana, name: Dana Again, side: client, role: Ops}\ngoals:\n"))
    # the first definition counts: dana stays provider-side, so the escalation check does not fire
    reject(text, "plan.yaml:15:6: people[2].id", "duplicate id 'dana' (first used at people[0])")


# --- metric dates, values, direction and kind ----------------------------------------------------


def test_target_date_before_baseline_date(reject) -> None:
    reject(
        edit(("target: {value: 120, date: 2026-09-30}", "target: {value: 120, date: 2026-08-30}")),
        "plan.yaml:43:26: metrics[1].target.date",
        "target date 2026-08-30 is not after baseline date 2026-09-01",
    )


def test_target_date_equal_to_baseline_date(reject) -> None:
    reject(
        edit(("target: {value: 120, date: 2026-09-30}", "target: {value: 120, date: 2026-09-01}")),
        "plan.yaml:43:26: metrics[1].target.date",
        "is not after baseline date 2026-09-01",
    )


def test_target_value_equal_to_baseline(reject) -> None:
    reject(
        edit(("target: {value: 120, date: 2026-09-30}", "target: {value: 0, date: 2026-09-30}")),
        "plan.yaml:43:14: metrics[1].target.value",
        "target equals baseline (0)",
    )


def test_target_in_the_wrong_direction(reject) -> None:
    reject(
        edit(("target: {value: 360, date: 2026-10-31}", "target: {value: 700, date: 2026-10-31}")),
        "plan.yaml:32:14: metrics[0].target.value",
        "target 700 is above baseline 600 but direction is 'down'",
        cli=True,
    )


def test_lead_metric_without_leads(reject) -> None:
    reject(
        edit(("    leads: [routing_minutes]\n", "")),
        "plan.yaml:35:5: metrics[1].leads",
        "a lead metric must name the lag metric(s) it leads",
    )


def test_lag_metric_with_leads(reject) -> None:
    reject(
        edit(("    kind: lag\n", "    kind: lag\n    leads: [agents_trained]\n")),
        "plan.yaml:27:5: metrics[0].leads",
        "only lead metrics lead",
    )


def test_lead_metric_leading_itself(reject) -> None:
    reject(
        edit(("    leads: [routing_minutes]\n", "    leads: [agents_trained]\n")),
        "plan.yaml:38:13: metrics[1].leads[0]",
        "cannot lead itself",
    )


def test_tolerance_out_of_range(reject) -> None:
    reject(
        edit(("    tolerance: 0.10\n", "    tolerance: 1.5\n")),
        "plan.yaml:33:5: metrics[0].tolerance",
        "less than or equal to 1",
    )


# --- cadence --------------------------------------------------------------------------------------


def test_invalid_rrule(reject) -> None:
    reject(
        edit(('"FREQ=WEEKLY;BYDAY=MO"', '"FREQ=WEEKLIER;BYDAY=MO"')),
        "plan.yaml:74:5: cadence[0].rrule",
        "invalid RRULE 'FREQ=WEEKLIER;BYDAY=MO'",
        cli=True,
    )


def test_dtstart_inside_rrule(reject) -> None:
    reject(
        edit(('"FREQ=WEEKLY;BYDAY=MO"', '"DTSTART:20260901T090000\\nRRULE:FREQ=WEEKLY;BYDAY=MO"')),
        "plan.yaml:74:5: cadence[0].rrule",
        "put the first date in `start`",
    )


def test_rrule_with_zero_interval(reject) -> None:
    reject(
        edit(('"FREQ=WEEKLY;BYDAY=MO"', '"FREQ=WEEKLY;INTERVAL=0"')),
        "plan.yaml:74:5: cadence[0].rrule",
        "INTERVAL and COUNT must be at least 1",
    )


def test_rrule_with_negative_count(reject) -> None:
    reject(
        edit(('"FREQ=WEEKLY;BYDAY=MO"', '"FREQ=WEEKLY;COUNT=-3"')),
        "plan.yaml:74:5: cadence[0].rrule",
        "INTERVAL and COUNT must be at least 1",
    )


def test_rrule_set_instead_of_one_rule(reject) -> None:
    reject(
        edit(('"FREQ=WEEKLY;BYDAY=MO"', '"FREQ=WEEKLY;BYDAY=MO\\nEXDATE:20261005"')),
        "plan.yaml:74:5: cadence[0].rrule",
        "write one rule",
    )


# --- sources and secrets --------------------------------------------------------------------------


def test_unset_env_var_in_a_used_source(reject) -> None:
    other = {"HOME_SECRET": "canary-other-value-5ab1"}
    issue = reject(
        BASE,
        "plan.yaml:22:5: sources.warehouse.url",
        "environment variable CSNB_WAREHOUSE_URL is not set",
        env=other,
        cli=True,
    )
    assert "canary-other-value-5ab1" not in str(issue)


def test_unset_env_var_in_an_unused_source_is_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(edit(("metrics:\n", '  archive: {kind: sql, url: "${CSNB_ARCHIVE_URL}"}\nmetrics:\n')))
    plan = load_plan(path, env=ENV)
    assert set(plan.sources) == {"warehouse", "archive"}


def test_env_var_with_a_default_is_not_required(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(edit(('"${CSNB_WAREHOUSE_URL}"', '"${CSNB_WAREHOUSE_URL:-sqlite:///warehouse.db}"')))
    assert load_plan(path, env={}).sources["warehouse"].url == "${CSNB_WAREHOUSE_URL:-sqlite:///warehouse.db}"


def test_inline_password_in_url(reject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = edit(('"${CSNB_WAREHOUSE_URL}"', '"postgresql://admin:hunter2-pw@db.example.com/prod"'))
    issue = reject(text, "plan.yaml:22:5: sources.warehouse.url", "the URL holds a password")
    assert "hunter2-pw" not in str(issue)
    output = run_cli(tmp_path, monkeypatch, ENV, str(issue))
    assert "hunter2-pw" not in output


def test_inline_password_in_url_query(reject) -> None:
    text = edit(
        ('"${CSNB_WAREHOUSE_URL}"', '"postgresql://db.example.com/prod?user=admin&password=hunter2-pw"')
    )
    issue = reject(text, "plan.yaml:22:5: sources.warehouse.url", "the URL holds a password")
    assert "hunter2-pw" not in str(issue)


def test_password_as_env_default_is_inline_too(reject) -> None:
    text = edit(('"${CSNB_WAREHOUSE_URL}"', '"postgresql://admin:${PW:-hunter2-pw}@db.example.com/prod"'))
    issue = reject(text, "plan.yaml:22:5: sources.warehouse.url", "the URL holds a password")
    assert "hunter2-pw" not in str(issue)


def test_password_from_env_in_url_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(edit(('"${CSNB_WAREHOUSE_URL}"', '"postgresql://admin:${CSNB_PW}@db.example.com/prod"')))
    assert load_plan(path, env={"CSNB_PW": "x"}).sources["warehouse"].url.endswith("@db.example.com/prod")


def test_secret_in_source_options(reject) -> None:
    text = edit(
        (
            '    url: "${CSNB_WAREHOUSE_URL}"\n',
            '    url: "${CSNB_WAREHOUSE_URL}"\n    options: {api_token: tok-123-secret}\n',
        )
    )
    issue = reject(
        text, "plan.yaml:23:5: sources.warehouse.options", "option 'api_token' looks like a secret"
    )
    assert "tok-123-secret" not in str(issue)


def test_malformed_env_reference(reject) -> None:
    reject(
        edit(('"${CSNB_WAREHOUSE_URL}"', '"${CSNB_WAREHOUSE_URL"')),
        "plan.yaml:22:5: sources.warehouse.url",
        "malformed environment reference",
    )


def test_unknown_source_kind(reject) -> None:
    reject(
        edit(("    kind: sql\n", "    kind: sqlite\n")),
        "plan.yaml:21:5: sources.warehouse.kind",
        "unknown source kind 'sqlite' (known: csv, parquet, sql",
    )


def test_sql_metric_without_query(reject) -> None:
    reject(
        edit(
            ("    query: \"SELECT day AS date, value FROM metrics WHERE metric = 'routing_minutes'\"\n", "")
        ),
        "plan.yaml:24:5: metrics[0].query",
        "a metric from an sql source needs `query`",
    )


# --- milestones and criteria ----------------------------------------------------------------------


def test_due_before_start(reject) -> None:
    reject(
        edit(("    due: 2026-09-03\n", "    due: 2026-08-31\n")),
        "plan.yaml:50:5: milestones[0].due",
        "due date 2026-08-31 is before start 2026-09-01",
        cli=True,
    )


def test_criterion_with_both_metric_and_check(reject) -> None:
    reject(
        edit(("value: 100}", "value: 100, check: Trained}")),
        "plan.yaml:63:9: milestones[1].criteria[0]",
        "either `metric` (with op and value) or `check`, not both",
    )


def test_done_check_without_done_on(reject) -> None:
    reject(
        edit((", done: true, done_on: 2026-09-02}", ", done: true}")),
        "plan.yaml:53:9: milestones[0].criteria[1]",
        "a done check needs `done_on`",
    )


# --- client, people, changes ----------------------------------------------------------------------


def test_bad_time_zone(reject) -> None:
    reject(
        edit(("Europe/Berlin", "Europe/Berlim")),
        "plan.yaml:4:3: client.timezone",
        "unknown time zone 'Europe/Berlim'",
        cli=True,
    )


def test_absurdly_long_time_zone(reject) -> None:
    reject(
        edit(("Europe/Berlin", "Europe/" + "x" * 300)), "plan.yaml:4:3: client.timezone", "unknown time zone"
    )


def test_invalid_email(reject) -> None:
    reject(
        edit(("dana@example.com", "dana.example.com")),
        "plan.yaml:10:5: people[0].email",
        "not a valid email address",
    )


def test_invalid_id(reject) -> None:
    reject(edit(("  - id: M2\n", "  - id: M 2\n")), "plan.yaml:55:5: milestones[1].id", "not a valid id")


def test_change_approved_without_decided_on(reject) -> None:
    reject(
        edit(("    decided_on: 2026-09-22\n", "")),
        "plan.yaml:81:5: changes[0].decided_on",
        "status 'approved' needs `decided_on`",
    )


def test_change_decided_before_requested(reject) -> None:
    reject(
        edit(("    decided_on: 2026-09-22\n", "    decided_on: 2026-09-19\n")),
        "plan.yaml:86:5: changes[0].decided_on",
        "decided on 2026-09-19, before it was requested on 2026-09-20",
    )


# --- files that are not plans ---------------------------------------------------------------------


def test_plain_text_is_not_a_plan(tmp_path: Path) -> None:
    issues = problems(tmp_path, "Please find the plan attached.\n")
    assert [str(i) for i in issues] == ["plan.yaml:1:1: a plan is a YAML mapping, not a str"]


def test_broken_yaml_syntax_is_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    issues = problems(tmp_path, "client: {id: acme, name: Acme\npeople: [\n")
    assert [(i.line, i.column) for i in issues] == [(2, 7)]  # the flow mapping never closed
    assert issues[0].message.startswith("invalid YAML: ")
    run_cli(tmp_path, monkeypatch, ENV, str(issues[0]))


def test_empty_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    issues = problems(tmp_path, "")
    assert [str(i) for i in issues] == ["plan.yaml:1:1: file is empty, expected a YAML mapping"]
    run_cli(tmp_path, monkeypatch, ENV, str(issues[0]))


def test_comment_only_file_is_empty(tmp_path: Path) -> None:
    assert [i.message for i in problems(tmp_path, "# plan for acme, to do\n")] == [
        "file is empty, expected a YAML mapping"
    ]


def test_binary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    issues = problems(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    assert [str(i) for i in issues] == ["plan.yaml:3:1: binary file (contains NUL bytes), expected YAML text"]
    run_cli(tmp_path, monkeypatch, ENV, str(issues[0]))


def test_text_in_another_encoding(tmp_path: Path) -> None:
    issues = problems(tmp_path, "client: {id: acme, name: Caf\u00e9}\n".encode("latin-1"))
    assert [str(i) for i in issues] == ["plan.yaml:1:29: not UTF-8 text (invalid byte at offset 28)"]


@pytest.mark.slow
def test_50_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    # benchmarks/bench_plan.py prints the peak memory of this refusal
    big = tmp_path / "plan.yaml"
    with big.open("w") as fh:
        for _ in range(50):
            fh.write("- just a very long list\n" * (1024 * 1024 // 24))
    assert big.stat().st_size > 50_000_000
    done = run_csnb("validate", "plan.yaml", cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    output = done.stdout + done.stderr
    assert "plan.yaml:1:1: file is 52.4 MB; plans are limited to 2 MB" in output.splitlines()
    assert "Traceback" not in output


def test_deeply_nested_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    issues = problems(tmp_path, "[" * 100_000)
    assert [str(i) for i in issues] == ["plan.yaml:1:65: nesting deeper than 64 levels"]
    run_cli(tmp_path, monkeypatch, ENV, str(issues[0]))


def test_deeply_nested_block_yaml(tmp_path: Path) -> None:
    issues = problems(tmp_path, "- " * 100_000 + "x\n")
    assert len(issues) == 1 and "nesting" in issues[0].message and "deep" in issues[0].message


def test_yaml_alias_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    issues = problems(tmp_path, bomb)
    assert [str(i) for i in issues] == [
        "plan.yaml:1:1: document expands to more than 200000 values (YAML alias bomb?)"
    ]
    run_cli(tmp_path, monkeypatch, ENV, str(issues[0]))


def test_duplicate_yaml_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    issues = problems(tmp_path, edit(("    unit: minutes\n", "    unit: minutes\n    unit: hours\n")))
    assert [str(i) for i in issues] == ["plan.yaml:28:5: invalid YAML: duplicate key unit"]
    run_cli(tmp_path, monkeypatch, ENV, str(issues[0]))


def test_yaml_list_at_top_level(tmp_path: Path) -> None:
    issues = problems(tmp_path, "- client: acme\n- people: []\n")
    assert [str(i) for i in issues] == ["plan.yaml:1:1: a plan is a YAML mapping, not a list"]


def test_python_tags_are_never_constructed(tmp_path: Path) -> None:
    text = edit(("  name: Acme Logistics\n", "  name: !!python/object/apply:os.system [echo pwned]\n"))
    issues = problems(tmp_path, text)
    assert len(issues) == 1 and issues[0].line == 3


def test_every_failure_is_a_csnb_error(tmp_path: Path) -> None:
    with pytest.raises(CsnbError):
        load_plan(tmp_path / "missing.yaml", env=ENV)


# --- many problems at once ------------------------------------------------------------------------


@pytest.mark.slow
def test_five_problems_are_all_printed_in_one_run(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(
        edit(
            ("cadence:\n", "cadense:\n"),  # 1 unknown key
            ("    metrics: [routing_minutes]\n", "    metrics: [routing_minute]\n"),  # 2 unknown metric
            ("    due: 2026-09-03\n", "    due: 2026-08-31\n"),  # 3 due before start
            (
                "target: {value: 360, date: 2026-10-31}",
                "target: {value: 700, date: 2026-10-31}",
            ),  # 4 direction
            ("    by: lee\n", "    by: lea\n"),  # 5 unknown person
        )
    )
    before = files_in(tmp_path)
    done = run_csnb("validate", "plan.yaml", cwd=tmp_path, env=ENV)
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert [line for line in lines if line.startswith("plan.yaml:")] == [
        "plan.yaml:18:15: goals[0].metrics[0]: unknown metric 'routing_minute' "
        "(did you mean 'routing_minutes'?)",
        "plan.yaml:32:14: metrics[0].target.value: target 700 is above baseline 600 but direction is 'down'",
        "plan.yaml:50:5: milestones[0].due: due date 2026-08-31 is before start 2026-09-01",
        "plan.yaml:72:1: cadense: unknown field 'cadense' (did you mean 'cadence'?)",
        "plan.yaml:83:5: changes[0].by: unknown person 'lea' (add them under `people:`)",
    ]
    assert lines[-1] == "0 valid, 1 invalid"
    assert files_in(tmp_path) == before


@pytest.mark.slow
def test_every_file_is_reported_when_several_are_bad(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(edit(("Europe/Berlin", "Mars/Olympus")))
    (tmp_path / "b.yaml").write_text("")
    (tmp_path / "c.yaml").write_text(BASE)
    done = run_csnb("validate", "a.yaml", "b.yaml", "c.yaml", cwd=tmp_path, env=ENV)
    assert done.returncode == 2
    assert "a.yaml:4:3: client.timezone: unknown time zone 'Mars/Olympus'" in done.stdout
    assert "b.yaml:1:1: file is empty, expected a YAML mapping" in done.stdout
    assert "ok c.yaml: acme" in done.stdout
    assert done.stdout.splitlines()[-1] == "1 valid, 2 invalid"


# --- secrets never leak ---------------------------------------------------------------------------

CANARY_ENV = {
    "CSNB_WAREHOUSE_URL": "postgresql://u:CANARY-s3cr3t@host/db",
    "UNRELATED_API_KEY": "CANARY-0ther-k3y",
}
CANARIES = ("CANARY-s3cr3t", "CANARY-0ther-k3y")


@pytest.mark.slow
def test_secrets_from_env_never_appear_in_output_or_errors(tmp_path: Path) -> None:
    variants = {
        "valid.yaml": BASE,
        "unknown_metric.yaml": edit(("    metrics: [routing_minutes]\n", "    metrics: [routing_minute]\n")),
        "unset_other_var.yaml": edit(('"${CSNB_WAREHOUSE_URL}"', '"${CSNB_ARCHIVE_URL}"')),
        "url_not_text.yaml": edit(('"${CSNB_WAREHOUSE_URL}"', "{from: CSNB_WAREHOUSE_URL}")),
        "half_reference.yaml": edit(('"${CSNB_WAREHOUSE_URL}"', '"${CSNB_WAREHOUSE_URL"')),
        "typo.yaml": edit(("    kind: sql\n", "    kind: sql\n    uri: ${UNRELATED_API_KEY}\n")),
        "broken.yaml": BASE[:700],
    }
    for name, text in variants.items():
        (tmp_path / name).write_text(text)
    done = run_csnb("validate", *variants, cwd=tmp_path, env=CANARY_ENV)
    assert done.returncode == 2
    assert done.stdout.splitlines()[-1] == "1 valid, 6 invalid"
    for canary in CANARIES:
        assert canary not in done.stdout + done.stderr
    plan = load_plan(tmp_path / "valid.yaml", env=CANARY_ENV)
    for name in variants:
        if name != "valid.yaml":
            with pytest.raises(PlanError) as info:
                load_plan(tmp_path / name, env=CANARY_ENV)
            text = str(info.value) + repr(info.value) + "".join(map(repr, info.value.issues))
            assert not any(canary in text for canary in CANARIES), name
    for shown in (repr(plan), str(plan), plan.model_dump_json(), repr(plan.sources["warehouse"])):
        assert not any(canary in shown for canary in CANARIES)


# "Did you mean": difflib's closest known name, only when it is close (a far-off word gets no guess).


def test_a_misspelt_field_names_the_field_it_resembles(reject) -> None:
    issue = reject(
        edit(("    tolerance: 0.10\n", "    tolerence: 0.10\n")),
        "plan.yaml:33:5: metrics[0].tolerence",
        "unknown field 'tolerence'",
        cli=True,
    )
    assert issue.message == "unknown field 'tolerence' (did you mean 'tolerance'?)"


def test_a_misspelt_top_level_section_names_the_section(reject) -> None:
    issue = reject(edit(("milestones:\n", "milestone:\n")), "plan.yaml:44:1: milestone", "unknown field")
    assert issue.message == "unknown field 'milestone' (did you mean 'milestones'?)"


def test_an_unknown_word_gets_no_guess(reject) -> None:
    text = edit(("    unit: minutes\n", "    colour: red\n"))
    issue = reject(text, "plan.yaml:27:5: metrics[0].colour", "unknown field")
    assert issue.message == "unknown field 'colour' (is it a typo?)"


@pytest.mark.parametrize(
    ("old", "new", "location", "message"),
    [
        (
            "trigger: {metric: agents_trained,",
            "trigger: {metric: agents_traind,",
            "plan.yaml:70:15: risks[0].trigger.metric",
            "unknown metric 'agents_traind' (did you mean 'agents_trained'?)",
        ),
        (
            "    owner: lee\n",
            "    owner: leee\n",
            "plan.yaml:34:5: metrics[0].owner",
            "unknown person 'leee' (did you mean 'lee'?)",
        ),
        (
            "    contacts: [dana]\n",
            "    contacts: [danna]\n",
            "plan.yaml:78:16: escalation[0].contacts[0]",
            "unknown person 'danna' (did you mean 'dana'?)",
        ),
        (
            "    depends_on: [M1]\n",
            "    depends_on: [m1]\n",
            "plan.yaml:61:18: milestones[1].depends_on[0]",
            "unknown milestone 'm1' (did you mean 'M1'?)",
        ),
        (
            "    direction: up\n    source: warehouse\n",
            "    direction: up\n    source: warehous\n",
            "plan.yaml:40:5: metrics[1].source",
            "unknown source 'warehous' (did you mean 'warehouse'?)",
        ),
    ],
)
def test_an_unknown_id_names_the_id_it_resembles(reject, old, new, location, message) -> None:
    assert reject(edit((old, new)), location, message.split(" (")[0]).message == message


def test_a_data_file_that_is_not_there_yet_is_a_warning_that_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csnb.project.folder import check_files

    monkeypatch.chdir(tmp_path)
    text = edit(
        ('    kind: sql\n    url: "${CSNB_WAREHOUSE_URL}"\n', "    kind: csv\n    path: data/calls.csv\n")
    )
    plan = tmp_path / "plan.yaml"
    plan.write_text(text.replace("    query: ", "    series: "))
    [checked] = check_files([plan])
    assert checked.plan is not None and not checked.issues  # still valid: an export may write it later
    assert [str(w) for w in checked.warnings if "data file" in str(w)] == [
        "plan.yaml:22:5: sources.warehouse.path: warning: data file data/calls.csv does not exist (yet); "
        "fine if it is written before the next run, else the report of this plan fails naming source "
        "'warehouse'"
    ]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "calls.csv").write_text("client,metric,date,value\n")
    assert not [w for w in check_files([plan])[0].warnings if "data file" in str(w)]


def test_unknown_person_owning_a_recovery_action(reject) -> None:
    plan = edit(
        (
            "    metrics: [routing_minutes]\n",
            "    metrics: [routing_minutes]\n"
            "    recovery:\n"
            "      - {action: Review overrides, owner: dna, due: 2026-10-20, status: planned}\n",
        )
    )
    issue = reject(plan, "plan.yaml:20:36: goals[0].recovery[0].owner", "unknown person 'dna'")
    assert "dana" in issue.message  # the owner a typo most likely meant


def test_unknown_person_owning_a_milestone_recovery_action(reject) -> None:
    plan = edit(
        (
            "    raci: {responsible: [dana], accountable: [lee]}\n",
            "    raci: {responsible: [dana], accountable: [lee]}\n"
            "    recovery:\n"
            "      - {action: Add a second provisioning slot, owner: le, due: 2026-09-05}\n",
        )
    )
    reject(plan, "plan.yaml:56:50: milestones[0].recovery[0].owner", "unknown person 'le'")
