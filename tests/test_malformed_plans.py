"""A corpus of malformed plans (``tests/malformed/``): each is refused by ``csnb validate`` with exit 2, one
``file:line:column: field`` location per problem, and never a traceback.

Every file is a valid plan of client alpha broken in one place (its last line, a comment, says how);
the project also holds ``bravo.yaml``, so the plans that claim Bravo's id, people, domain or database
are refused too. ``EXPECTED`` is the location of the first problem printed for each file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from commands import run_csnb
from typer.testing import CliRunner

from csnb.cli import app
from csnb.plan.claims import read_claims
from csnb.plan.rules import recurrence
from csnb.project.folder import Project

CORPUS = Path(__file__).parent / "malformed"
BRAVO = """\
client: {name: Bravo Orchards Ltd, domains: [bravo.example.org]}
people:
  - {id: sam, name: Sam Reed, side: provider, role: CSM, email: sam@provider.example}
  - {id: jamie, name: Jamie Fox, side: client, role: COO, email: jamie.fox@bravo.example.org}
sources:
  warehouse: {kind: sql, url: "sqlite:///../data/warehouse.db"}
metrics:
  - id: harvest
    name: Harvest per week
    kind: lag
    source: warehouse
    query: "SELECT date, value FROM metrics WHERE client = :client AND metric = 'harvest'"
    baseline: {value: 10, date: 2026-09-01}
    target: {value: 20, date: 2026-12-01}
cadence:
  - {ritual: weekly-update, rrule: "FREQ=WEEKLY;BYDAY=MO", recipients: [jamie, sam]}
