"""Metric indicators by the status rules: aggregation, current, progress, glide path, status, trend, forecast.

Every test builds its plan and observations in place and states the expected numbers worked out by
hand. Unless a test says otherwise the metric (``builders.metric``) is a daily lag metric (aggregate
``last``) that should climb from 0 on 2026-01-01 to 100 on 2026-01-11 with a tolerance of 0.10: ten
days, so a value dated 2026-01-06 is expected half the way (expected = 5 / 10 = 0.5). A metric is
judged at the date of its latest data (``current_date``), not at ``as_of``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from builders import at_least, metric, milestone, observations, plan
from hypothesis import given, settings
from hypothesis import strategies as st

from csnb.indicators.evaluation import evaluate, evaluate_portfolio
from csnb.indicators.metrics import classify

D = dt.date


def row(snapshot, metric_id: str = "adoption") -> pd.Series:
    """The snapshot's metrics row of one metric."""
    frame = snapshot.metrics
    return frame[frame["metric"] == metric_id].iloc[0]


def series(snapshot, metric_id: str = "adoption") -> list[tuple[dt.date, float]]:
    """The aggregated series of one metric as (period start, value) pairs."""
    frame = snapshot.series[snapshot.series["metric"] == metric_id]
    return [(pd.Timestamp(d).date(), float(v)) for d, v in zip(frame["date"], frame["value"], strict=True)]


# Manual routing time, which should fall from 600 minutes on 2026-01-01 to 360 on 2026-01-11.
ROUTING = metric(
    "routing_minutes",
    direction="down",
    baseline={"value": 600, "date": "2026-01-01"},
    target={"value": 360, "date": "2026-01-11"},
)


# --- status -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (100, "achieved"),  # progress 100/100 = 1
        (120, "achieved"),  # beyond the target still counts as achieved
        (45, "on_track"),  # 0.45 >= 0.5 - 0.1
        (40, "on_track"),  # 0.40 is exactly expected - tolerance: still on track
        (35, "at_risk"),  # 0.35 < 0.40 but >= 0.5 - 2 * 0.1
        (30, "at_risk"),  # 0.30 is exactly expected - 2 * tolerance: at risk, not off track
        (29, "off_track"),  # 0.29 < 0.30
        (-10, "off_track"),  # worse than the baseline: progress -0.1
    ],
)
def test_status_against_the_glide_path_half_way(value: float, status: str) -> None:
    snap = evaluate(plan([metric()]), observations(("adoption", "2026-01-06", value)), D(2026, 1, 6))
    m = row(snap)
    assert m["expected"] == pytest.approx(0.5)
    assert m["progress"] == pytest.approx(value / 100)
    assert m["status"] == status


def test_boundaries_hold_with_values_that_are_not_exact_in_binary() -> None:
    # baseline 600 -> target 360 (down), tolerance 0.1, as_of half way: expected 0.5.
    # 504 is progress (504 - 600) / (360 - 600) = 0.4 = 0.5 - 0.1: on track;
    # 528 is progress 72 / 240 = 0.3 = 0.5 - 2 * 0.1: at risk. Neither may flip by float error.
    routing = ROUTING
    delay = dict(routing, id="delay_minutes")
    obs = observations(("routing_minutes", "2026-01-06", 504), ("delay_minutes", "2026-01-06", 528))
    snap = evaluate(plan([routing, delay]), obs, D(2026, 1, 6))
    assert row(snap, "routing_minutes")["progress"] == pytest.approx(0.4)
    assert row(snap, "routing_minutes")["status"] == "on_track"
    assert row(snap, "delay_minutes")["progress"] == pytest.approx(0.3)
    assert row(snap, "delay_minutes")["status"] == "at_risk"


def test_no_observations_is_no_data() -> None:
    snap = evaluate(plan([metric()]), observations(), D(2026, 1, 6))
    m = row(snap)
    assert m["status"] == "no_data"
    assert np.isnan(m["current"]) and np.isnan(m["progress"])
    assert m["current_date"] is None
    assert m["forecast_date"] is None


def test_only_observations_after_as_of_is_no_data() -> None:
    snap = evaluate(plan([metric()]), observations(("adoption", "2026-01-07", 90)), D(2026, 1, 6))
    assert row(snap)["status"] == "no_data"


