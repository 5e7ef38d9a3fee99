"""Bounded cadence: which reports are due stays quick and right whatever a ritual's rule, start or count.

csnb.plan.cadence answers from a window (the latest occurrence at most 400 days back, the next ones at
most five years ahead) instead of walking a rule from its first date; these tests hold its answers to
dateutil's own, walked from the first date, and time the rules that used to take seconds.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from batchkit import PLAN
from builders import plan_data, write_project
from commands import run_csnb
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csnb.plan import Plan, load_plan
from csnb.plan.cadence import due_reports, latest_occurrence, next_dates
from csnb.plan.rules import check_rule

UTC = dt.UTC
NEVER_DONE = lambda *key: False  # noqa: E731
AT = dt.datetime(2026, 10, 15, 12, 0, tzinfo=UTC)


def plan_with(rule: str, start: str | None = None, tz: str = "UTC", time_of_day: str = "09:00") -> Plan:
    """A plan whose one ritual has ``rule``, starting on ``start`` at ``time_of_day`` in ``tz``."""
    ritual = {"ritual": "update", "rrule": rule, "audience": "operator", "time": time_of_day}
    if start:
        ritual["start"] = start
    data = {**plan_data(), "cadence": [ritual]}
    data["client"] = {**data["client"], "timezone": tz}
    return Plan.model_validate(data)


def due_dates(plan: Plan, at: dt.datetime = AT) -> list[dt.date]:
    return [d.as_of for d in due_reports([plan], at, NEVER_DONE)]


# --- the answers -------------------------------------------------------------------------------------------


def test_a_daily_ritual_started_long_ago_is_due_today_and_next_tomorrow() -> None:
    plan = plan_with("FREQ=DAILY", start="2000-01-03")
    assert due_dates(plan) == [dt.date(2026, 10, 15)]
    assert [d.date() for d in next_dates(plan, plan.cadence[0], dt.date(2026, 10, 15))] == [
        dt.date(2026, 10, 16),
        dt.date(2026, 10, 17),
        dt.date(2026, 10, 18),
    ]


def test_a_ritual_with_count_ends_after_its_last_occurrence() -> None:
    # 500 weekly Mondays from Monday 2017-01-02 end on 2026-07-27 (2017-01-02 + 499 weeks)
    plan = plan_with("FREQ=WEEKLY;BYDAY=MO;COUNT=500", start="2017-01-02")
    assert due_dates(plan) == [dt.date(2026, 7, 27)]  # the last one, 80 days back, is still the latest
    assert next_dates(plan, plan.cadence[0], dt.date(2026, 10, 15)) == []


def test_an_occurrence_more_than_400_days_back_is_no_longer_due() -> None:
    plan = plan_with("FREQ=YEARLY;INTERVAL=2", start="2024-09-01")  # 2024-09-01 09:00, 2026-09-01, ...
    # 2024-09-01 09:00 + 400 days = 2025-10-06 09:00
    assert due_dates(plan, dt.datetime(2025, 10, 6, 8, 59, tzinfo=UTC)) == [dt.date(2024, 9, 1)]
    assert due_dates(plan, dt.datetime(2025, 10, 6, 9, 0, tzinfo=UTC)) == []
    assert due_dates(plan) == [dt.date(2026, 9, 1)]


def test_an_until_in_utc_is_read_in_the_clients_zone() -> None:
    # Mondays 09:00 in Tokyo; UNTIL 2026-10-12T00:00Z is 09:00 that Monday in Tokyo, so it is the last one
    plan = plan_with("FREQ=WEEKLY;BYDAY=MO;UNTIL=20261012T000000Z", start="2026-09-07", tz="Asia/Tokyo")
    assert due_dates(plan, dt.datetime(2026, 10, 12, 1, tzinfo=UTC)) == [dt.date(2026, 10, 12)]
    assert due_dates(plan, dt.datetime(2026, 10, 20, tzinfo=UTC)) == [dt.date(2026, 10, 12)]
    assert next_dates(plan, plan.cadence[0], dt.date(2026, 10, 12)) == []


def test_a_rule_whose_dates_never_line_up_with_its_start_is_never_due() -> None:
    # every week has one Monday, so a third one per week never comes; dateutil alone walks to 9999
    # (benchmarks/bench_due.py prints how long such a rule takes to answer)
    plan = plan_with("FREQ=WEEKLY;BYSETPOS=3;BYDAY=MO", start="2026-01-05")
    assert due_dates(plan) == []
    assert next_dates(plan, plan.cadence[0], dt.date(2026, 10, 15)) == []


def test_a_leap_day_ritual_keeps_its_weekday_and_leap_years() -> None:
    plan = plan_with("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", start="2000-02-29", tz="Europe/Berlin")
    at = dt.datetime(2028, 3, 1, tzinfo=UTC)
    [due] = due_reports([plan], at, NEVER_DONE)
    assert due.occurrence == dt.datetime(2028, 2, 29, 9, 0, tzinfo=due.occurrence.tzinfo)
    assert due.occurrence.strftime("%A") == "Tuesday"
    assert [d.date() for d in next_dates(plan, plan.cadence[0], dt.date(2028, 3, 1))] == [
        dt.date(2032, 2, 29)  # the next five years hold one more; 2036 is past that horizon
    ]


# --- the same dates as dateutil walking from the first date ------------------------------------------------

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def rules(draw: st.DrawFn) -> str:
    """Rules a plan may write that occur at least every few years from any start (so dateutil is quick)."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    interval = draw(st.integers(1, 4))
    parts = [f"FREQ={freq}", f"INTERVAL={interval}"]
    if draw(st.booleans()) and not (freq == "DAILY" and interval > 1):  # every 7th day may miss a weekday
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True))
        if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
            days = [f"{draw(st.sampled_from(['1', '2', '-1']))}{d}" for d in days]
        parts.append("BYDAY=" + ",".join(days))
    if draw(st.booleans()):
        parts.append(
            "BYMONTHDAY="
            + ",".join(map(str, draw(st.lists(st.integers(1, 28), min_size=1, max_size=3, unique=True))))
        )
    if draw(st.booleans()) and not (freq in ("MONTHLY", "YEARLY") and interval > 1):
        parts.append(
            "BYMONTH="
            + ",".join(map(str, draw(st.lists(st.integers(1, 12), min_size=1, max_size=4, unique=True))))
        )
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(WEEKDAYS))}")
    ending = draw(st.sampled_from(["", "COUNT", "UNTIL"]))
    if ending == "COUNT":
        parts.append(f"COUNT={draw(st.integers(1, 3000))}")
    elif ending == "UNTIL":
        parts.append(f"UNTIL={draw(st.dates(dt.date(2020, 1, 1), dt.date(2032, 12, 31))):%Y%m%d}T235959")
    return ";".join(parts)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rule=rules(),
    start=st.dates(dt.date(1995, 1, 1), dt.date(2027, 12, 31)),
    at=st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 12, 31)),
    clock=st.sampled_from(["00:00", "09:30", "23:59"]),
)
def test_due_and_next_dates_are_dateutils_from_the_first_date(
    rule: str, start: dt.date, at: dt.datetime, clock: str
) -> None:
    try:
        check_rule(rule)
    except ValueError:
        return  # a rule plans may not hold
    plan = plan_with(rule, start=start.isoformat(), time_of_day=clock)
    first = dt.datetime.combine(start, dt.time.fromisoformat(clock))
    walked = rrulestr(rule, dtstart=first)

    latest = walked.before(at, inc=True)
    expected = latest if latest is not None and latest > at - dt.timedelta(days=400) else None
    found = latest_occurrence(plan, plan.cadence[0], at.replace(tzinfo=UTC))
    assert (found.replace(tzinfo=None) if found else None) == expected

    after = dt.datetime.combine(at.date(), dt.time(23, 59, 59))
    coming = [d for d in walked.xafter(after, count=3) if d <= after + dt.timedelta(days=5 * 366)]
    assert [d.replace(tzinfo=None) for d in next_dates(plan, plan.cadence[0], at.date())] == coming


