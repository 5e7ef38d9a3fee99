"""The status rules of DESIGN, one hand-worked case per rule: a metric is judged at its data's own date.

Calendar (2026): 01-01 is a Thursday; the weeks used here run Mon 01-05..Sun 01-11, Mon 01-12..Sun
01-18, Mon 01-19..Sun 01-25. Unless a test says otherwise the metric is ``builders.metric``: daily,
aggregate ``last``, from 0 on 01-01 to 100 on 01-11 (glide path: 10 a day), tolerance 0.10.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from builders import at_least, check, daily, metric, milestone, observations, plan, plan_data

from csnb.errors import SourceError
from csnb.indicators.evaluation import evaluate
from csnb.indicators.inputs import needed_from_client
from csnb.plan import Plan
from csnb.sources import Observations

D = dt.date


def row(snapshot, metric_id: str = "adoption") -> pd.Series:
    frame = snapshot.metrics
    return frame[frame["metric"] == metric_id].iloc[0]


# A weekly metric from 0 on Mon 01-05 to 100 on Sun 01-25: twenty days, glide path 5 a day.
WEEKLY = dict(
    frequency="week",
    baseline={"value": 0, "date": "2026-01-05"},
    target={"value": 100, "date": "2026-01-25"},
    tolerance=0.02,
)


# --- periods that count, current_date, expected at current_date ---------------------------------------


def test_weekly_last_is_judged_at_the_day_of_its_data_not_the_report_date() -> None:
    # data: Mon 01-12 35, Wed 01-14 45, then nothing; report on Thu 01-15.
    # current 45 from Wed 01-14: expected = (01-14 - 01-05) / 20 = 9 / 20 = 0.45, progress 45 / 100 =
    # 0.45 -> on track. (At the report date the glide path says 0.50: 0.45 < 0.50 - 2 x 0.02 would have
    # read off track for a value lying exactly on the path.)
    obs = observations(("adoption", "2026-01-12", 35), ("adoption", "2026-01-14", 45))
    m = row(evaluate(plan([metric(aggregate="last", **WEEKLY)]), obs, D(2026, 1, 15)))
    assert (m["current"], m["current_date"]) == (45.0, D(2026, 1, 14))
    assert m["expected"] == pytest.approx(0.45)
    assert m["progress"] == pytest.approx(0.45)
    assert m["status"] == "on_track"
    assert (m["age_days"], bool(m["stale"])) == (1, False)


# Tickets closed per week, from 100 a week (Sun 01-11) to 240 (Sun 02-08): 28 days, 5 a day. 20 tickets
# a day from Mon 01-12 to Wed 01-21, then the data stops.
TICKETS = metric(
    "tickets",
    frequency="week",
    aggregate="sum",
    baseline={"value": 100, "date": "2026-01-11"},
    target={"value": 240, "date": "2026-02-08"},
)
TWENTY_A_DAY = daily("tickets", [20] * 10, first="2026-01-12")  # 01-12 .. 01-21


def test_weekly_sum_does_not_count_the_partial_week_of_the_report_date() -> None:
    # report on Thu 01-22. Week 01-12..01-18 is complete: 7 x 20 = 140, its data last dated Sun 01-18.
    # Week 01-19..01-25 holds the report date and ends after it: its 60 (three days) does not count.
    # expected = (01-18 - 01-11) / 28 = 0.25; progress = (140 - 100) / 140 = 0.286 -> on track.
    # (Judged on the part-week, 60 would be progress -0.29: off track for a week that is not over.)
    snap = evaluate(plan([TICKETS]), observations(*TWENTY_A_DAY), D(2026, 1, 22))
    m = row(snap, "tickets")
    assert (m["current"], m["current_date"]) == (140.0, D(2026, 1, 18))
    assert m["expected"] == pytest.approx(0.25)
    assert m["progress"] == pytest.approx(40 / 140)
    assert m["status"] == "on_track"
    # freshness counts from the newest observation, Wed 01-21, even though its week does not count yet
    assert (m["newest_date"], m["age_days"], bool(m["stale"])) == (D(2026, 1, 21), 1, False)
    assert list(snap.series["value"]) == [140.0]


def test_a_partial_sum_period_counts_once_its_last_day_has_passed() -> None:
    # report on Mon 01-26: week 01-19..01-25 is complete, with the 60 of its three days of data.
    # current 60 from Wed 01-21: expected (01-21 - 01-11) / 28 = 0.357, progress (60 - 100) / 140 =
    # -0.29 -> off track; the data is 5 days old, inside the weekly limit of 10.
    m = row(evaluate(plan([TICKETS]), observations(*TWENTY_A_DAY), D(2026, 1, 26)), "tickets")
    assert (m["current"], m["current_date"], m["age_days"]) == (60.0, D(2026, 1, 21), 5)
    assert m["expected"] == pytest.approx(10 / 28)
    assert m["status"] == "off_track"


# --- freshness: age_days and stale ---------------------------------------------------------------------

ON_THE_PATH = daily("adoption", [10, 20, 30], first="2026-01-02")  # 01-02 .. 01-04, then nothing


@pytest.mark.parametrize(
    ("day", "age", "stale"),
    [(4, 0, False), (5, 1, False), (6, 2, False), (7, 3, True)],
)
def test_a_metric_on_its_glide_path_stays_on_track_until_its_data_is_stale(
    day: int, age: int, stale: bool
) -> None:
    # 30 on 01-04 is exactly the glide path (3 days x 10). Judged at 01-04 whatever the report date:
    # expected 0.3, progress 0.3 -> on track. age = report date - 01-04; a daily metric is stale when
    # older than 2 days. Health: the only input, 100 while fresh; stale, it is left out -> no score.
    # (Judged at the report date it went on track -> at risk (01-06: 0.3 < 0.5 - 0.1) -> off track.)
    snap = evaluate(plan([metric()]), observations(*ON_THE_PATH), D(2026, 1, day))
    m = row(snap)
    assert (m["status"], m["expected"], m["age_days"], bool(m["stale"])) == ("on_track", 0.3, age, stale)
    assert snap.health.score == (None if stale else 100.0)
    assert snap.health.missing == (("adoption",) if stale else ())


def test_freshness_days_in_the_plan_replaces_the_frequency_default() -> None:
    # freshness_days 5: on 01-09 the data of 01-04 is 5 days old (not stale), on 01-10 six (stale)
    p = plan([metric(freshness_days=5)])
    assert not bool(row(evaluate(p, observations(*ON_THE_PATH), D(2026, 1, 9)))["stale"])
    assert bool(row(evaluate(p, observations(*ON_THE_PATH), D(2026, 1, 10)))["stale"])


@pytest.mark.parametrize(
    ("frequency", "limit"), [("day", 2), ("week", 10), ("month", 35)], ids=["day", "week", "month"]
)
def test_default_freshness_limit_per_frequency(frequency: str, limit: int) -> None:
    # one observation on 01-02: limit days later it is still fresh, a day more and it is stale
    p = plan([metric(frequency=frequency)])
    obs = observations(("adoption", "2026-01-02", 10))
    fresh = row(evaluate(p, obs, D(2026, 1, 2) + dt.timedelta(days=limit)))
    old = row(evaluate(p, obs, D(2026, 1, 2) + dt.timedelta(days=limit + 1)))
    assert (fresh["age_days"], bool(fresh["stale"]), old["age_days"], bool(old["stale"])) == (
        limit,
        False,
        limit + 1,
        True,
    )


# --- trend and forecast --------------------------------------------------------------------------------

# From 0 on 01-01 to 100 on 01-21 (5 a day); the data climbs 10 a day, 0 -> 20 over 01-01..01-03.
FAST = metric(target={"value": 100, "date": "2026-01-21"})
FAST_DATA = daily("adoption", [0, 10, 20], first="2026-01-01")


def test_a_forecast_never_falls_before_the_report_date() -> None:
    # trend +10 a day; from 20 on 01-03, (100 - 20) / 10 = 8 days -> 01-11.
    # On 01-10 that is still ahead: forecast 01-11. On 01-12 it has passed without the target being
    # reached (current still 20): no forecast, the metric is "not on course to reach target".
    before = row(evaluate(plan([FAST]), observations(*FAST_DATA), D(2026, 1, 10)))
    after = row(evaluate(plan([FAST]), observations(*FAST_DATA), D(2026, 1, 12)))
    assert before["trend"] == pytest.approx(10.0)
    assert before["forecast_date"] == D(2026, 1, 11)
    assert after["forecast_date"] is None
    assert after["status"] != "achieved"


def test_trend_uses_only_the_periods_that_count() -> None:
    # weekly sums 140 (week of 01-12) and, at the report date 01-22, a partial 60 that does not count:
    # one period is too few for a trend (two are needed), so there is no slope and no forecast
    m = row(evaluate(plan([TICKETS]), observations(*TWENTY_A_DAY), D(2026, 1, 22)), "tickets")
    assert pd.isna(m["trend"]) and m["forecast_date"] is None and m["periods"] == 1


# --- lead check: predicts, predicts nothing, cannot tell ----------------------------------------------

LEAD = metric("trained", kind="lead", leads=["adoption"])


def test_lead_check_cannot_tell_with_too_few_points() -> None:
    # three days of each: two day-over-day changes, fewer than the four a correlation needs
    obs = observations(*daily("trained", [1, 3, 2]), *daily("adoption", [5, 6, 9]))
    c = evaluate(plan([LEAD, metric()]), obs, D(2026, 1, 3)).lead_checks.iloc[0]
    assert (c["predicts"], c["verdict"]) == (None, "cannot tell")
    assert c["reason"] == "2 paired changes; at least 4 are needed"


def test_lead_check_cannot_tell_when_the_lead_does_not_vary() -> None:
    # the lead is flat at 10 for six days: five changes of 0, no variation to correlate with
    obs = observations(*daily("trained", [10] * 6), *daily("adoption", [1, 2, 4, 5, 7, 9]))
    c = evaluate(plan([LEAD, metric()]), obs, D(2026, 1, 6)).lead_checks.iloc[0]
    assert (c["predicts"], c["verdict"], c["reason"]) == (None, "cannot tell", "no variation")


# --- health: missing inputs, the cap -------------------------------------------------------------------


def test_health_leaves_out_stale_and_failed_inputs_and_names_them() -> None:
    # fresh: 100 on 01-11 -> achieved (100 points, weight 2). stale: 30 on 01-04 is 7 days old on
    # 01-11 (limit 2). failed: its source did not answer -> status error. Only "fresh" counts:
    # score = 100 x 2 / 2 = 100; the other two carry no weight and are named, with why.
    p = plan([metric("fresh"), metric("stale"), metric("failed")])
    frame = observations(("fresh", "2026-01-11", 100), ("stale", "2026-01-04", 30))
    failure = SourceError("connection refused", client="acme", metric="failed", source="files")
    snap = evaluate(p, Observations(frame, [failure]), D(2026, 1, 11))
    assert row(snap, "failed")["status"] == "error"  # not no_data: the source failed
    assert "source files" in row(snap, "failed")["error"]
    assert snap.health.score == 100.0
    assert snap.health.missing == ("stale", "failed")
    comp = snap.health.components.set_index("input")
    assert dict(comp["missing"]) == {"fresh": "", "stale": "stale", "failed": "error"}
    assert list(comp["weight"]) == [2.0, 0.0, 0.0]


def _goal_plan() -> Plan:
    # calls per agent: 40 on 01-01 -> 46 by 01-11. Three more outcome metrics of the builders' shape.
    calls = metric(
        "calls", baseline={"value": 40, "date": "2026-01-01"}, target={"value": 46, "date": "2026-01-11"}
    )
    data = plan_data([calls, metric("a"), metric("b"), metric("c")])
    data["goals"] = [
        {"id": "productivity", "statement": "+15% calls per agent", "metrics": ["calls"]},
        {"id": "adoption", "statement": "Everyone on the platform", "metrics": ["a", "b", "c"]},
    ]
    return Plan.model_validate(data)


def test_a_missed_headline_goal_caps_health_at_amber_with_the_reason() -> None:
    # report on 01-12, the day after both target dates. calls 44: progress 4 / 6 = 0.67 < 1 -> missed
    # (0 points). a, b, c at 100 -> achieved (100 points each). All outcome metrics, weight 2:
    # score = (0 x 2 + 100 x 2 x 3) / 8 = 75.0: green by the score, but a goal's lag metric is missed,
    # so the band is capped at amber and says which goal caps it.
    rows = [("calls", "2026-01-12", 44)] + [(m, "2026-01-12", 100) for m in "abc"]
    snap = evaluate(_goal_plan(), observations(*rows), D(2026, 1, 12))
    assert row(snap, "calls")["status"] == "missed"
    assert (snap.health.score, snap.health.band) == (75.0, "amber")
    [cap] = snap.health.capped_by
    assert (cap["goal"], cap["metric"], cap["status"]) == ("productivity", "calls", "missed")


def test_health_does_not_move_while_no_data_arrives() -> None:
    # the on-path metric of 01-04 and a milestone (check done 01-02, due 01-20): from 01-04 to 01-06
    # nothing arrives, nothing turns stale, no date passes: health stays (100 x 1 + 100 x 2) / 3 = 100
    p = plan([metric()], [milestone("M1", check("Kick-off", "2026-01-02"), due="2026-01-20")])
    scores = {evaluate(p, observations(*ON_THE_PATH), D(2026, 1, d)).health.score for d in (4, 5, 6)}
    assert scores == {100.0}


# --- milestones: achieved on the date of the data ------------------------------------------------------


def test_a_milestone_is_achieved_on_the_date_of_its_data_not_the_period_start() -> None:
    # weekly users: 12 on Wed 01-14 meets users >= 10; the week starts Mon 01-12, but the data showing
    # it is dated 01-14: achieved_on 01-14, due Fri 01-16 -> slip -2 days
    users = metric("users", **WEEKLY)
    m1 = milestone("M1", at_least("users", 10), due="2026-01-16")
    snap = evaluate(plan([users], [m1]), observations(("users", "2026-01-14", 12)), D(2026, 1, 20))
    ms = snap.milestones.iloc[0]
    assert (ms["status"], ms["achieved_on"], ms["slip_days"]) == ("done", D(2026, 1, 14), -2)


# --- client inputs ----------------------------------------------------------------------------------------


def test_client_inputs_open_overdue_received_and_what_is_needed_first() -> None:
    # report on 01-08. M1 is done (check on 01-02), M2 is not (due 01-20).
    # M2: "Agent list" needed by 01-04 -> overdue by 4 days; "Logo" needed by 01-06 -> overdue by 2;
    #     "Floor plan" needed by 01-15 -> open; "VPN" received 01-03 -> received.
    # M1: "Admin contact" needed by 01-01 and never received -> overdue, but M1 is done: not asked for.
    def needs(text: str, by: str, received: str | None = None) -> dict:
        return {"description": text, "needed_by": by, "received_on": received}

    m1 = milestone(
        "M1", check("Kick-off", "2026-01-02"), client_inputs=[needs("Admin contact", "2026-01-01")]
    )
    m2 = milestone(
        "M2",
        check("Agents trained"),
        due="2026-01-20",
        client_inputs=[
            needs("Floor plan", "2026-01-15"),
            needs("Logo", "2026-01-06"),
            needs("VPN", "2026-01-02", received="2026-01-03"),
            needs("Agent list", "2026-01-04"),
        ],
    )
    snap = evaluate(plan([], [m1, m2]), None, D(2026, 1, 8))
    status = dict(zip(snap.inputs["description"], snap.inputs["status"], strict=True))
    assert status == {
        "Admin contact": "overdue",
        "Floor plan": "open",
        "Logo": "overdue",
        "VPN": "received",
        "Agent list": "overdue",
    }
    wanted = needed_from_client(snap.inputs)
    assert list(zip(wanted["description"], wanted["days_overdue"], strict=True)) == [
        ("Agent list", 4),
        ("Logo", 2),
        ("Floor plan", 0),
    ]