def test_on_the_target_date_a_short_metric_is_not_yet_missed() -> None:
    # as_of == target date: expected 1; progress 0.9 >= 1 - 0.1 -> on_track
    snap = evaluate(plan([metric()]), observations(("adoption", "2026-01-11", 90)), D(2026, 1, 11))
    assert row(snap)["expected"] == 1.0
    assert row(snap)["status"] == "on_track"


def test_the_day_after_the_target_date_a_short_metric_is_missed() -> None:
    # as_of > target date and progress 0.9 < 1 -> missed (whatever the tolerance)
    snap = evaluate(plan([metric()]), observations(("adoption", "2026-01-11", 90)), D(2026, 1, 12))
    assert row(snap)["expected"] == 1.0  # clipped at 1
    assert row(snap)["status"] == "missed"


def test_reaching_the_target_late_is_achieved_not_missed() -> None:
    snap = evaluate(plan([metric()]), observations(("adoption", "2026-01-20", 100)), D(2026, 1, 20))
    assert row(snap)["status"] == "achieved"


def test_current_equal_to_baseline_is_zero_progress() -> None:
    # on the baseline date the glide path expects nothing yet: progress 0 >= 0 - 0.1 -> on_track
    snap = evaluate(plan([metric()]), observations(("adoption", "2026-01-01", 0)), D(2026, 1, 1))
    assert row(snap)["progress"] == 0.0
    assert row(snap)["expected"] == 0.0
    assert row(snap)["status"] == "on_track"
    # four days later with no new data: the value is still judged at its own date, 2026-01-01, where
    # the glide path expects 0 -> on_track; but it is 4 days old (> 2 for a daily metric): stale
    snap = evaluate(plan([metric()]), observations(("adoption", "2026-01-01", 0)), D(2026, 1, 5))
    assert row(snap)["progress"] == 0.0
    assert row(snap)["expected"] == 0.0
    assert row(snap)["status"] == "on_track"
    assert (row(snap)["age_days"], bool(row(snap)["stale"])) == (4, True)
    # a fresh reading on 2026-01-05, still at the baseline: expected (01-05 - 01-01) / 10 = 0.4,
    # progress 0 < 0.4 - 2 * 0.1 = 0.2 -> off_track
    obs = observations(("adoption", "2026-01-01", 0), ("adoption", "2026-01-05", 0))
    snap = evaluate(plan([metric()]), obs, D(2026, 1, 5))
    assert row(snap)["progress"] == 0.0
    assert row(snap)["expected"] == pytest.approx(0.4)
    assert row(snap)["status"] == "off_track"


def test_expected_is_zero_before_the_baseline_date() -> None:
    # (2025-12-30 - 2026-01-01) / 10 days = -0.2, clipped to 0
    snap = evaluate(plan([metric()]), observations(("adoption", "2025-12-30", 5)), D(2025, 12, 30))
    assert row(snap)["expected"] == 0.0
    assert row(snap)["status"] == "on_track"


# --- direction down -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "progress", "status"),
    [
        (480, 0.5, "on_track"),  # (480 - 600) / (360 - 600) = 0.5 >= 0.4
        (520, 1 / 3, "at_risk"),  # -80 / -240 = 0.333 in [0.3, 0.4)
        (650, -50 / 240, "off_track"),  # rising is going the wrong way: progress -0.208
        (360, 1.0, "achieved"),  # on the target
        (300, 300 / 240, "achieved"),  # below the target is better still
    ],
)
def test_direction_down_falling_value_is_progress(minutes: float, progress: float, status: str) -> None:
    routing = ROUTING
    snap = evaluate(plan([routing]), observations(("routing_minutes", "2026-01-06", minutes)), D(2026, 1, 6))
    m = row(snap, "routing_minutes")
    assert m["progress"] == pytest.approx(progress)
    assert m["status"] == status


def test_direction_down_missed_after_the_target_date() -> None:
    routing = ROUTING
    snap = evaluate(plan([routing]), observations(("routing_minutes", "2026-01-12", 380)), D(2026, 1, 12))
    assert row(snap, "routing_minutes")["status"] == "missed"  # progress 220 / 240 < 1, after the target


# --- aggregation --------------------------------------------------------------------------------------


