"""Which reports are due: cadence RRULEs in the client's time zone, latest occurrence, the store's record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from batchkit import PLAN
from builders import write_project

from csnb.plan import load_plan
from csnb.plan.cadence import due_reports, latest_occurrence, plan_zone
from csnb.project.folder import Project
from csnb.run.batch import resolve_at

UTC = dt.UTC
NEVER_DONE = lambda *key: False  # noqa: E731


def _plan(
    tmp_path: Path, client: str = "acme", cadence: str | None = None, zone: str | None = "Europe/London"
):
    text = PLAN.format(client=client, name=client.title())
    if zone is None:
        text = text.replace(", timezone: Europe/London", "")
    elif zone != "Europe/London":
        text = text.replace("timezone: Europe/London", f"timezone: {zone}")
    if cadence is not None:
        text = text.split("cadence:")[0] + "cadence:\n" + cadence
    path = tmp_path / f"{client}.yaml"
    path.write_text(text)
    return load_plan(path)


def test_weekly_ritual_is_due_from_its_time_in_the_clients_zone(tmp_path: Path) -> None:
    plan = _plan(tmp_path, zone="America/Chicago")  # Mondays 09:00 Chicago = 14:00 UTC in October
    before = due_reports([plan], dt.datetime(2026, 10, 12, 13, 59, tzinfo=UTC), NEVER_DONE)
    after = due_reports([plan], dt.datetime(2026, 10, 12, 14, 0, tzinfo=UTC), NEVER_DONE)
    assert [d.as_of for d in before] == [dt.date(2026, 10, 5)]  # last week's is still the latest
    assert [(d.client, d.ritual, d.audience, d.as_of) for d in after] == [
        ("acme", "weekly-update", "operator", dt.date(2026, 10, 12))
    ]
    assert after[0].occurrence == dt.datetime(2026, 10, 12, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


def test_only_the_latest_missed_occurrence_is_due(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    due = due_reports([plan], dt.datetime(2026, 11, 4, 12, 0, tzinfo=UTC), NEVER_DONE)  # three Mondays missed
    assert [d.as_of for d in due] == [dt.date(2026, 11, 2)]


def test_a_report_already_done_is_not_due(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    at = dt.datetime(2026, 10, 13, 12, 0, tzinfo=UTC)
    done = {("acme", "operator", dt.date(2026, 10, 12))}
    assert due_reports([plan], at, lambda *key: key in done) == []
    assert due_reports([plan], at, lambda *key: key == ("acme", "operator", dt.date(2026, 10, 5)))


def test_nothing_is_due_before_the_first_occurrence(tmp_path: Path) -> None:
    ritual = '{ritual: kickoff, rrule: "FREQ=MONTHLY;BYDAY=1TU", audience: executive, start: 2026-11-01}'
    cadence = f"  - {ritual}\n"
    plan = _plan(tmp_path, cadence=cadence)
    assert due_reports([plan], dt.datetime(2026, 10, 30, tzinfo=UTC), NEVER_DONE) == []
    due = due_reports([plan], dt.datetime(2026, 11, 3, 10, tzinfo=UTC), NEVER_DONE)
    assert [(d.ritual, d.audience, d.as_of) for d in due] == [("kickoff", "executive", dt.date(2026, 11, 3))]


def test_rituals_of_one_audience_on_one_day_make_one_report(tmp_path: Path) -> None:
    cadence = (
        '  - {ritual: weekly-update, rrule: "FREQ=WEEKLY;BYDAY=MO", audience: operator}\n'
        '  - {ritual: ops-sync, rrule: "FREQ=WEEKLY;BYDAY=MO", audience: operator, time: "15:00"}\n'
        '  - {ritual: exec-brief, rrule: "FREQ=WEEKLY;BYDAY=MO", audience: executive}\n'
    )
    plan = _plan(tmp_path, cadence=cadence)
    due = due_reports([plan], dt.datetime(2026, 10, 12, 16, tzinfo=UTC), NEVER_DONE)
    assert [(d.audience, d.as_of) for d in due] == [
        ("executive", dt.date(2026, 10, 12)),
        ("operator", dt.date(2026, 10, 12)),
    ]


def test_a_plan_without_a_zone_uses_the_projects(tmp_path: Path) -> None:
    plan = _plan(tmp_path, zone=None)
    assert plan_zone(plan, "Asia/Tokyo") == "Asia/Tokyo"
    # Monday 09:00 in Tokyo is Monday 00:00 UTC
    assert latest_occurrence(
        plan, plan.cadence[0], dt.datetime(2026, 10, 12, 0, 0, tzinfo=UTC), "Asia/Tokyo"
    ).date() == dt.date(2026, 10, 12)
    assert latest_occurrence(
        plan, plan.cadence[0], dt.datetime(2026, 10, 12, 0, 0, tzinfo=UTC), "UTC"
    ).date() == dt.date(2026, 10, 5)


def test_at_is_read_in_the_projects_zone_and_a_pinned_day_ends_at_midnight(tmp_path: Path) -> None:
    write_project(tmp_path, {}, as_of="2026-10-15", timezone="America/New_York")
    project = Project(tmp_path)
    assert resolve_at(project, dt.datetime(2026, 10, 12, 9, 0)).utcoffset() == dt.timedelta(hours=-4)
    pinned = resolve_at(project, None)
    assert (pinned.date(), pinned.hour, pinned.tzinfo) == (
        dt.date(2026, 10, 15),
        23,
        ZoneInfo("America/New_York"),
    )
