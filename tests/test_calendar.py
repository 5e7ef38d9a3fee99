"""The plan's .ics calendar: it parses back, and its recurrences expand to csnb.plan.cadence's dates."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from builders import write_project
from dateutil.rrule import rrulestr

from csnb.plan import load_plan
from csnb.plan.cadence import occurrences
from csnb.plan.calendar import write_calendar

icalendar = pytest.importorskip("icalendar")

PLAN = textwrap.dedent("""\
    client: {id: gamma, name: Gamma Health & Co, timezone: America/New_York}
    people:
      - {id: dana, name: Dana Ortiz, side: provider, role: CSM, email: dana@provider.example}
      - {id: lee, name: Lee Chen, side: client, role: VP Operations, email: lee@gamma.example,
         executive: true}
      - {id: kim, name: Kim Ito, side: client, role: Analyst}
    metrics:
      - {id: calls, name: Calls, kind: lag, unit: calls, direction: up, source: sheet, aggregate: sum,
         frequency: week, baseline: {value: 10, date: 2026-09-01}, target: {value: 20, date: 2026-12-01}}
    sources:
      sheet: {kind: csv, path: calls.csv}
    milestones:
      - {id: M1, title: Go live, stage: onboarding, owner: dana, start: 2026-09-01, due: 2026-10-30,
         criteria: [{metric: calls, op: ">=", value: 15}]}
    cadence:
      - {ritual: weekly-update, rrule: "FREQ=WEEKLY;BYDAY=MO,TH", audience: operator, channel: email,
         recipients: [client, dana], time: "08:30", agenda: "Metrics that moved; blockers"}
      - {ritual: monthly-review, rrule: "FREQ=MONTHLY;BYDAY=1TU;COUNT=4", audience: executive,
         channel: meeting, recipients: [client-executives], time: "15:00", duration_minutes: 45}
    """)


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "gamma.yaml"
    path.write_text(PLAN, encoding="utf-8")
    return load_plan(path)


def events(path) -> dict[str, object]:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_rituals_expand_to_the_same_dates_as_the_schedule(plan, tmp_path):
    found = events(write_calendar(plan, tmp_path / "gamma.ics"))
    tz_after = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    window_end = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    for ritual in plan.cadence:
        event = found[f"gamma.ritual.{ritual.ritual}@csnb"]
        start = event["DTSTART"].dt
        rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
        from_ics = [d for d in rule if d <= window_end][:40]
        from_schedule = list(occurrences(plan, ritual, tz_after, before=window_end, count=40))
        assert from_ics == from_schedule and from_ics, ritual.ritual
        assert str(start.tzinfo) == "America/New_York" and start.hour == int(ritual.time[:2])


def test_a_meeting_invites_its_attendees_for_its_duration(plan, tmp_path):
    path = write_calendar(plan, tmp_path / "gamma.ics")
    review = events(path)["gamma.ritual.monthly-review@csnb"]
    attendees = review.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]  # one attendee is no list
    assert [str(a) for a in attendees] == ["mailto:lee@gamma.example"]  # the client's executives
    assert review["DURATION"].dt == dt.timedelta(minutes=45)
    assert review["SUMMARY"] == "Gamma Health & Co: monthly-review"
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]


def test_an_e_mail_ritual_is_a_reminder_not_a_meeting(plan, tmp_path):
    weekly = events(write_calendar(plan, tmp_path / "gamma.ics"))["gamma.ritual.weekly-update@csnb"]
    assert weekly.get("ATTENDEE") is None  # nobody is invited to a report e-mail
    assert weekly["DURATION"].dt == dt.timedelta(0) and str(weekly["TRANSP"]) == "TRANSPARENT"
    assert [str(a["ACTION"]) for a in weekly.walk("VALARM")] == ["DISPLAY"]
    assert weekly["SUMMARY"] == "Gamma Health & Co: weekly-update (report by email)"
    description = str(weekly["DESCRIPTION"])
    assert "Agenda: Metrics that moved; blockers" in description  # the agenda is in the event
    assert "Sent to: Dana Ortiz, Lee Chen, Kim Ito." in description


def test_dtstart_is_the_first_real_occurrence(plan, tmp_path):
    # the rituals start on 2026-09-01, a Tuesday: the weekly rule's first date is Thursday 3 September,
    # the monthly one's the first Tuesday, 1 September itself
    found = events(write_calendar(plan, tmp_path / "gamma.ics"))
    weekly = found["gamma.ritual.weekly-update@csnb"]["DTSTART"].dt
    monthly = found["gamma.ritual.monthly-review@csnb"]["DTSTART"].dt
    assert weekly.replace(tzinfo=None) == dt.datetime(2026, 9, 3, 8, 30)
    assert monthly.replace(tzinfo=None) == dt.datetime(2026, 9, 1, 15, 0)


def _ritual_events(path) -> list:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return [e for e in cal.walk("VEVENT") if "RRULE" in e]


@pytest.mark.slow
def test_every_dtstart_of_the_demo_is_an_occurrence_of_its_rrule(demo, tmp_path, monkeypatch):
    from commands import run_csnb

    checked = 0
    for plan_path in sorted((demo / "parameters").glob("*.yaml")):
        out = tmp_path / f"{plan_path.stem}.ics"
        result = run_csnb("calendar", plan_path.stem, "--out", str(out), cwd=demo)
        assert result.returncode == 0, result.stderr
        for event in _ritual_events(out):
            start = event["DTSTART"].dt
            rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
            # dateutil yields only the dates that match the rule: the first must be DTSTART itself
            assert rule[0] == start, (plan_path.stem, str(event["SUMMARY"]), start, rule[0])
            checked += 1
    assert checked >= 6  # three demo clients with at least two rituals each


def test_milestones_are_all_day_events_on_their_due_date(plan, tmp_path):
    m1 = events(write_calendar(plan, tmp_path / "gamma.ics"))["gamma.milestone.M1@csnb"]
    assert m1["DTSTART"].dt == dt.date(2026, 10, 30) and m1["DTEND"].dt == dt.date(2026, 10, 31)
    assert "Go live" in str(m1["SUMMARY"]) and "calls >= 15" in str(m1["DESCRIPTION"])


def test_cli_calendar_writes_the_file(plan, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from csnb.cli import app

    write_project(tmp_path, {"gamma": PLAN})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["calendar", "gamma"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "gamma" / "gamma.ics").is_file()