def test_week_buckets_start_on_monday() -> None:
    # 2026-01-04 is a Sunday: it belongs to the week of Monday 2025-12-29.
    # 2026-01-05 (Mon) and 2026-01-11 (Sun) share the week of Monday 2026-01-05: 2 + 4 = 6.
    # as_of Sunday 2026-01-11 is that week's last day, so the week is complete and counts; current_date
    # is its last observation, Sunday 2026-01-11 (the series still names the week by its Monday).
    weekly = metric(frequency="week", aggregate="sum")
    obs = observations(
        ("adoption", "2026-01-04", 1), ("adoption", "2026-01-05", 2), ("adoption", "2026-01-11", 4)
    )
    snap = evaluate(plan([weekly]), obs, D(2026, 1, 11))
    assert series(snap) == [(D(2025, 12, 29), 1.0), (D(2026, 1, 5), 6.0)]
    assert row(snap)["current"] == 6.0
    assert row(snap)["current_date"] == D(2026, 1, 11)


def test_month_buckets_start_on_the_first() -> None:
    # 2026-01-31 is January; 2026-02-01 and 2026-02-28 are February (20 + 5 = 25). On 2026-03-01
    # February is complete; current_date is its last observation, 2026-02-28, not the 1st.
    monthly = metric(frequency="month", aggregate="sum")
    obs = observations(
        ("adoption", "2026-01-31", 10), ("adoption", "2026-02-01", 20), ("adoption", "2026-02-28", 5)
    )
    snap = evaluate(plan([monthly]), obs, D(2026, 3, 1))
    assert series(snap) == [(D(2026, 1, 1), 10.0), (D(2026, 2, 1), 25.0)]
    assert row(snap)["current_date"] == D(2026, 2, 28)
    assert row(snap)["current"] == 25.0


@pytest.mark.parametrize(
    ("aggregate", "value"),
    [
        ("sum", 18.0),  # 3 + 9 + 6
        ("mean", 6.0),  # 18 / 3
        ("last", 6.0),  # Thursday's value: the latest date, although it is not the last row
        ("min", 3.0),
        ("max", 9.0),
        ("count", 3.0),  # three observations
    ],
)
def test_each_aggregate_over_one_week(aggregate: str, value: float) -> None:
    weekly = metric(frequency="week", aggregate=aggregate)
    obs = observations(
        ("adoption", "2026-01-08", 6),  # Thursday
        ("adoption", "2026-01-05", 3),  # Monday
        ("adoption", "2026-01-06", 9),
    )  # Tuesday
    snap = evaluate(plan([weekly]), obs, D(2026, 1, 11))
    assert series(snap) == [(D(2026, 1, 5), value)]
    assert row(snap)["current"] == value


def test_observations_after_as_of_are_ignored() -> None:
    # as_of Tuesday 2026-01-06: Wednesday's 100 must not be seen. The weekly sum's week (Mon 01-05 ..
    # Sun 01-11) holds as_of and is not complete, so no period counts yet (its partial 3 + 9 = 12 is
    # not a week's sum): no_data; its newest observation is Tuesday's (age 0), never Wednesday's.
    # Nor may the daily metric see Wednesday's value.
    weekly = metric("tickets", frequency="week", aggregate="sum")
    obs = observations(
        ("tickets", "2026-01-05", 3),
        ("tickets", "2026-01-06", 9),
        ("tickets", "2026-01-07", 100),
        ("adoption", "2026-01-05", 40),
        ("adoption", "2026-01-07", 90),
    )
    snap = evaluate(plan([weekly, metric()]), obs, D(2026, 1, 6))
    assert series(snap, "tickets") == []
    assert row(snap, "tickets")["status"] == "no_data"
    assert (row(snap, "tickets")["newest_date"], row(snap, "tickets")["age_days"]) == (D(2026, 1, 6), 0)
    assert row(snap)["current"] == 40.0
    assert series(snap) == [(D(2026, 1, 5), 40.0)]
    # once as_of reaches the week's end (Sun 01-11) Wednesday is no longer after it: 3 + 9 + 100 = 112
    snap = evaluate(plan([weekly, metric()]), obs, D(2026, 1, 11))
    assert series(snap, "tickets") == [(D(2026, 1, 5), 112.0)]


def test_nan_values_are_dropped() -> None:
    # the NaN on 2026-01-05 is no observation: current stays 2026-01-04's 30, and the week's mean
    # over 4, NaN, 8 is 6 (not NaN)
    weekly = metric("tickets", frequency="week", aggregate="mean")
    obs = observations(
        ("adoption", "2026-01-04", 30),
        ("adoption", "2026-01-05", float("nan")),
        ("tickets", "2026-01-05", 4),
        ("tickets", "2026-01-06", float("nan")),
        ("tickets", "2026-01-07", 8),
    )
    snap = evaluate(plan([metric(), weekly]), obs, D(2026, 1, 8))
    assert row(snap)["current"] == 30.0
    assert row(snap)["current_date"] == D(2026, 1, 4)
    assert series(snap) == [(D(2026, 1, 4), 30.0)]
    assert row(snap, "tickets")["current"] == 6.0


