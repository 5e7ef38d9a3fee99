"""The health score (0-100, bands, missing inputs) and the lead -> lag check.

Metrics are daily with aggregate ``last`` and, unless a test says otherwise, climb from 0 on
2026-01-01 to 100 on 2026-01-11 with tolerance 0.10; on 2026-01-06 the glide path expects 0.5, so
a value of 45 is on_track, 35 at_risk and 10 off_track.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from builders import check, daily, metric, milestone, observations, plan
from hypothesis import given, settings
from hypothesis import strategies as st

from csnb.indicators.evaluation import evaluate
from csnb.indicators.health import band

D = dt.date
AS_OF = D(2026, 1, 6)


def signed_off(milestone_id: str, done_on: str | None = None, due: str = "2026-01-30", **fields: Any) -> dict:
    """A milestone with one manual check, done on ``done_on`` (or not done)."""
    return milestone(milestone_id, check("Signed off", done_on), due=due, **fields)


# --- health -------------------------------------------------------------------------------------------


def test_health_of_a_small_mix_by_hand() -> None:
    metrics = [metric("routing"), metric("adoption"), metric("trainings", kind="lead"), metric("nps")]
    milestones = [
        signed_off("M1", done_on="2026-01-03"),  # done
        signed_off("M2", depends_on=["M3"]),  # blocked by M3
        signed_off("M3", start="2026-01-10", due="2026-01-20"),  # not_started: no weight
        signed_off("M4", due="2026-01-05", leap=True),  # late, but a leap: no weight
    ]
    obs = observations(("routing", AS_OF, 45), ("adoption", AS_OF, 35), ("trainings", AS_OF, 10))
    snap = evaluate(plan(metrics, milestones), obs, AS_OF)
    assert dict(zip(snap.metrics["metric"], snap.metrics["status"], strict=True)) == {
        "routing": "on_track",
        "adoption": "at_risk",
        "trainings": "off_track",
        "nps": "no_data",
    }
    assert dict(zip(snap.milestones["milestone"], snap.milestones["status"], strict=True)) == {
        "M1": "done",
        "M2": "blocked",
        "M3": "not_started",
        "M4": "late",
    }
    #   routing   lag  on_track  100 x 2 = 200
    #   adoption  lag  at_risk    50 x 2 = 100
    #   trainings lead off_track   0 x 1 =   0
    #   M1        done           100 x 1 = 100
    #   M2        blocked         25 x 1 =  25
    #   nps (no data), M3 (not started), M4 (leap): weight 0
    #   425 / 7 = 60.71 -> 60.7, amber
    assert snap.health.score == 60.7
    assert snap.health.band == "amber"
    assert snap.health.missing == ("nps",)
    comp = snap.health.components
    weights = dict(zip(comp["input"], comp["weight"], strict=True))
    assert weights["routing"] == 2 and weights["trainings"] == 1 and weights["M1"] == 1
    assert weights.get("nps", 0) == 0 and weights.get("M3", 0) == 0 and weights.get("M4", 0) == 0


@pytest.mark.parametrize(
    ("score", "colour"),
    [
        (100, "green"),
        (75, "green"),
        (74.9, "amber"),
        (50, "amber"),
        (49.9, "red"),
        (0, "red"),
        (None, "unknown"),
    ],
)
def test_band_thresholds(score: float | None, colour: str) -> None:
    assert band(score) == colour


@pytest.mark.parametrize(
    ("values", "score", "colour"),
    [
        ({"routing": 45, "adoption": 35}, 75.0, "green"),  # (100*2 + 50*2) / 4 = 75: green
        ({"adoption": 35}, 50.0, "amber"),  # 50*2 / 2 = 50: amber
        ({"adoption": 35, "trainings": 10}, 33.3, "red"),  # (50*2 + 0*1) / 3 = 33.3: red
        ({"routing": 45, "trainings": 45}, 100.0, "green"),  # lead and lag on track
        ({"routing": 10, "trainings": 45}, 33.3, "red"),  # (0*2 + 100*1) / 3: lag weighs more
    ],
)
def test_health_band_from_metric_statuses(values: dict[str, float], score: float, colour: str) -> None:
    metrics = [metric(m, kind="lead" if m == "trainings" else "lag") for m in values]
    snap = evaluate(plan(metrics), observations(*[(m, AS_OF, v) for m, v in values.items()]), AS_OF)
    assert snap.health.score == score
    assert snap.health.band == colour


def test_a_metric_without_data_does_not_lower_the_score() -> None:
    # routing on_track (100 x 2) and nps without data: 200 / 2 = 100, not 200 / 4 = 50
    snap = evaluate(plan([metric("routing"), metric("nps")]), observations(("routing", AS_OF, 45)), AS_OF)
    assert snap.health.score == 100.0
    assert snap.health.band == "green"
    assert snap.health.missing == ("nps",)


def test_no_data_anywhere_is_an_unknown_score() -> None:
    snap = evaluate(plan([metric("routing"), metric("nps")]), observations(), AS_OF)
    assert snap.health.score is None
    assert snap.health.band == "unknown"
    assert set(snap.health.missing) == {"routing", "nps"}


def test_only_not_started_milestones_is_an_unknown_score() -> None:
    snap = evaluate(plan([], [signed_off("M1", start="2026-02-01", due="2026-02-20")]), None, AS_OF)
    assert snap.health.score is None
    assert snap.health.band == "unknown"
    assert snap.health.missing == ()  # a milestone not started is not evidence, nor is it missing


def test_empty_plan_is_an_unknown_score() -> None:
    snap = evaluate(plan(), None, AS_OF)
    assert snap.health.score is None
    assert snap.health.band == "unknown"


def test_milestone_statuses_score_by_hand() -> None:
    # done 100, on_track 100, blocked 25, late 0 -> 225 / 4 = 56.25 -> 56.2 (or 56.3), amber
    milestones = [
        signed_off("M1", done_on="2026-01-02"),
        signed_off("M2"),
        signed_off("M3", depends_on=["M2"]),
        signed_off("M4", due="2026-01-05"),
    ]
    snap = evaluate(plan([], milestones), None, AS_OF)
    assert dict(zip(snap.milestones["milestone"], snap.milestones["status"], strict=True)) == {
        "M1": "done",
        "M2": "on_track",
        "M3": "blocked",
        "M4": "late",
    }
    assert snap.health.score == pytest.approx(56.25, abs=0.05)
    assert snap.health.band == "amber"


statuses_by_value = st.one_of(st.none(), st.integers(-20, 120))


@settings(max_examples=30, deadline=None)
@given(
    metric_values=st.lists(st.tuples(st.sampled_from(["lead", "lag"]), statuses_by_value), max_size=4),
    milestone_specs=st.lists(
        st.tuples(st.one_of(st.none(), st.integers(1, 20)), st.integers(1, 30), st.booleans()), max_size=3
    ),
    day=st.integers(1, 20),
)
def test_health_stays_between_0_and_100(metric_values: list, milestone_specs: list, day: int) -> None:
    as_of = D(2026, 1, day)
    metrics = [metric(f"m{i}", kind=kind) for i, (kind, _) in enumerate(metric_values)]
    rows = [(f"m{i}", as_of, v) for i, (_, v) in enumerate(metric_values) if v is not None]
    milestones = [
        signed_off(
            f"M{i}",
            done_on=None if done is None else f"2026-01-{done:02d}",
            due=f"2026-01-{due:02d}",
            leap=leap,
        )
        for i, (done, due, leap) in enumerate(milestone_specs)
    ]
    snap = evaluate(plan(metrics, milestones), observations(*rows), as_of)
    score = snap.health.score
    if score is None:
        assert snap.health.band == "unknown"
    else:
        assert 0 <= score <= 100
        assert snap.health.band == band(score)
    assert set(snap.health.missing) == {f"m{i}" for i, (_, v) in enumerate(metric_values) if v is None}


# --- lead -> lag check --------------------------------------------------------------------------------

# The lead metric of every check below: trainings held, which should move adoption.
TRAININGS = metric("trainings", kind="lead", leads=["adoption"])

# Twelve day-over-day changes of the lead with no pattern a lag could copy by accident.
LEAD_CHANGES = np.array([3, -1, 4, 1, -5, 9, 2, -6, 5, 3, -5, 8], dtype=float)


def _lead_and_lag(lag_sign: float = 1.0) -> list[tuple]:
    """The lead from 50 by LEAD_CHANGES (01-01..01-13); the lag from 100 copies each change two days
    later, doubled (and negated when ``lag_sign`` is -1): lag change on day t+2 = 2 * lead change on t."""
    lead = 50 + np.r_[0, np.cumsum(LEAD_CHANGES)]
    # the first two lag changes precede any lead change
    lag_changes = np.r_[1, -2, lag_sign * 2 * LEAD_CHANGES]
    lag = 100 + np.r_[0, np.cumsum(lag_changes)]
    return daily("trainings", lead) + daily("adoption", lag)


def _check(snapshot) -> pd.Series:
    assert len(snapshot.lead_checks) == 1
    return snapshot.lead_checks.iloc[0]


def predicts(check: pd.Series) -> bool | None:
    """The check's verdict: True (predicts), False (predicts nothing) or None (too little data)."""
    value = check["predicts"]
    return None if value is None or pd.isna(value) else bool(value)


