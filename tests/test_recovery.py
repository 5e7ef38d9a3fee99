"""Recovery plans: actions (what, who, by when, how far) recorded in the plan for a goal or milestone that is
behind, shown in both editions; a gap is the CSM's to-do in the operator edition, never an empty promise to
the client.

Every plan here has a daily outcome ``routing`` that should fall from 600 to 360 between 01-01 and 01-11 but
sits near 590 on 01-06 (4% of the way against 50% expected): off track.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
import yaml
from builders import DANA, at_least, daily, metric, milestone, observations, plan_data
from typer.testing import CliRunner

from csnb.cli import app
from csnb.errors import PlanError
from csnb.indicators.changes import diff
from csnb.indicators.evaluation import evaluate
from csnb.plan import Plan, load_plan
from csnb.report.build import Report
from csnb.report.onepager import one_pager, recovery_gaps

D = dt.date
LEE = {"id": "lee", "name": "Lee Chen", "side": "client", "role": "VP Operations"}
ROWS = daily("routing", [600, 598, 596, 594, 592, 590])
AS_OF = D(2026, 1, 6)


def action(text: str, owner: str = "dana", due: str = "2026-01-12", status: str = "planned") -> dict:
    return {"action": text, "owner": owner, "due": due, "status": status}


def routing_plan(goal_actions: list[dict] | None = None, milestone_actions: list[dict] | None = None) -> dict:
    """One off-track goal and one milestone, late since 01-05, each with the given recovery actions."""
    data = plan_data(
        [
            metric(
                "routing",
                name="Manual routing time",
                unit="minutes",
                direction="down",
                baseline={"value": 600, "date": "2026-01-01"},
                target={"value": 360, "date": "2026-01-11"},
            )
        ],
        [milestone("M1", at_least("routing", 10_000), due="2026-01-05", title="Depot go-live")],
    )
    data["milestones"][0]["title"] = "Depot go-live"
    data["people"] = [DANA, LEE]
    data["goals"] = [{"id": "route", "statement": "Cut routing time by 40%", "metrics": ["routing"]}]
    if goal_actions is not None:
        data["goals"][0]["recovery"] = goal_actions
    if milestone_actions is not None:
        data["milestones"][0]["recovery"] = milestone_actions
    return data


def report(data: dict, audience: str) -> Report:
    p = Plan.model_validate(data)
    snap = evaluate(p, observations(*ROWS), AS_OF)
    return Report(p, snap, diff(None, snap, p), audience, pd.DataFrame())


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_plan_and_its_schema_know_recovery_actions() -> None:
    p = Plan.model_validate(routing_plan([action("Review overrides", status="in_progress")]))
    [a] = p.goals[0].recovery
    assert (a.action, a.owner, a.due, a.status) == ("Review overrides", "dana", D(2026, 1, 12), "in_progress")
    assert p.milestones[0].recovery == []
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = result.output
    assert '"RecoveryAction"' in schema and '"in_progress"' in schema and '"recovery"' in schema


def test_an_unknown_recovery_status_names_file_line_and_field(tmp_path: Path) -> None:
    data = routing_plan([action("Review overrides", status="someday")])
    text = yaml.safe_dump(data, sort_keys=False)
    (tmp_path / "plan.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "metrics.csv").write_text("client,metric,date,value\n", encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(tmp_path / "plan.yaml", env={}, display="plan.yaml")
    [issue] = info.value.issues
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "someday" in row)
    assert (issue.file, issue.line, issue.field) == ("plan.yaml", line, "goals[0].recovery[0].status")
    assert "'planned', 'in_progress' or 'done'" in issue.message


def test_an_off_track_goal_and_a_late_milestone_show_their_actions_in_both_editions() -> None:
    data = routing_plan(
        [
            action("Review every manual override", "dana", "2026-01-09"),
            action("Train the night shift", "lee"),
        ],
        [action("Import the depot's routes by hand", "lee", "2026-01-08", "in_progress")],
    )
    for audience in ("executive", "operator"):
        r = report(data, audience)
        assert one_pager(r)["recovery"] == [
            {
                "for": "Cut routing time by 40%",
                "action": "Review every manual override",
                "owner": "Dana Ortiz",
                "due": "9 Jan 2026",
                "status": "Planned",
            },
            {
                "for": "Cut routing time by 40%",
                "action": "Train the night shift",
                "owner": "Lee Chen",
                "due": "12 Jan 2026",
                "status": "Planned",
            },
            {
                "for": "Depot go-live",
                "action": "Import the depot's routes by hand",
                "owner": "Lee Chen",
                "due": "8 Jan 2026",
                "status": "In progress",
            },
        ]
        shown = words(r.html("summary"))
        heading = "Recovery actions Cut routing time by 40% Review every manual override"
        assert f"{heading} — Dana Ortiz, by 9 Jan 2026" in shown
        assert "Import the depot's routes by hand — Lee Chen, by 8 Jan 2026 (In progress)" in shown
        assert "No recovery action recorded" not in shown


def test_done_actions_follow_open_ones() -> None:
    data = routing_plan(
        [action("Old fix", due="2026-01-02", status="done"), action("New fix", due="2026-01-10")]
    )
    assert [a["action"] for a in one_pager(report(data, "executive"))["recovery"]] == ["New fix", "Old fix"]


def test_without_actions_the_operator_edition_flags_the_gap_and_the_executive_edition_stays_silent() -> None:
    data = routing_plan(goal_actions=[action("Review every manual override")])  # the milestone has none
    operator = report(data, "operator")
    assert recovery_gaps(operator) == [
        "No recovery action recorded for “Depot go-live” (late) — add one under milestones → M1 → recovery "
        "in the plan."
    ]
    assert "For the team: No recovery action recorded for “Depot go-live” (late)" in words(
        operator.html("summary")
    )
    executive = words(report(data, "executive").html("summary"))
    assert "No recovery action" not in executive and "For the team" not in executive
    assert [a["for"] for a in one_pager(report(data, "executive"))["recovery"]] == ["Cut routing time by 40%"]


def test_nothing_behind_means_no_recovery_section_and_no_flag() -> None:
    data = routing_plan()
    data["milestones"][0]["due"] = "2026-02-20"  # not late, not due within the review window
    data["metrics"][0]["target"]["date"] = "2026-03-01"  # a long glide path: 590 on 01-06 is on track
    r = report(data, "operator")
    assert r.snapshot.goals["status"].tolist() == ["on_track"]
    assert one_pager(r)["recovery"] == [] and recovery_gaps(r) == []
    assert "Recovery actions" not in words(r.html("summary"))


def test_a_recovery_action_on_a_goal_that_is_on_track_is_not_shown() -> None:
    # recovery is for what is behind: a plan may keep old actions after the goal recovered
    data = routing_plan([action("Review every manual override")])
    data["metrics"][0]["target"]["date"] = "2026-03-01"
    data["milestones"][0]["due"] = "2026-02-20"
    assert one_pager(report(data, "executive"))["recovery"] == []


def test_the_demo_shows_recorded_actions_and_one_gap(demo) -> None:
    from csnb.report import prepare

    gaps, actions = [], []
    for client in ("acme", "northwind", "fernhill"):
        r = prepare(demo / "parameters" / f"{client}.yaml", audience="operator", project_root=demo)
        gaps += recovery_gaps(r)
        actions += one_pager(r)["recovery"]
    assert len(actions) >= 5
    assert gaps == [
        "No recovery action recorded for “Manual routing time down 25%” (at risk) — add one under "
        "milestones → M3 → recovery in the plan."
    ]