# --- a thousand plans, and the command line ----------------------------------------------------------------

HEAVY = [
    "FREQ=DAILY",  # from 2000: 9,800 days to walk without a window
    "FREQ=WEEKLY;BYDAY=MO,TH",
    "FREQ=MONTHLY;BYDAY=1TU",
    "FREQ=YEARLY",
    "FREQ=DAILY;COUNT=10000",  # the most a plan may count
    "FREQ=WEEKLY;BYSETPOS=3;BYDAY=MO",  # never lines up
    "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231T235959Z",
    "FREQ=DAILY;INTERVAL=7;BYDAY=TU",  # never lines up with a Monday start
]


def test_due_reports_of_a_thousand_plans_with_rules_started_in_2000() -> None:
    # benchmarks/bench_due.py prints how long this takes (goal: under a second)
    plans = [plan_with(rule, start="2000-01-03") for rule in HEAVY]
    many = [
        p.model_copy(update={"client": p.client.model_copy(update={"id": f"c{i}_{n}"})})
        for i in range(125)
        for n, p in enumerate(plans)
    ]
    due = due_reports(many, AT, NEVER_DONE)
    assert len(many) == 1000 and len(due) == 125 * 6  # the two rules that never line up are never due


@pytest.mark.slow
def test_run_due_dry_run_refuses_a_secondly_ritual_and_lists_an_old_daily_one(tmp_path: Path) -> None:
    old_daily = PLAN.format(client="acme", name="Acme").replace(
        '"FREQ=WEEKLY;BYDAY=MO", audience: operator', '"FREQ=DAILY", audience: operator, start: 2000-01-03'
    )
    write_project(tmp_path, {"acme": old_daily}, as_of="2026-10-15", timezone="Europe/London")
    done = run_csnb("run", "--due", "--dry-run", cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "would run acme operator 2026-10-15 (weekly-update)" in done.stdout

    secondly = old_daily.replace('"FREQ=DAILY"', '"FREQ=SECONDLY"')
    (tmp_path / "parameters" / "acme.yaml").write_text(secondly)
    done = run_csnb("run", "--due", "--dry-run", cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert "acme.yaml:" in done.stderr and "FREQ=SECONDLY" in done.stderr and "Traceback" not in done.stderr


def test_the_plan_loader_and_the_cadence_agree_on_a_utc_until(tmp_path: Path) -> None:
    text = PLAN.format(client="acme", name="Acme").replace(
        "FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231T235959Z"
    )
    (tmp_path / "acme.yaml").write_text(text)
    plan = load_plan(tmp_path / "acme.yaml")
    assert due_dates(plan) == [dt.date(2026, 10, 12)]
    assert due_dates(plan, dt.datetime(2027, 1, 10, tzinfo=UTC)) == [dt.date(2026, 12, 28)]
