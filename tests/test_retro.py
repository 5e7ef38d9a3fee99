"""Retrospectives: facts computed against hand-worked data, located retro-file errors, template, CLI, HTML."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from builders import metric, project_store_url
from commands import run_csnb

from csnb.indicators.evaluation import evaluate
from csnb.plan import Plan
from csnb.retro.facts import compute_facts
from csnb.retro.team import RetroError, load_retro


def small_plan() -> Plan:
    """Two daily metrics, two milestones, one risk, one change and one decision (dates in March 2026)."""
    march = {
        "source": "data",
        "baseline": {"value": 0, "date": "2026-03-01"},
        "target": {"value": 20, "date": "2026-03-20"},
    }
    return Plan.model_validate(
        {
            "client": {"id": "kite", "name": "Kite Air"},
            "people": [{"id": "ana", "name": "Ana Ruiz", "side": "provider", "role": "CSM"}],
            "sources": {"data": {"kind": "csv", "path": "data.csv"}},
            "metrics": [
                metric("trained", name="People trained", kind="lead", leads=["live"], **march),
                metric("live", name="People live", **march),
            ],
            "milestones": [
                {
                    "id": "M1",
                    "title": "Train the first cohort",
                    "stage": "onboarding",
                    "owner": "ana",
                    "start": "2026-03-02",
                    "due": "2026-03-06",
                    "criteria": [{"metric": "trained", "op": ">=", "value": 10}],
                },
                {
                    "id": "M2",
                    "title": "First cohort live",
                    "stage": "adoption",
                    "owner": "ana",
                    "depends_on": ["M1"],
                    "start": "2026-03-05",
                    "due": "2026-03-10",
                    "criteria": [{"metric": "live", "op": ">=", "value": 10}],
                },
            ],
            "risks": [
                {
                    "id": "R1",
                    "description": "Training falls behind",
                    "owner": "ana",
                    "likelihood": "medium",
                    "impact": "high",
                    "trigger": {"metric": "trained", "op": "<", "value": 5, "after": "2026-03-03"},
                    "contingency": "Add an evening session",
                }
            ],
            "changes": [
                {
                    "id": "C1",
                    "requested_on": "2026-03-06",
                    "by": "ana",
                    "description": "Add a second cohort",
                    "status": "approved",
                    "decided_on": "2026-03-08",
                }
            ],
            "decisions": [
                {"on": "2026-03-04", "decision": "Train team leads first", "rationale": "They coach the rest"}
            ],
        }
    )


def observations() -> pd.DataFrame:
    trained = {1: 0, 2: 2, 3: 3, 4: 4, 5: 8, 6: 9, 7: 12, 8: 12, 9: 14, 10: 15, 11: 15, 12: 15}
    live = {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 8: 4, 9: 8, 10: 11, 11: 13, 12: 14}
    rows = [
        ("kite", m, dt.date(2026, 3, d), float(v))
        for m, s in (("trained", trained), ("live", live))
        for d, v in s.items()
    ]
    return pd.DataFrame(rows, columns=["client", "metric", "date", "value"])


@pytest.fixture(scope="module")
def facts_at_12th():
    plan = small_plan()
    snapshot = evaluate(plan, observations(), dt.date(2026, 3, 12))
    return {m: compute_facts(plan, snapshot, m) for m in ("M1", "M2")}


def test_dates_and_slip_are_worked_out_by_hand(facts_at_12th):
    m1, m2 = facts_at_12th["M1"], facts_at_12th["M2"]
    # M1: trained first reached 10 on the 7th, due the 6th -> one day late; nothing to wait for
    assert (m1.status, m1.actual_start, m1.actual_finish, m1.slip_days, m1.start_slip_days) == (
        "done",
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 7),
        1,
        0,
    )
    # M2 could only start the day after M1 was done (8th, planned 5th); live reached 10 on its due date
    assert (m2.actual_start, m2.start_slip_days, m2.actual_finish, m2.slip_days) == (
        dt.date(2026, 3, 8),
        3,
        dt.date(2026, 3, 10),
        0,
    )


def test_criterion_values_before_at_and_after(facts_at_12th):
    (c,) = facts_at_12th["M1"].criteria
    # before: the day before the planned start (1st); at: the finish (7th); after: as_of (12th)
    assert (c["before"], c["at"], c["after"], c["held"]) == (0.0, 12.0, 15.0, True)
    (c2,) = facts_at_12th["M2"].criteria
    assert (c2["before"], c2["at"], c2["after"]) == (0.0, 11.0, 14.0)


def test_lead_indicator_moved(facts_at_12th):
    (lead,) = facts_at_12th["M1"].leads
    # 0 -> 12 across the window; moved because 12 > tolerance 0.1 x (20 - 0) = 2
    assert (lead["metric"], lead["start"], lead["finish"], lead["verdict"]) == ("trained", 0.0, 12.0, "moved")


def test_risk_triggered_then_its_trigger_cleared(facts_at_12th):
    (risk,) = facts_at_12th["M1"].risks
    # checked from the day after `after` (4th): 4 < 5 triggers; on the 5th it is 8, so the trigger cleared
    assert (risk["triggered"], risk["triggered_on"], risk["cleared_on"]) == (
        True,
        dt.date(2026, 3, 4),
        dt.date(2026, 3, 5),
    )
    # a fact, not a cause: the trigger cleared, which does not say the contingency worked
    assert risk["outcome"] == "triggered on 2026-03-04; trigger cleared on 2026-03-05"
    assert "worked" not in risk["outcome"]
    (risk2,) = facts_at_12th["M2"].risks
    assert risk2["triggered"] is False  # never below 5 in M2's window


def test_changes_and_decisions_in_the_window(facts_at_12th):
    m1, m2 = facts_at_12th["M1"], facts_at_12th["M2"]
    assert [d["decision"] for d in m1.decisions] == ["Train team leads first"]  # the 4th, inside 2nd..7th
    assert [c["id"] for c in m1.changes] == ["C1"]  # requested the 6th
    assert [c["id"] for c in m2.changes] == ["C1"] and m2.decisions == []  # decided the 8th; 4th is before M2


def test_milestone_not_done_reports_no_finish():
    plan = small_plan()
    facts = compute_facts(plan, evaluate(plan, observations(), dt.date(2026, 3, 8)), "M2")
    assert (facts.actual_finish, facts.slip_days, facts.window_end) == (None, None, dt.date(2026, 3, 8))
    assert facts.to_dict()["actual_finish"] is None


BAD_RETRO = """\
client: kite
milestone: M9
participants: [ana]
lessons:
  - statement: Train team leads first
    recommendation: Book them a day early
    category: vibes
    tags: [Training]
  - recommendation: Something
    category: people
    owner: bob
    colour: blue