def test_current_is_the_last_period_at_or_before_as_of() -> None:
    # nothing on 2026-01-05 and 2026-01-06: current is 2026-01-04's value; as_of itself counts
    obs = observations(("adoption", "2026-01-02", 20), ("adoption", "2026-01-04", 35))
    snap = evaluate(plan([metric()]), obs, D(2026, 1, 6))
    assert row(snap)["current"] == 35.0
    assert row(snap)["current_date"] == D(2026, 1, 4)
    snap = evaluate(plan([metric()]), obs, D(2026, 1, 4))
    assert row(snap)["current"] == 35.0
    snap = evaluate(plan([metric()]), obs, D(2026, 1, 3))
    assert row(snap)["current"] == 20.0


def test_delta_against_the_previous_period() -> None:
    obs = observations(("adoption", "2026-01-02", 20), ("adoption", "2026-01-04", 35))
    m = row(evaluate(plan([metric()]), obs, D(2026, 1, 6)))
    assert m["previous"] == 20.0
    assert m["delta"] == 15.0  # 35 - 20
    assert m["periods"] == 2
    first = row(evaluate(plan([metric()]), obs, D(2026, 1, 2)))
    assert np.isnan(first["previous"]) and np.isnan(first["delta"])  # one period: nothing to compare with


# --- trend and forecast -------------------------------------------------------------------------------

SPIKE_THEN_CLIMB = (
    ("adoption", "2026-01-01", 100),
    ("adoption", "2026-01-02", 10),
    ("adoption", "2026-01-03", 20),
    ("adoption", "2026-01-04", 30),
)


def test_trend_is_the_slope_over_the_last_trend_periods() -> None:
    # last 3 periods: 10, 20, 30 -> slope 10 per day; the spike on 2026-01-01 is outside the window
    snap = evaluate(plan([metric()], trend_periods=3), observations(*SPIKE_THEN_CLIMB), D(2026, 1, 4))
    assert row(snap)["trend"] == pytest.approx(10.0)


def test_trend_over_four_periods_includes_the_spike() -> None:
    # default N = 4: x = 0..3, y = 100, 10, 20, 30; mean x 1.5, mean y 40
    # Sxy = (-1.5)(60) + (-0.5)(-30) + (0.5)(-20) + (1.5)(-10) = -100, Sxx = 5 -> slope -20
    snap = evaluate(plan([metric()]), observations(*SPIKE_THEN_CLIMB), D(2026, 1, 4))
    assert row(snap)["trend"] == pytest.approx(-20.0)


def test_trend_needs_two_periods() -> None:
    snap = evaluate(plan([metric()]), observations(("adoption", "2026-01-04", 30)), D(2026, 1, 4))
    assert np.isnan(row(snap)["trend"])
    assert row(snap)["forecast_date"] is None


def test_forecast_is_the_date_the_trend_reaches_target() -> None:
    # current 30 on 2026-01-04, +10 per day: (100 - 30) / 10 = 7 days -> 2026-01-11
    snap = evaluate(plan([metric()], trend_periods=3), observations(*SPIKE_THEN_CLIMB), D(2026, 1, 4))
    assert row(snap)["forecast_date"] == D(2026, 1, 11)


def test_no_forecast_when_the_trend_moves_away_from_target() -> None:
    obs = observations(
        ("adoption", "2026-01-02", 30), ("adoption", "2026-01-03", 20), ("adoption", "2026-01-04", 10)
    )
    snap = evaluate(plan([metric()]), obs, D(2026, 1, 4))
    assert row(snap)["trend"] == pytest.approx(-10.0)
    assert row(snap)["forecast_date"] is None


def test_no_forecast_on_a_flat_trend() -> None:
    obs = observations(
        ("adoption", "2026-01-02", 30), ("adoption", "2026-01-03", 30), ("adoption", "2026-01-04", 30)
    )
    snap = evaluate(plan([metric()]), obs, D(2026, 1, 4))
    assert row(snap)["trend"] == pytest.approx(0.0)
    assert row(snap)["forecast_date"] is None