def _r_by_shift(snapshot) -> dict[int, float]:
    return {int(s): float(r) for s, r in zip(snapshot.leads["shift"], snapshot.leads["r"], strict=True)}


def test_a_lead_two_periods_ahead_is_found_at_shift_two() -> None:
    metrics = [TRAININGS, metric("adoption")]
    snap = evaluate(plan(metrics), observations(*_lead_and_lag()), D(2026, 1, 15))
    check = _check(snap)
    assert (check["lead"], check["lag"]) == ("trainings", "adoption")
    assert int(check["best_shift"]) == 2
    assert check["best_r"] == pytest.approx(1.0, abs=1e-9)
    assert predicts(check) is True
    r = _r_by_shift(snap)
    assert sorted(r) == [0, 1, 2, 3, 4]  # settings.lead_max_shift = 4
    assert r[2] == pytest.approx(1.0, abs=1e-9)
    assert all(r[s] < 0.9 for s in (0, 1, 3, 4) if not np.isnan(r[s]))
    best = snap.leads[snap.leads["best"].astype(bool)]
    assert list(best["shift"]) == [2]


def test_lead_max_shift_limits_the_shifts_tried() -> None:
    # with shifts 0..1 only, the two-day lead cannot be seen: r is -0.41 at shift 0 and -0.54 at
    # shift 1, so the best r (-0.41) is below lead_min_r and the lead predicts nothing
    metrics = [TRAININGS, metric("adoption")]
    snap = evaluate(plan(metrics, lead_max_shift=1), observations(*_lead_and_lag()), D(2026, 1, 15))
    assert sorted(_r_by_shift(snap)) == [0, 1]
    assert predicts(_check(snap)) is False


