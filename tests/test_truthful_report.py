"""What the reader sees is the truth: the worst goal first, a capped health band with its reason, data
freshness beside every metric, what is needed from the client, retrospective facts, lessons that fit.

Reports are built in memory from a snapshot (no notebook run), except the demo's, which is prepared
from its project as the report notebook does.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from builders import check, daily, metric, milestone, observations, plan, plan_data
from typer.testing import CliRunner

from csnb.cli import app
from csnb.indicators.changes import diff
from csnb.indicators.evaluation import evaluate
from csnb.plan import Plan
from csnb.report import prepare
from csnb.report.build import Report
from csnb.report.lessons import suggest
from csnb.report.texts import change_lines
from csnb.retro.facts import compute_facts
from csnb.store.lessons import open_kb

D = dt.date


def report(p: Plan, rows: list[tuple], as_of: dt.date) -> Report:
    snap = evaluate(p, observations(*rows), as_of)
    return Report(p, snap, diff(None, snap, p), "operator", pd.DataFrame())


def text(html: str) -> str:
    """The words of an HTML fragment, as a reader sees them."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- the demo: northwind's missed headline goal ------------------------------------------------------------


def test_northwind_shows_its_missed_goal_first_and_health_capped_at_amber(demo) -> None:
    # on 2026-10-15 calls per agent is 44 against 46 due on 10-14: missed. Health 83.3 would be green,
    # but the productivity goal's outcome is missed: amber, and the summary says why.
    r = prepare(demo / "parameters" / "northwind.yaml", project_root=demo)
    summary = text(r.html("summary"))
    assert (r.snapshot.health.score, r.snapshot.health.band) == (83.3, "amber")
    assert summary.startswith(
        "Summary ◆ Amber : “+15% calls per agent within 30 days of the first campaign” is missed"
    )
    assert (
        "Health 83 / 100 Held at amber while “+15% calls per agent within 30 days of the first campaign” is "
        "missed." in summary
    )
    goals = summary.split("Goal Status Now Target Trend Data as of", 1)[1].strip()
    assert goals.startswith("+15% calls per agent within 30 days of the first campaign ■ Missed 44 calls")
    # among the outcome charts, the missed one comes first
    lag = [m for _, m in _metric_order(r) if m["kind"] == "lag"]
    assert lag[0]["metric"] == "calls_per_agent"


def _metric_order(r: Report) -> list:
    from csnb.report.sections import metric_blocks

    return metric_blocks(r)


# --- freshness and forecasts beside each metric -------------------------------------------------------


def test_every_metric_says_how_old_its_data_is() -> None:
    # 30 on 01-04, reported on 01-07: 3 days old, over the daily limit of 2
    r = report(plan([metric()]), daily("adoption", [10, 20, 30], first="2026-01-02"), D(2026, 1, 7))
    caption = text(r.html("metrics"))
    assert "data as of 4 Jan 2026 (3 days old): older than this metric's freshness limit" in caption
    assert "● On track" in caption  # judged at 01-04, where it was on its glide path
    fresh = text(report(plan([metric()]), [("adoption", "2026-01-06", 50)], D(2026, 1, 6)).html("metrics"))
    assert "data as of 6 Jan 2026" in fresh and "days old" not in fresh


def test_a_forecast_already_past_reads_not_on_course() -> None:
    # +10 a day from 20 on 01-03 would reach 100 on 01-11; on 01-12 that date has passed at 20
    fast = metric(target={"value": 100, "date": "2026-01-21"})
    caption = text(report(plan([fast]), daily("adoption", [0, 10, 20]), D(2026, 1, 12)).html("metrics"))
    assert "not on course to reach target" in caption and "forecast to reach target" not in caption


def test_what_changed_reports_no_news_as_no_news_and_stale_data_as_stale() -> None:
    # on-path data until 01-04. From 01-04 to 01-06 nothing arrived and nothing moved: nothing to say.
    # On 01-07 the data is 3 days old (limit 2): that is news, and with its only input left out the
    # health score has nothing to stand on (green -> unknown).
    p = plan([metric()])
    obs = observations(*daily("adoption", [10, 20, 30], first="2026-01-02"))
    first, quiet, stale = (evaluate(p, obs, D(2026, 1, d)) for d in (4, 6, 7))
    assert diff(first, quiet, p).is_empty()
    later = Report(p, stale, diff(quiet, stale, p), "operator", pd.DataFrame())
    assert change_lines(later) == ["Health: Green → Not scored.", "adoption: no new data since 4 Jan 2026."]