"""

EXPECTED = {
    "aggregate_invalid": "31:5: metrics[0].aggregate:",
    "alias_bomb": "1:1:",
    "binary_file": "3:1:",
    "change_approved_without_date": "78:5: changes[0].decided_on:",
    "change_decided_before_requested": "83:5: changes[0].decided_on:",
    "change_impact_huge": "83:14: changes[0].impact.days:",
    "check_done_without_date": "53:9: milestones[0].criteria[1]:",
    "client_id_differs": "2:3: client.id:",
    "client_id_path": "2:3: client.id:",
    "client_id_upper_case": "2:3: client.id:",
    "client_missing": "1:1: client:",
    "client_name_bell": "2:3: client.name:",
    "client_name_crlf": "2:3: client.name:",
    "client_name_escape": "2:3: client.name:",
    "client_name_line_separator": "2:3: client.name:",
    "client_name_missing": "1:1: client.name:",
    "client_name_nul": "2:3: client.name:",
    "client_name_two_lines": "2:3: client.name:",
    "client_unknown_field": "4:3: client.colour:",
    "comments_only": "1:1:",
    "complex_key": "89:5:",
    "contact_outside_domains": "15:5: people[1].email:",
    "criterion_both_kinds": "62:9: milestones[1].criteria[0]:",
    "criterion_without_op": "62:9: milestones[1].criteria[0]:",
    "csv_absolute_path": "23:5: sources.exports.path:",
    "csv_drive_path": "23:5: sources.exports.path:",
    "csv_home_path": "23:5: sources.exports.path:",
    "csv_path_nul": "23:5: sources.exports.path:",
    "csv_proc_environ": "23:5: sources.exports.path:",
    "csv_without_path": "21:3: sources.exports.path:",
    "date_as_words": "42:26: metrics[1].baseline.date:",
    "date_february_30": "33:28: metrics[0].baseline.date:",
    "date_month_13": "34:26: metrics[0].target.date:",
    "date_quoted_invalid": "42:26: metrics[1].baseline.date:",
    "date_year_one": "42:26: metrics[1].baseline.date:",
    "decision_date_invalid": "85:5: decisions[0].on:",
    "deep_nesting": "1:73:",
    "dependency_cycle": "51:5: milestones[0].depends_on:",
    "depends_on_itself": "60:18: milestones[1].depends_on[0]:",
    "depends_on_unknown": "60:18: milestones[1].depends_on[0]:",
    "domain_invalid": "4:13: client.domains[0]:",
    "domain_with_at": "4:13: client.domains[0]:",
    "domains_not_a_list": "4:3: client.domains:",
    "due_9999": "50:5: milestones[0].due:",
    "due_before_start": "59:5: milestones[1].due:",
    "duplicate_client_id": "2:3: client.id:",
    "duplicate_key": "4:3:",
    "empty_file": "1:1:",
    "error_on_line_100": "100:3: glossary.:100::",
    "frequency_hourly": "32:5: metrics[0].frequency:",
    "glossary_key_control": "89:3: glossary.IVR\\x00.[key]:",
    "goal_statement_tab": "18:5: goals[0].statement:",
    "goal_unknown_metric": "19:15: goals[0].metrics[0]:",
    "goal_without_metrics": "19:5: goals[0].metrics:",
    "lag_with_leads": "28:5: metrics[0].leads:",
    "latin1_text": "1:19:",
    "lead_leads_itself": "40:13: metrics[1].leads[0]:",
    "lead_without_leads": "37:5: metrics[1].leads:",
    "metric_kind_invalid": "27:5: metrics[0].kind:",
    "metric_name_nul": "38:5: metrics[1].name:",
    "metric_unknown_source": "30:5: metrics[0].source:",
    "milestone_owner_unknown": "57:5: milestones[1].owner:",
    "other_clients_contact": "14:5: people[1].email:",
    "other_clients_contact_as_provider": "10:5: people[0].email:",
    "other_clients_declared_domain": "4:28: client.domains[1]:",
    "other_clients_domain": "14:5: people[1].email:",
    "people_empty": "5:1: people:",
    "person_duplicate_id": "11:5: people[1].id:",
    "person_email_header_injection": "15:5: people[1].email:",
    "person_email_invalid": "15:5: people[1].email:",
    "person_email_nul": "15:5: people[1].email:",
    "person_role_control": "14:5: people[1].role:",
    "person_side_invalid": "13:5: people[1].side:",
    "plain_text": "1:1:",
    "python_tag": "1:1: client:",
    "review_window_negative": "61:5: milestones[1].review_window_days:",
    "risk_likelihood_invalid": "67:5: risks[0].likelihood:",
    "risk_trigger_after_invalid": "69:59: risks[0].trigger.after:",
    "risk_trigger_unknown_metric": "69:15: risks[0].trigger.metric:",
    "ritual_start_9999": "76:5: cadence[0].start:",
    "ritual_time_invalid": "76:5: cadence[0].time:",
    "ritual_unknown_recipient": "76:23: cadence[0].recipients[1]:",
    "rrule_byhour": "73:5: cadence[0].rrule:",
    "rrule_count_and_until": "73:5: cadence[0].rrule:",
    "rrule_count_billion": "73:5: cadence[0].rrule:",
    "rrule_hourly": "73:5: cadence[0].rrule:",
    "rrule_in_words": "73:5: cadence[0].rrule:",
    "rrule_interval_huge": "73:5: cadence[0].rrule:",
    "rrule_interval_zero": "73:5: cadence[0].rrule:",
    "rrule_minutely": "73:5: cadence[0].rrule:",
    "rrule_never_occurs": "73:5: cadence[0].rrule:",
    "rrule_secondly": "73:5: cadence[0].rrule:",
    "rrule_set": "73:5: cadence[0].rrule:",
    "rrule_with_dtstart": "73:5: cadence[0].rrule:",
    "source_timeout_zero": "24:5: sources.exports.timeout:",
    "source_unknown_kind": "22:5: sources.exports.kind:",
    "sql_inline_password": "23:5: sources.exports.url:",
    "sql_shared_without_client": "33:5: metrics[0].query:",
    "sql_unset_variable": "23:5: sources.exports.url:",
    "sql_without_url": "21:3: sources.exports.url:",
    "stage_invalid": "56:5: milestones[1].stage:",
    "start_1800": "49:5: milestones[0].start:",
    "tab_indentation": "22:1:",
    "target_against_direction": "34:14: metrics[0].target.value:",
    "target_before_baseline": "34:26: metrics[0].target.date:",
    "target_equals_baseline": "34:14: metrics[0].target.value:",
    "timezone_markup": "3:3: client.timezone:",
    "timezone_unknown": "3:3: client.timezone:",
    "title_crlf": "55:5: milestones[1].title:",
    "tolerance_above_one": "35:5: metrics[0].tolerance:",
    "top_level_list": "1:1:",
    "unclosed_flow": "20:8:",
    "value_huge": "43:14: metrics[1].target.value:",
    "value_infinite": "43:14: metrics[1].target.value:",
    "value_nan": "33:16: metrics[0].baseline.value:",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder holding Bravo's valid plan; the test works in it."""
    (tmp_path / "parameters").mkdir()
    (tmp_path / "csnb.toml").write_text("[project]\n", encoding="utf-8")
    (tmp_path / "parameters" / "bravo.yaml").write_text(BRAVO, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CSNB_CORPUS_NEVER_SET", raising=False)
    return tmp_path


def test_the_corpus_has_at_least_80_plans_and_an_expectation_for_each() -> None:
    names = sorted(p.stem for p in CORPUS.glob("*.yaml"))
    assert len(names) >= 80
    assert names == sorted(EXPECTED)


def test_bravo_alone_is_valid(project: Path) -> None:
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "ok parameters/bravo.yaml: bravo" in result.output


# refusing the alias bomb takes seconds, the others a few milliseconds
@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n == "alias_bomb" else n for n in sorted(EXPECTED)]
)
def test_a_malformed_plan_is_refused_with_its_location(project: Path, name: str) -> None:
    shutil.copyfile(CORPUS / f"{name}.yaml", project / "parameters" / f"{name}.yaml")
    result = CliRunner().invoke(app, ["validate", f"parameters/{name}.yaml"])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    located = [line for line in result.output.splitlines() if line.startswith(f"parameters/{name}.yaml:")]
    assert located, result.output
    assert located[0].startswith(f"parameters/{name}.yaml:{EXPECTED[name]}"), located
    assert result.output.splitlines()[-1] == "0 valid, 1 invalid"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["date_february_30", "date_month_13", "due_9999", "client_name_crlf", "rrule_secondly", "binary_file"],
)
def test_the_command_line_refuses_them_too(project: Path, name: str) -> None:
    shutil.copyfile(CORPUS / f"{name}.yaml", project / "parameters" / f"{name}.yaml")
    done = run_csnb("validate", f"parameters/{name}.yaml", cwd=project)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert f"parameters/{name}.yaml:{EXPECTED[name]}" in done.stdout