def test_direction_signs_lead_up_lag_down() -> None:
    # more trainings -> fewer routing minutes two days later: a falling lag is the lag improving,
    # so the signed r is +1 and the lead predicts
    metrics = [
        TRAININGS,
        metric(
            "adoption",
            direction="down",
            baseline={"value": 100, "date": "2026-01-01"},
            target={"value": 0, "date": "2026-01-11"},
        ),
    ]
    snap = evaluate(plan(metrics), observations(*_lead_and_lag(lag_sign=-1)), D(2026, 1, 15))
    check = _check(snap)
    assert int(check["best_shift"]) == 2
    assert check["best_r"] == pytest.approx(1.0, abs=1e-9)
    assert predicts(check) is True


def test_direction_signs_a_lag_that_worsens_when_the_lead_improves() -> None:
    # same numbers with the lag's direction up: the lead improving precedes the lag getting worse,
    # r at shift 2 is -1, and the best shift is not 2
    metrics = [TRAININGS, metric("adoption")]
    snap = evaluate(plan(metrics), observations(*_lead_and_lag(lag_sign=-1)), D(2026, 1, 15))
    assert _r_by_shift(snap)[2] == pytest.approx(-1.0, abs=1e-9)
    assert int(_check(snap)["best_shift"]) != 2