# --- needed from you ------------------------------------------------------------------------------------


def test_needed_from_you_lists_overdue_first_with_days_and_skips_done_milestones() -> None:
    # report on 11-29. M1 was done on 11-04 (its input, needed by 11-03, no longer matters).
    # M2 (due 12-15): the agent list was needed by 11-20 -> overdue by 9 days; the floor plan is needed
    # by 12-01 -> open; the VPN details were received on 11-10 -> not asked for.
    def needs(description: str, by: str, received: str | None = None) -> dict:
        return {"description": description, "needed_by": by, "received_on": received, "owner": "dana"}

    m1 = milestone(
        "M1",
        check("Pilot done", "2026-11-04"),
        start="2026-10-01",
        due="2026-11-05",
        client_inputs=[needs("Sign-off from the VP", "2026-11-03")],
    )
    m2 = milestone(
        "M2",
        check("Everyone trained"),
        start="2026-11-01",
        due="2026-12-15",
        client_inputs=[
            needs("Floor plan", "2026-12-01"),
            needs("VPN details", "2026-11-15", received="2026-11-10"),
            needs("Agent list", "2026-11-20"),
        ],
    )
    summary = text(report(plan([], [m1, m2]), [], D(2026, 11, 29)).html("summary"))
    asked = summary.split("Needed from you", 1)[1].split("The full report", 1)[0].strip()
    assert asked == (
        "Agent list (overdue by 9 days) — Dana Ortiz, needed by 20 Nov 2026 "
        "Floor plan — Dana Ortiz, needed by 1 Dec 2026"
    )


# --- retrospective facts ----------------------------------------------------------------------------------


def _retro_plan() -> Plan:
    # trained (lead): 0 -> 100 over 01-01..01-11; M1 done when trained >= 20 (due 01-08).
    # R1 triggers while trained < 5 after 01-02.
    data = plan_data(
        [metric("trained", kind="lead", leads=["live"]), metric("live")],
        [
            milestone(
                "M1", {"metric": "trained", "op": ">=", "value": 20}, start="2026-01-02", due="2026-01-08"
            )
        ],
        [
            {
                "id": "R1",
                "description": "Training starts late",
                "owner": "dana",
                "likelihood": "medium",
                "impact": "high",
                "trigger": {"metric": "trained", "op": "<", "value": 5, "after": "2026-01-02"},
                "contingency": "Add an evening shift",
            }
        ],
    )
    return Plan.model_validate(data)


def test_retro_facts_say_when_and_how_much_not_why() -> None:
    # trained: 11 on 01-01, 3 on 01-03 and 01-04, 12 on 01-05, 20 on 01-06 (then nothing until 01-29).
    # M1 is achieved on 01-06 (20 >= 20), two days early; the retro runs on 01-29.
    # Movement over the window: from 11 (01-01, the day before the start) to 20 at the finish: +9.
    # R1 holds first on 01-03 (3 < 5, after 01-02) and no longer on 01-05 (12): "trigger cleared".
    rows = daily("trained", [11, 8, 3, 3, 12, 20]) + daily("live", [0, 0, 1, 2, 4, 9])
    p = _retro_plan()
    facts = compute_facts(p, evaluate(p, observations(*rows), D(2026, 1, 29)), "M1")
    assert (facts.achieved_on, facts.planned_finish, facts.slip_days) == (D(2026, 1, 6), D(2026, 1, 8), -2)
    [lead] = facts.leads
    assert lead["movement"] == "rose by 9 (11 -> 20)"
    assert {m["metric"]: m["movement"] for m in facts.movements}["live"] == "rose by 9 (0 -> 9)"
    [risk] = facts.risks
    assert risk["outcome"] == "triggered on 2026-01-03; trigger cleared on 2026-01-05"
    lines = "\n".join(facts.lines())
    assert "achieved on 2026-01-06 (facts as of 2026-01-29)" in lines
    assert "done at" not in lines and "contingency worked" not in lines and "did not move" not in lines