ratings: {planning: 9}
"""


def test_malformed_retro_lists_every_problem_with_file_line_and_field(tmp_path):
    path = tmp_path / "M9.yaml"
    path.write_text(BAD_RETRO)
    with pytest.raises(RetroError) as caught:
        load_retro(path, small_plan(), display="parameters/retros/kite/M9.yaml")
    lines = str(caught.value).splitlines()
    f = "parameters/retros/kite/M9.yaml"
    assert lines == [
        f"{f}:7:5: lessons[0].category: Input should be 'process', 'people', 'technology', 'data', "
        "'communication', 'scope', 'vendor' or 'commercial'",
        f"{f}:8:5: lessons[0].tags: tag 'Training' is not valid: use lower-case letters, digits and '-' "
        "(e.g. data-access), at most 40",
        f"{f}:9:5: lessons[1].statement: required field is missing",
        f"{f}:12:5: lessons[1].colour: unknown field 'colour' (is it a typo?)",
        f"{f}:13:11: ratings.planning: Input should be less than or equal to 5",
    ]
    assert caught.value.exit_code == 2


def test_retro_references_are_checked_against_the_plan(tmp_path):
    path = tmp_path / "M9.yaml"
    path.write_text("client: kite\nmilestone: M9\nparticipants: [ana]\nfacilitator: bob\n")
    with pytest.raises(RetroError) as caught:
        load_retro(path, small_plan(), display="M9.yaml")
    assert str(caught.value).splitlines() == [
        "M9.yaml:2:1: milestone: unknown milestone 'M9' (the plan has: M1, M2)",
        "M9.yaml:4:1: facilitator: unknown person 'bob' (use an id from the plan's people)",
    ]


def test_a_near_miss_in_a_retro_file_gets_a_suggestion(tmp_path):
    path = tmp_path / "m2.yaml"
    path.write_text("client: kite\nmilestone: m2\nparticipants: [ana]\nfacilitator: anna\n")
    with pytest.raises(RetroError) as caught:
        load_retro(path, small_plan(), display="m2.yaml")
    assert str(caught.value).splitlines() == [
        "m2.yaml:2:1: milestone: unknown milestone 'm2' (did you mean 'M2'?)",
        "m2.yaml:4:1: facilitator: unknown person 'anna' (did you mean 'ana'?)",
    ]


# -- the demo project: template, CLI and HTML ------------------------------------------------------------


def test_template_is_a_valid_retro_with_the_facts_as_comments(fresh_demo):
    from csnb.plan import load_plan
    from csnb.retro.notebook import write_template

    path = write_template("northwind", "M2", root=fresh_demo, force=True)
    text = path.read_text()
    assert "# Retrospective of M2 (Agent onboarding and training)" in text
    assert "#   planned 2026-09-10 -> 2026-09-13; actual 2026-09-10 -> 2026-09-14" in text
    assert "finish slip 1 d" in text
    retro = load_retro(path, load_plan(fresh_demo / "parameters" / "northwind.yaml"))
    assert (retro.client, retro.milestone, retro.lessons) == ("northwind", "M2", [])
    with pytest.raises(Exception, match="already exists"):
        write_template("northwind", "M2", root=fresh_demo)


@pytest.mark.slow
def test_cli_rejects_a_malformed_retro_with_exit_2(fresh_demo):
    folder = fresh_demo / "parameters" / "retros" / "acme"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "M1.yaml").write_text("client: acme\nmilestone: M1\nparticipants: []\nlessons: oops\n")
    done = run_csnb("retro", "acme", "M1", cwd=fresh_demo)
    assert done.returncode == 2, done.stderr
    assert "parameters/retros/acme/M1.yaml:3:1: participants: List should have at least 1 item" in done.stderr
    assert "parameters/retros/acme/M1.yaml:4:1: lessons: Input should be a valid list" in done.stderr
    assert not (fresh_demo / "reports" / "acme" / "retros" / "M1.html").exists()


@pytest.mark.slow
def test_cli_retro_writes_an_offline_page_and_records_lessons_once(fresh_demo):
    from csnb.demo.retros import write_demo_retros
    from csnb.store.lessons import open_kb

    write_demo_retros(fresh_demo)
    path = fresh_demo / "parameters" / "retros" / "northwind" / "M2.yaml"
    path.write_text(
        path.read_text().replace(
            "  - Team leads trained first", "  - <script>alert('x')</script> Team leads trained first"
        )
    )
    done = run_csnb("retro", "northwind", "M2", cwd=fresh_demo)
    assert done.returncode == 0, done.stderr
    assert "3 lesson(s) recorded" in done.stdout
    html = (fresh_demo / "reports" / "northwind" / "retros" / "M2.html").read_text()
    assert "Agent onboarding and training" in html and "Training in two shifts reached every agent" in html
    assert "&lt;script&gt;alert" in html and "<script>alert" not in html
    assert "<script" not in html.lower() and "import csnb" not in html and "store_url" not in html
    assert "http://" not in html and "https://" not in html
    kb = open_kb(project_store_url(fresh_demo))
    assert kb.count() == 3
    kb.dispose()