@pytest.mark.slow
def test_an_error_on_line_100_prints_100_literally(project: Path) -> None:
    shutil.copyfile(CORPUS / "error_on_line_100.yaml", project / "parameters" / "alpha.yaml")
    done = run_csnb("validate", "parameters/alpha.yaml", cwd=project, env={"COLUMNS": "300"})
    assert done.returncode == 2
    # the line number and the glossary term ":100:" itself, never the emoji
    assert (
        "parameters/alpha.yaml:100:3: glossary.:100:: contains a control character (U+0000 NUL)"
        in done.stdout
    )
    assert "\N{HUNDRED POINTS SYMBOL}" not in done.stdout


@pytest.mark.slow
def test_markup_and_emoji_codes_in_a_value_print_as_written(project: Path) -> None:
    shutil.copyfile(CORPUS / "timezone_markup.yaml", project / "parameters" / "alpha.yaml")
    done = run_csnb("validate", "parameters/alpha.yaml", cwd=project)
    assert "unknown time zone ':skull: [bold red]boom[/]'" in done.stdout
    assert "\N{SKULL}" not in done.stdout and "\x1b[" not in done.stdout


@pytest.mark.slow
def test_a_control_character_is_printed_as_an_escape_never_raw(project: Path) -> None:
    shutil.copyfile(CORPUS / "glossary_key_control.yaml", project / "parameters" / "alpha.yaml")
    done = run_csnb("validate", "parameters/alpha.yaml", cwd=project)
    assert "glossary.IVR\\x00.[key]" in done.stdout
    assert "\x00" not in done.stdout


def test_a_weekly_rule_until_a_utc_time_validates(project: Path) -> None:
    plan = (CORPUS / "rrule_secondly.yaml").read_text(encoding="utf-8")
    rule = "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231T235959Z"
    (project / "parameters" / "alpha.yaml").write_text(plan.replace("FREQ=SECONDLY", rule), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "parameters/alpha.yaml"])
    assert result.exit_code == 0, result.output
    assert Project().plan("alpha").cadence[0].rrule == rule


def test_a_utc_until_is_read_in_the_plans_time_zone() -> None:
    import datetime as dt

    # 23:59:59 UTC on 31 December is 00:59:59 on 1 January in Berlin: a ritual at 00:30 that day is in
    first = dt.datetime(2026, 12, 28, 0, 30)
    rule = recurrence("FREQ=DAILY;UNTIL=20261231T235959Z", first, "Europe/Berlin")
    assert list(rule)[-1] == dt.datetime(2027, 1, 1, 0, 30)
    rule = recurrence("FREQ=DAILY;UNTIL=20261231T235959Z", first, "America/New_York")
    assert list(rule)[-1] == dt.datetime(2026, 12, 31, 0, 30)


def test_claims_of_a_plan_that_fails_validation_still_name_its_people(project: Path) -> None:
    shutil.copyfile(CORPUS / "due_9999.yaml", project / "parameters" / "alpha.yaml")
    claims = read_claims(project / "parameters" / "alpha.yaml")
    assert claims.ids == {"alpha"} and claims.client_addresses() == {"lee@alpha.example"}
    assert claims.owned_domains() == {"alpha.example"}