def test_achieved_metric_forecasts_its_current_period() -> None:
    obs = observations(("adoption", "2026-01-03", 60), ("adoption", "2026-01-04", 100))
    snap = evaluate(plan([metric()]), obs, D(2026, 1, 6))
    assert row(snap)["status"] == "achieved"
    assert row(snap)["forecast_date"] == D(2026, 1, 4)


ROUTING_WEEKLY = metric(
    "routing_minutes",
    direction="down",
    frequency="week",
    aggregate="mean",
    baseline={"value": 600, "date": "2026-01-05"},
    target={"value": 360, "date": "2026-03-02"},
)


def test_trend_forecast_for_a_down_metric() -> None:
    # weekly means 560, 520, 480 (weeks of Mon 01-05, 01-12, 01-19): slope -40 per week.
    # current 480 dated Tue 2026-01-20 (the week's last observation; a mean counts part-weeks).
    # The trend points at the target: (360 - 480) / -40 = 3 weeks = 21 days after 01-20 -> 2026-02-10.
    # Status on Wed 2026-01-21, judged at 01-20: expected (01-20 - 01-05) / (03-02 - 01-05) = 15 / 56
    # = 0.268, progress 120 / 240 = 0.5 -> on_track.
    obs = observations(
        ("routing_minutes", "2026-01-05", 570),
        ("routing_minutes", "2026-01-07", 550),
        ("routing_minutes", "2026-01-13", 520),
        ("routing_minutes", "2026-01-20", 480),
    )
    m = row(evaluate(plan([ROUTING_WEEKLY]), obs, D(2026, 1, 21)), "routing_minutes")
    assert (m["current"], m["current_date"]) == (480.0, D(2026, 1, 20))
    assert m["trend"] == pytest.approx(-40.0)
    assert m["expected"] == pytest.approx(15 / 56)
    assert m["progress"] == pytest.approx(0.5)
    assert m["status"] == "on_track"
    assert m["forecast_date"] == D(2026, 2, 10)
    # with no new data by Fri 2026-02-20 (before the target date 03-02, not achieved) the same trend
    # would reach 360 on 02-10, a date already past: no forecast rather than a promise that did not
    # happen. The status is still judged at 01-20 (on_track), now stale: 31 days old > 10 for a week.
    m = row(evaluate(plan([ROUTING_WEEKLY]), obs, D(2026, 2, 20)), "routing_minutes")
    assert m["expected"] == pytest.approx(15 / 56)
    assert m["status"] == "on_track"
    assert (m["age_days"], bool(m["stale"])) == (31, True)
    assert m["forecast_date"] is None


def test_no_forecast_for_a_down_metric_that_rises() -> None:
    obs = observations(
        ("routing_minutes", "2026-01-05", 480),
        ("routing_minutes", "2026-01-12", 520),
        ("routing_minutes", "2026-01-19", 560),
    )
    m = row(evaluate(plan([ROUTING_WEEKLY]), obs, D(2026, 1, 21)), "routing_minutes")
    assert m["trend"] == pytest.approx(40.0)
    assert m["forecast_date"] is None


def test_monthly_trend_is_per_month_whatever_the_month_length() -> None:
    # January 10, February 20, March 30: +10 per period, although February is 3 days shorter
    monthly = metric(frequency="month", target={"value": 100, "date": "2026-12-01"})
    obs = observations(
        ("adoption", "2026-01-15", 10), ("adoption", "2026-02-15", 20), ("adoption", "2026-03-15", 30)
    )
    snap = evaluate(plan([monthly]), obs, D(2026, 3, 31))
    assert series(snap) == [(D(2026, 1, 1), 10.0), (D(2026, 2, 1), 20.0), (D(2026, 3, 1), 30.0)]
    assert row(snap)["trend"] == pytest.approx(10.0)


# --- portfolio ----------------------------------------------------------------------------------------