def test_a_cleared_risk_is_reported_with_the_date_its_trigger_cleared() -> None:
    # R1 (trained < 5 after 01-02) held on 01-03 and 01-04 (3) and no longer on 01-05 (12).
    # The report of 01-04 saw it triggered; the report of 01-06 says when it cleared, not why.
    rows = daily("trained", [11, 8, 3, 3, 12, 20]) + daily("live", [0, 0, 1, 2, 4, 9])
    p = _retro_plan()
    before, after = (evaluate(p, observations(*rows), D(2026, 1, d)) for d in (4, 6))
    assert list(before.risks["status"]) == ["triggered"] and list(after.risks["status"]) == ["clear"]
    lines = change_lines(Report(p, after, diff(before, after, p), "operator", pd.DataFrame()))
    assert "Risk cleared: Training starts late (trigger cleared on 5 Jan 2026)." in lines


# --- lessons ------------------------------------------------------------------------------------------------


def lesson(number: int, statement: str, stage: str = "onboarding", tags: str = "", **extra) -> dict:
    return {
        "client": "other",
        "milestone": "M1",
        "number": number,
        "client_name": "Other",
        "title": "Rollout",
        "stage": stage,
        "category": "process",
        "impact": "medium",
        "statement": statement,
        "recommendation": "Plan it earlier",
        "tags": tags,
        "owner": None,
        "follow_up": None,
        "retro_date": "2026-09-16",
        "facts": None,
        "private": {"client": ["other"], "people": []},
        **extra,
    }


def test_search_returns_only_lessons_with_the_words_and_shows_real_scores(sqlite_url) -> None:
    kb = open_kb(sqlite_url)
    kb.upsert(
        [
            lesson(1, "Headsets arrived late, so the go-live slipped a week", tags="headset"),
            lesson(2, "Single sign-on went live before training, which saved a day", tags="sso"),
            lesson(3, "Training in two shifts reached every agent", tags="training"),
        ]
    )
    kb.dispose()
    # "go-live" is one term: the SSO lesson says "live" but never "go-live", and has no headset
    found = CliRunner().invoke(app, ["lessons", "search", "headset go-live", "--store", sqlite_url])
    assert found.exit_code == 0, found.output
    assert "Headsets arrived late" in found.output and "Single sign-on" not in found.output
    # "training" is in most lessons' text: bm25 gives it a tiny weight, shown as a share of the best hit
    found = CliRunner().invoke(app, ["lessons", "search", "training", "--store", sqlite_url])
    shares = [int(s) for s in re.findall(r"relevance (\d+)%", found.output)]
    assert shares and shares[0] == 100 and all(s > 0 for s in shares) and "0.00" not in found.output


def test_suggestions_prefer_the_next_milestones_stage_and_say_why(sqlite_url) -> None:
    # the next milestone is a value-stage "Optimise routing" (tags: routing). An onboarding lesson that
    # shares its words ranks below every value-stage lesson; a lesson with no reason is not suggested.
    kb = open_kb(sqlite_url)
    kb.upsert(
        [
            lesson(1, "Optimise routing only after onboarding ends", stage="onboarding", tags="routing"),
            lesson(2, "Measure handle time before changing scripts", stage="value", tags="scripts"),
            lesson(3, "Routing rules need an owner", stage="value", tags="routing"),
            lesson(4, "Book the venue early", stage="renewal", tags="events"),
        ]
    )
    p = plan(
        [],
        [
            milestone("M1", check("Kick-off", "2026-01-02"), due="2026-01-05"),
            milestone(
                "M2",
                check("Done"),
                due="2026-03-01",
                title="Optimise routing",
                stage="value",
                tags=["routing"],
            ),
        ],
    )
    got = suggest(p, evaluate(p, None, D(2026, 1, 20)), kb)
    kb.dispose()
    assert [g["statement"] for g in got] == [
        "Routing rules need an owner",
        "Measure handle time before changing scripts",
        "Optimise routing only after onboarding ends",
    ]
    assert got[0]["why"].startswith("same stage (value) · shared tags: routing")
    assert got[2]["why"].startswith("stage onboarding, not value · shared tags: routing")