def test_a_noise_lead_predicts_nothing() -> None:
    # lead changes +1 +1 -1 -1 ..., lag changes +1 -1 +1 -1 ...: orthogonal at every shift
    # (r = 0, 0.045, 0, -0.045, 0 for shifts 0..4), so the best r 0.045 < lead_min_r 0.3
    lead = 50 + np.r_[0, np.cumsum(np.tile([1, 1, -1, -1], 6))]
    lag = 100 + np.r_[0, np.cumsum(np.tile([1, -1], 12))]
    metrics = [TRAININGS, metric("adoption")]
    snap = evaluate(
        plan(metrics), observations(*daily("trainings", lead), *daily("adoption", lag)), D(2026, 1, 31)
    )
    check = _check(snap)
    assert check["best_r"] == pytest.approx(1 / 22, abs=1e-9)
    assert int(check["best_shift"]) == 1
    assert predicts(check) is False


def test_a_lead_with_too_few_periods_says_nothing() -> None:
    # four lead values are three changes: fewer than four pairs at any shift -> no r, predicts None
    metrics = [TRAININGS, metric("adoption")]
    obs = observations(*daily("trainings", [1, 3, 2, 5]), *daily("adoption", [10, 12, 11, 15, 14, 18]))
    check = _check(evaluate(plan(metrics), obs, D(2026, 1, 15)))
    assert predicts(check) is None
    assert pd.isna(check["best_shift"])
    assert np.isnan(check["best_r"])


def test_a_lead_without_data_says_nothing() -> None:
    metrics = [TRAININGS, metric("adoption")]
    obs = observations(*daily("adoption", [10, 12, 11, 15, 14, 18]))
    check = _check(evaluate(plan(metrics), obs, D(2026, 1, 15)))
    assert predicts(check) is None
    assert pd.isna(check["best_shift"])


def test_a_weekly_lag_compares_the_lead_week_by_week() -> None:
    # the daily lead is re-bucketed to the lag's weeks (last value of each week): the lead's Sunday
    # values 10, 13, 12, 16, 15, 19 change by 3, -1, 4, -1, 4; the lag's weekly changes copy them
    # one week later
    sundays = [D(2026, 1, 4) + dt.timedelta(weeks=i) for i in range(6)]
    lead_rows = [("trainings", d - dt.timedelta(days=1), 0) for d in sundays] + [
        ("trainings", d, v) for d, v in zip(sundays, [10, 13, 12, 16, 15, 19], strict=True)
    ]
    lag_values = np.r_[100, 100 + np.cumsum([2, 3, -1, 4, -1, 4])]  # weeks of 12-29 .. 02-09
    lag_rows = [("adoption", D(2025, 12, 29) + dt.timedelta(weeks=i), v) for i, v in enumerate(lag_values)]
    metrics = [
        TRAININGS,
        metric(
            "adoption",
            frequency="week",
            baseline={"value": 100, "date": "2025-12-29"},
            target={"value": 200, "date": "2026-06-01"},
        ),
    ]
    snap = evaluate(plan(metrics), observations(*lead_rows, *lag_rows), D(2026, 2, 15))
    check = _check(snap)
    assert int(check["best_shift"]) == 1
    assert check["best_r"] == pytest.approx(1.0, abs=1e-9)
    assert predicts(check) is True
