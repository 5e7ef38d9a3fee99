"""Milestone status, achieved_on and slip, dependencies, review window, critical path, and risk triggers.

Each test builds its plan and observations in place. Metrics are daily with aggregate ``last``,
so a metric's series is simply its observations. Dates in comments are 2026 unless written out.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import builders
import pandas as pd
import pytest
from builders import at_least, check, daily, milestone, observations, plan, plan_data

from csnb.indicators.evaluation import evaluate
from csnb.plan import Plan

D = dt.date


# A daily lag metric from 0 on 2026-01-01 to 100 on 2026-03-01, after every due date here.
metric = partial(builders.metric, target={"value": 100, "date": "2026-03-01"})


def ms(snapshot, milestone_id: str) -> pd.Series:
    frame = snapshot.milestones
    return frame[frame["milestone"] == milestone_id].iloc[0]


def status(snapshot) -> dict[str, str]:
    return dict(zip(snapshot.milestones["milestone"], snapshot.milestones["status"], strict=True))


# --- done, achieved_on, slip --------------------------------------------------------------------------

# users >= 10 holds on 01-03, 01-04 and 01-06; admins >= 3 holds from 01-05 on.
# Each criterion has held by 01-05, but not at the same time: both hold first on 01-06.
USERS = daily("users", [5, 12, 12, 8, 12], first="2026-01-02")  # 01-02 .. 01-06
ADMINS = daily("admins", [1, 1, 2, 4, 4], first="2026-01-02")  # 01-02 .. 01-06
GO_LIVE = milestone("M1", at_least("users", 10), at_least("admins", 3), due="2026-01-10")
GO_LIVE_USERS = milestone("M1", at_least("users", 10), due="2026-01-10")


def test_done_when_all_criteria_held_at_once() -> None:
    snap = evaluate(
        plan([metric("users"), metric("admins")], [GO_LIVE]), observations(*USERS, *ADMINS), D(2026, 1, 8)
    )
    m = ms(snap, "M1")
    assert m["status"] == "done"
    assert m["achieved_on"] == D(2026, 1, 6)  # not 01-03 (admins short) nor 01-05 (users dipped to 8)
    assert m["slip_days"] == -4  # 01-06 - 01-10: four days early
    assert m["criteria_met"] == 2 and m["criteria_total"] == 2


def test_not_done_while_the_criteria_never_held_together() -> None:
    # as_of 01-05: users held on 01-03/04, admins holds on 01-05 only when users is 8
    snap = evaluate(
        plan([metric("users"), metric("admins")], [GO_LIVE]), observations(*USERS, *ADMINS), D(2026, 1, 5)
    )
    m = ms(snap, "M1")
    assert m["status"] != "done"
    assert m["achieved_on"] is None
    assert pd.isna(m["slip_days"])
    held = dict(zip(snap.criteria["metric"], snap.criteria["holds"], strict=True))
    assert held == {"users": False, "admins": True}  # on the current values 8 and 4


def test_achieved_late_is_done_with_positive_slip() -> None:
    # users reaches 10 on 01-07, two days after the 01-05 due date
    obs = observations(*daily("users", [4, 6, 8, 9, 10], first="2026-01-03"))  # 01-03 .. 01-07
    snap = evaluate(
        plan([metric("users")], [milestone("M1", at_least("users", 10), due="2026-01-05")]),
        obs,
        D(2026, 1, 9),
    )
    assert ms(snap, "M1")["status"] == "done"
    assert ms(snap, "M1")["achieved_on"] == D(2026, 1, 7)
    assert ms(snap, "M1")["slip_days"] == 2


def test_done_stays_done_when_the_metric_falls_back() -> None:
    # every criterion has held, all at once, on some period: done is not undone by a later dip
    obs = observations(*daily("users", [12, 3], first="2026-01-02"))
    snap = evaluate(plan([metric("users")], [milestone("M1", at_least("users", 10))]), obs, D(2026, 1, 5))
    assert ms(snap, "M1")["status"] == "done"
    assert ms(snap, "M1")["achieved_on"] == D(2026, 1, 2)


def test_observations_after_as_of_do_not_complete_a_milestone() -> None:
    # users reaches 12 on 01-09, the day after as_of: not done yet (due in 2 days, flat at 5: at_risk)
    obs = observations(*daily("users", [5, 5, 12], first="2026-01-07"))  # 01-07 .. 01-09
    snap = evaluate(plan([metric("users")], [GO_LIVE_USERS]), obs, D(2026, 1, 8))
    assert ms(snap, "M1")["status"] == "at_risk"
    assert ms(snap, "M1")["achieved_on"] is None


def test_a_manual_check_holds_from_its_done_on_date() -> None:
    # users >= 10 from 01-02, admin access granted on 01-04: done on 01-04, 6 days before the due date
    m1 = milestone("M1", at_least("users", 10), check("Admin access granted", done_on="2026-01-04"))
    obs = observations(*daily("users", [10, 11, 12], first="2026-01-02"))
    snap = evaluate(plan([metric("users")], [m1]), obs, D(2026, 1, 6))
    assert ms(snap, "M1")["status"] == "done"
    assert ms(snap, "M1")["achieved_on"] == D(2026, 1, 4)
    assert ms(snap, "M1")["slip_days"] == -6


def test_a_check_done_after_as_of_does_not_count_yet() -> None:
    m1 = milestone("M1", check("Admin access granted", done_on="2026-01-09"), due="2026-01-20")
    before = evaluate(plan([], [m1]), None, D(2026, 1, 8))
    assert ms(before, "M1")["status"] == "on_track"
    assert list(before.criteria["holds"]) == [False]
    on_the_day = evaluate(plan([], [m1]), None, D(2026, 1, 9))
    assert ms(on_the_day, "M1")["status"] == "done"
    assert ms(on_the_day, "M1")["achieved_on"] == D(2026, 1, 9)


def test_a_check_not_done_never_holds() -> None:
    m1 = milestone("M1", check("Training plan signed"), due="2026-01-05")
    snap = evaluate(plan([], [m1]), None, D(2026, 1, 8))
    assert ms(snap, "M1")["status"] == "late"
    assert list(snap.criteria["holds"]) == [False]


# --- late, not_started, blocked -----------------------------------------------------------------------


def test_as_of_on_the_due_date_is_not_late_and_the_day_after_is() -> None:
    m1 = milestone("M1", check("Kick-off held"), due="2026-01-06")
    on_due = evaluate(plan([], [m1]), None, D(2026, 1, 6))
    assert ms(on_due, "M1")["status"] == "at_risk"  # due in 0 days <= 7, the check not forecast to hold
    day_after = evaluate(plan([], [m1]), None, D(2026, 1, 7))
    assert ms(day_after, "M1")["status"] == "late"


def test_not_started_before_its_start_date() -> None:
    m1 = milestone("M1", check("Kick-off held"), start="2026-01-10", due="2026-01-30")
    assert ms(evaluate(plan([], [m1]), None, D(2026, 1, 9)), "M1")["status"] == "not_started"
    # the start day itself counts as started
    assert ms(evaluate(plan([], [m1]), None, D(2026, 1, 10)), "M1")["status"] == "on_track"


def test_blocked_while_a_dependency_is_not_done() -> None:
    m1 = milestone("M1", check("Numbers provisioned"), due="2026-01-20")
    m2 = milestone("M2", check("Agents trained"), due="2026-01-30", depends_on=["M1"])
    snap = evaluate(plan([], [m1, m2]), None, D(2026, 1, 5))
    assert status(snap) == {"M1": "on_track", "M2": "blocked"}
    assert ms(snap, "M2")["blocked_by"] == ("M1",)


def test_not_blocked_once_the_dependency_is_done() -> None:
    m1 = milestone("M1", check("Numbers provisioned", done_on="2026-01-03"), due="2026-01-20")
    m2 = milestone("M2", check("Agents trained"), due="2026-01-30", depends_on=["M1"])
    snap = evaluate(plan([], [m1, m2]), None, D(2026, 1, 5))
    assert status(snap) == {"M1": "done", "M2": "on_track"}
    assert ms(snap, "M2")["blocked_by"] == ()


def test_rules_apply_in_order_late_before_not_started_before_blocked() -> None:
    # M2 depends on an unfinished M1; it has not started yet -> not_started (not blocked).
    # M3 also depends on M1 and is past due -> late (not blocked).
    m1 = milestone("M1", check("Numbers provisioned"), due="2026-01-30")
    m2 = milestone("M2", check("Agents trained"), start="2026-01-20", due="2026-02-10", depends_on=["M1"])
    m3 = milestone("M3", check("Pilot call"), due="2026-01-04", depends_on=["M1"])
    snap = evaluate(plan([], [m1, m2, m3]), None, D(2026, 1, 5))
    assert status(snap) == {"M1": "on_track", "M2": "not_started", "M3": "late"}


# --- review window: at_risk vs on_track ---------------------------------------------------------------

CLIMBING = daily("adoption", [60, 70, 80, 90], first="2026-01-05")  # +10 per day, 90 on 01-08
FLAT = daily("adoption", [90, 90, 90, 90], first="2026-01-05")  # 90 every day


def _adoption_milestone(due: str, **fields: Any) -> Plan:
    return plan([metric("adoption")], [milestone("M1", at_least("adoption", 100), due=due, **fields)])


def test_inside_the_window_on_track_when_the_trend_reaches_the_criterion() -> None:
    # due 01-12, as_of 01-08: 4 days <= 7; forecast 90 + 10 * 4 = 130 >= 100
    snap = evaluate(_adoption_milestone("2026-01-12"), observations(*CLIMBING), D(2026, 1, 8))
    assert ms(snap, "M1")["status"] == "on_track"


def test_inside_the_window_at_risk_when_the_trend_falls_short() -> None:
    # flat at 90: forecast 90 on 01-12 < 100
    snap = evaluate(_adoption_milestone("2026-01-12"), observations(*FLAT), D(2026, 1, 8))
    assert ms(snap, "M1")["status"] == "at_risk"


def test_inside_the_window_at_risk_without_data() -> None:
    snap = evaluate(_adoption_milestone("2026-01-12"), observations(), D(2026, 1, 8))
    assert ms(snap, "M1")["status"] == "at_risk"


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        ("2026-01-15", "at_risk"),  # 7 days to go: inside the default 7-day window
        ("2026-01-16", "on_track"),  # 8 days to go: outside, so a flat trend is no alarm yet
    ],
)
def test_window_edge(due: str, expected: str) -> None:
    snap = evaluate(_adoption_milestone(due), observations(*FLAT), D(2026, 1, 8))
    assert ms(snap, "M1")["status"] == expected


def test_milestone_review_window_override() -> None:
    # due 01-20 is 12 days away: outside the default 7 days, inside the milestone's own 14
    default = evaluate(_adoption_milestone("2026-01-20"), observations(*FLAT), D(2026, 1, 8))
    assert ms(default, "M1")["status"] == "on_track"
    wider = evaluate(
        _adoption_milestone("2026-01-20", review_window_days=14), observations(*FLAT), D(2026, 1, 8)
    )
    assert ms(wider, "M1")["status"] == "at_risk"


def test_plan_review_window_setting_and_milestone_override() -> None:
    data = plan_data(
        [metric("adoption")],
        [
            milestone("M1", at_least("adoption", 100), due="2026-01-20"),
            milestone("M2", at_least("adoption", 100), due="2026-01-20", review_window_days=3),
        ],
        review_window_days=14,
    )
    snap = evaluate(Plan.model_validate(data), observations(*FLAT), D(2026, 1, 8))
    assert status(snap) == {"M1": "at_risk", "M2": "on_track"}  # 12 <= 14 for M1; 12 > 3 for M2


# --- critical path ------------------------------------------------------------------------------------


def test_critical_path_is_the_binding_chain_to_the_last_due_milestone() -> None:
    # M4 (due 01-20) is the last-due core milestone; it waits on M2 (01-10) and M3 (01-08): M2 binds,
    # and M2 waits on M1. The leap milestone M5 is due last but stays off the critical path.
    milestones = [
        milestone("M1", check("a"), due="2026-01-05"),
        milestone("M2", check("b"), due="2026-01-10", depends_on=["M1"]),
        milestone("M3", check("c"), due="2026-01-08"),
        milestone("M4", check("d"), due="2026-01-20", depends_on=["M2", "M3"]),
        milestone("M5", check("e"), due="2026-01-30", depends_on=["M4"], leap=True),
    ]
    snap = evaluate(plan([], milestones), None, D(2026, 1, 2))
    critical = dict(zip(snap.milestones["milestone"], snap.milestones["critical"], strict=True))
    assert critical == {"M1": True, "M2": True, "M3": False, "M4": True, "M5": False}


@pytest.mark.timeout(20)
def test_a_dependency_cycle_in_an_unvalidated_plan_does_not_hang() -> None:
    # Plan.model_validate does not look for cycles (load_plan does), so the engine must guard itself
    cyclic = plan(
        [],
        [
            milestone("M1", check("a"), due="2026-01-20", depends_on=["M2"]),
            milestone("M2", check("b"), due="2026-01-25", depends_on=["M1"]),
        ],
    )
    snap = evaluate(cyclic, None, D(2026, 1, 5))
    assert status(snap) == {"M1": "blocked", "M2": "blocked"}
    assert list(snap.milestones["critical"]) == [True, True]


# --- risks --------------------------------------------------------------------------------------------

TRAINING_RISK = {
    "id": "R1",
    "description": "Agents not trained in time",
    "owner": "dana",
    "likelihood": "medium",
    "impact": "high",
    "contingency": "Add a second training session",
    "trigger": {"metric": "agents_trained", "op": "<", "value": 50, "after": "2026-01-07"},
}


def _risk(snapshot) -> pd.Series:
    return snapshot.risks.iloc[0]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (D(2026, 1, 6), "clear"),  # before the trigger's `after` date
        (D(2026, 1, 7), "clear"),  # on it: triggers only after
        (D(2026, 1, 8), "triggered"),  # 40 < 50 and after 01-07
    ],
)
def test_risk_triggers_only_after_its_after_date(as_of: dt.date, expected: str) -> None:
    p = plan([metric("agents_trained")], risks=[TRAINING_RISK])
    snap = evaluate(p, observations(("agents_trained", "2026-01-05", 40)), as_of)
    assert _risk(snap)["current"] == 40.0
    assert _risk(snap)["status"] == expected


def test_risk_clear_when_the_condition_does_not_hold() -> None:
    p = plan([metric("agents_trained")], risks=[TRAINING_RISK])
    obs = observations(("agents_trained", "2026-01-05", 40), ("agents_trained", "2026-01-08", 55))
    snap = evaluate(p, obs, D(2026, 1, 9))
    assert _risk(snap)["current"] == 55.0
    assert _risk(snap)["status"] == "clear"


def test_risk_clear_without_data() -> None:
    p = plan([metric("agents_trained")], risks=[TRAINING_RISK])
    snap = evaluate(p, observations(), D(2026, 1, 9))
    assert pd.isna(_risk(snap)["current"])
    assert _risk(snap)["status"] == "clear"


def test_risk_without_after_date_triggers_as_soon_as_the_condition_holds() -> None:
    risk = {**TRAINING_RISK, "trigger": {"metric": "agents_trained", "op": "<", "value": 50}}
    snap = evaluate(
        plan([metric("agents_trained")], risks=[risk]),
        observations(("agents_trained", "2026-01-02", 10)),
        D(2026, 1, 2),
    )
    assert _risk(snap)["status"] == "triggered"
