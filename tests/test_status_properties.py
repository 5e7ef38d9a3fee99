"""Properties of the status rules: data on the glide path is never judged behind it, and health does not
move while nothing happens.

Both build plans and observations from hypothesis' draws, as a plan file would spell them.
"""

from __future__ import annotations

import datetime as dt

import builders
import numpy as np
import pytest
from builders import at_least, check, milestone, observations, plan, plan_data
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from csnb.indicators.evaluation import evaluate
from csnb.indicators.metrics import DEFAULT_MAX_AGE
from csnb.indicators.periods import FREQ_CODES, day_number, period_end, period_start
from csnb.plan import Plan

D = dt.date
START = D(2026, 1, 1)
FREQUENCIES = ["day", "week", "month"]
AGGREGATES = ["sum", "mean", "last", "min", "max", "count"]


def _period_end(day: dt.date, frequency: str) -> dt.date:
    """The last day of the period of ``frequency`` that holds ``day``."""
    code = FREQ_CODES[frequency]
    start = period_start(np.array([day_number(day)]), code)
    return START + dt.timedelta(days=int(period_end(start, code)[0]) - day_number(START))


def _one_day_per_period(days: list[dt.date], frequency: str) -> list[dt.date]:
    """The last of ``days`` in each period: one observation per period, so every aggregate but count is it."""
    by_period = {_period_end(d, frequency): d for d in sorted(days)}
    return sorted(by_period.values())


@st.composite
def glide_path_cases(draw: st.DrawFn) -> tuple[dict, list[tuple], dt.date]:
    """(metric, observations exactly on its glide path, a report date up to the target date with data no
    older than the freshness limit and at least one period that counts)."""
    frequency, aggregate = draw(st.sampled_from(FREQUENCIES)), draw(st.sampled_from(AGGREGATES))
    span = draw(st.integers(14, 120 if aggregate == "count" else 400))
    baseline_day = START + dt.timedelta(days=draw(st.integers(0, 30)))
    target_day = baseline_day + dt.timedelta(days=span)
    if aggregate == "count":  # the count of rows in a period: a glide path of one more row per day
        low, high = 0.0, float(span)
    else:
        low = draw(st.floats(-1000, 1000, allow_nan=False))
        high = low + draw(st.sampled_from([-1, 1])) * draw(st.floats(1, 1000, allow_nan=False))
    offsets = draw(st.lists(st.integers(1, span), min_size=1, max_size=12))
    days = _one_day_per_period([baseline_day + dt.timedelta(days=o) for o in offsets], frequency)
    rows = []
    for day in days:
        value = low + (high - low) * (day - baseline_day).days / span  # the glide path on that day
        rows += [("m", day, 1.0)] * int(round(value)) if aggregate == "count" else [("m", day, value)]
    newest = days[-1]
    limit = DEFAULT_MAX_AGE[frequency]
    as_of = newest + dt.timedelta(days=draw(st.integers(0, limit)))
    assume(as_of <= target_day)
    if aggregate in ("sum", "count"):  # the period of the report date counts only once complete
        assume(any(_period_end(d, frequency) <= as_of for d in days))
    spec = builders.metric(
        "m",
        frequency=frequency,
        aggregate=aggregate,
        direction="up" if high > low else "down",
        tolerance=draw(st.sampled_from([0.0, 0.05, 0.1])),
        baseline={"value": low, "date": baseline_day.isoformat()},
        target={"value": high, "date": target_day.isoformat()},
    )
    return spec, rows, as_of


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(case=glide_path_cases())
def test_data_on_the_glide_path_is_on_track_or_achieved(case: tuple[dict, list[tuple], dt.date]) -> None:
    spec, rows, as_of = case
    m = evaluate(plan([spec]), observations(*rows), as_of).metrics.iloc[0]
    assert not bool(m["stale"])
    assert m["status"] in ("on_track", "achieved"), (m["progress"], m["expected"], m["current_date"])


# --- health does not move when nothing happens -----------------------------------------------------------


@st.composite
def quiet_intervals(draw: st.DrawFn) -> tuple[Plan, list[tuple], dt.date, dt.date]:
    """A plan, its data, and two report dates between which no data arrives, no metric turns stale,
    no sum or count period completes, and no target, start, due, review-window or check date passes."""
    metrics, rows = [], []
    for i in range(draw(st.integers(1, 3))):
        frequency, aggregate = draw(st.sampled_from(FREQUENCIES)), draw(st.sampled_from(AGGREGATES))
        metrics.append(
            builders.metric(
                f"m{i}",
                kind=draw(st.sampled_from(["lead", "lag"])),
                frequency=frequency,
                aggregate=aggregate,
                target={
                    "value": 100,
                    "date": (START + dt.timedelta(days=draw(st.integers(5, 200)))).isoformat(),
                },
            )
        )
        for offset, value in draw(st.lists(st.tuples(st.integers(0, 60), st.integers(-20, 130)), max_size=8)):
            rows.append((f"m{i}", START + dt.timedelta(days=offset), value))
    milestones = [
        milestone(
            f"M{j}",
            at_least(f"m{draw(st.integers(0, len(metrics) - 1))}", draw(st.integers(0, 100))),
            check("Signed off", draw(st.sampled_from([None, "2026-01-20", "2026-03-01"]))),
            start=(START + dt.timedelta(days=draw(st.integers(0, 60)))).isoformat(),
            due=(START + dt.timedelta(days=draw(st.integers(61, 150)))).isoformat(),
        )
        for j in range(draw(st.integers(0, 2)))
    ]
    data = plan_data(metrics, milestones)
    data["goals"] = [{"id": "g", "statement": "The outcome", "metrics": [m["id"] for m in metrics]}]
    first = START + dt.timedelta(days=draw(st.integers(60, 220)))
    second = first + dt.timedelta(days=draw(st.integers(1, 40)))
    return Plan.model_validate(data), rows, first, second


def _dates_in_between(p: Plan, rows: list[tuple], first: dt.date, second: dt.date) -> bool:
    """Whether anything that the rules date passes in (first - 1, second + 1]: a target, start, due or
    review-window date, a check's done_on, a metric turning stale, or a sum/count period completing."""
    dates = [m.target.date for m in p.metrics]
    for ms in p.milestones:
        window = ms.review_window_days if ms.review_window_days is not None else p.settings.review_window_days
        dates += [ms.start, ms.due, ms.due - dt.timedelta(days=window)]
        dates += [c.done_on for c in ms.criteria if c.done_on]
    for m in p.metrics:
        days = [r[1] for r in rows if r[0] == m.id]
        if days:
            limit = DEFAULT_MAX_AGE[m.frequency]
            dates.append(max(days) + dt.timedelta(days=limit + 1))  # the day it turns stale
            if m.aggregate in ("sum", "count"):
                dates.append(_period_end(max(days), m.frequency) + dt.timedelta(days=1))
    return any(first - dt.timedelta(days=1) < d <= second + dt.timedelta(days=1) for d in dates)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(case=quiet_intervals())
def test_health_does_not_change_when_nothing_happened(
    case: tuple[Plan, list[tuple], dt.date, dt.date],
) -> None:
    p, rows, first, second = case
    assume(not _dates_in_between(p, rows, first, second))
    before, after = (evaluate(p, observations(*rows), day) for day in (first, second))
    assert (before.health.score, before.health.band) == (after.health.score, after.health.band)
    assert list(before.metrics["status"]) == list(after.metrics["status"])
    assert list(before.milestones["status"]) == list(after.milestones["status"])