def test_portfolio_path_equals_the_per_plan_path() -> None:
    # two clients with the same metric ids and different data: each must see only its own rows
    live = milestone("M1", at_least("adoption", 50), due="2026-01-08", title="Live")
    tickets = metric("tickets", kind="lead", leads=["adoption"])
    p1 = plan([metric(), tickets], [live], client="a")
    p2 = plan([metric(), tickets], [live], client="b")
    obs_a = observations(
        ("adoption", "2026-01-02", 90),
        ("adoption", "2026-01-05", 100),
        ("tickets", "2026-01-05", 10),
        client="a",
    )
    obs_b = observations(
        ("adoption", "2026-01-03", 10),
        ("adoption", "2026-01-05", 20),
        ("tickets", "2026-01-04", 3),
        ("tickets", "2026-01-05", 4),
        client="b",
    )
    as_of = D(2026, 1, 6)
    together = evaluate_portfolio([p1, p2], pd.concat([obs_a, obs_b], ignore_index=True), as_of).snapshot("b")
    alone = evaluate(p2, obs_b, as_of)
    # b alone, judged at its data's date 2026-01-05: expected (01-05 - 01-01) / 10 = 0.4.
    # adoption 20 -> progress 0.2 = 0.4 - 2 * 0.1 -> at_risk; tickets 4 -> 0.04 < 0.2 -> off_track;
    # M1 (adoption >= 50, due in 2 days): trend +5 per day (10 on 01-03, 20 on 01-05) forecasts
    # 20 + 5 * 3 = 35 on 2026-01-08 -> at_risk. Health (50 * 2 + 0 * 1 + 50 * 1) / 4 = 37.5
    assert list(alone.metrics["status"]) == ["at_risk", "off_track"]
    assert list(alone.milestones["status"]) == ["at_risk"]
    assert list(together.metrics["status"]) == list(alone.metrics["status"])
    assert list(together.metrics["current"]) == pytest.approx(list(alone.metrics["current"]), nan_ok=True)
    assert list(together.milestones["status"]) == list(alone.milestones["status"])
    assert together.health.score == alone.health.score == 37.5
    assert list(together.lead_checks["predicts"]) == list(alone.lead_checks["predicts"])
    assert series(together) == series(alone) == [(D(2026, 1, 3), 10.0), (D(2026, 1, 5), 20.0)]
    assert set(together.metrics["client"]) == {"b"}


# --- properties ---------------------------------------------------------------------------------------

RANK = {"achieved": 0, "on_track": 1, "at_risk": 2, "off_track": 3, "missed": 3}
unit = st.floats(0, 1, allow_nan=False)
progress_values = st.floats(-2, 2, allow_nan=False)


@given(low=progress_values, high=progress_values, expected=unit, tolerance=unit, past_target=st.booleans())
def test_better_progress_never_gives_a_worse_status(
    low: float, high: float, expected: float, tolerance: float, past_target: bool
) -> None:
    low, high = min(low, high), max(low, high)
    worse, better = classify(
        np.array([low, high]), np.array(expected), np.array(tolerance), np.array(past_target)
    )
    assert RANK[better] <= RANK[worse]


@given(progress=progress_values, expected=unit, tolerance=unit)
def test_classify_follows_the_rules(progress: float, expected: float, tolerance: float) -> None:
    # away from the thresholds (within 1e-6 of one, float error may go either way)
    def near(threshold: float) -> bool:
        return abs(progress - threshold) < 1e-6

    (before,) = classify(np.array([progress]), np.array(expected), np.array(tolerance), np.array(False))
    (after,) = classify(np.array([progress]), np.array(expected), np.array(tolerance), np.array(True))
    if near(1) or near(expected - tolerance) or near(expected - 2 * tolerance):
        return
    if progress > 1:
        assert before == after == "achieved"
        return
    assert after == "missed"
    if progress > expected - tolerance:
        assert before == "on_track"
    elif progress > expected - 2 * tolerance:
        assert before == "at_risk"
    else:
        assert before == "off_track"


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.integers(-50, 150), min_size=2, max_size=2),
    day=st.integers(1, 14),
    direction=st.sampled_from(["up", "down"]),
)
def test_a_better_current_value_never_gives_a_worse_status(
    values: list[int], day: int, direction: str
) -> None:
    # the full engine on two identical metrics whose only difference is the current value
    low, high = sorted(values)
    if direction == "down":  # smaller is better: the better metric has the smaller value
        worse_value, better_value = high, low
        fields = {
            "baseline": {"value": 100, "date": "2026-01-01"},
            "target": {"value": 0, "date": "2026-01-11"},
        }
    else:
        worse_value, better_value = low, high
        fields = {}
    as_of = D(2026, 1, day)
    worse = metric("worse", direction=direction, **fields)
    better = metric("better", direction=direction, **fields)
    obs = observations(("worse", as_of, worse_value), ("better", as_of, better_value))
    snap = evaluate(plan([worse, better]), obs, as_of)
    assert RANK[row(snap, "better")["status"]] <= RANK[row(snap, "worse")["status"]]
