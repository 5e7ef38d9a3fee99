"""The plan's calendar as an ``.ics`` file: rituals as recurring events, milestones' due dates all-day.

Each ritual's DTSTART is its first real occurrence (at or after the date ``csnb.plan.cadence`` starts it),
at its time in the client's time zone, with its RRULE as written in the plan, so a calendar program
expands it to exactly the dates csnb reports on: RFC 5545 leaves a DTSTART that its RRULE does not match
undefined, and calendars then show a stray first event. Meetings and calls are meetings (attendees,
duration); a report sent by e-mail, chat or portal is a reminder that blocks no time and invites no one.
UIDs are stable (client, ritual or milestone), so importing a newer file updates the events instead of
adding copies.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from csnb.fs import write_atomic
from csnb.plan.cadence import occurrences, ritual_start
from csnb.plan.people import recipients

if TYPE_CHECKING:
    from icalendar import Calendar, Event

    from csnb.plan.models import Milestone, Plan, Ritual

PRODID = "-//csnb//client success plan//EN"
MEETINGS = ("meeting", "call")  # channels where people meet; the others deliver a report


def calendar(plan: Plan, stamp: dt.datetime | None = None) -> Calendar:
    """An iCalendar of the plan's rituals (with RRULE, attendees and agenda) and milestone due dates."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{plan.client.name} — success plan")
    cal.add("x-wr-timezone", plan.client.timezone)
    stamp = stamp or dt.datetime.now(dt.UTC)
    for ritual in plan.cadence:
        cal.add_component(ritual_event(plan, ritual, stamp))
    for milestone in plan.milestones:
        cal.add_component(milestone_event(plan, milestone, stamp))
    cal.add_missing_timezones()  # a VTIMEZONE for the client's zone, as RFC 5545 asks for a TZID
    return cal


def first_occurrence(plan: Plan, ritual: Ritual) -> dt.datetime:
    """The ritual's first real occurrence, at its time in the client's time zone (aware)."""
    hour, minute = (int(x) for x in ritual.time.split(":"))
    zone = ZoneInfo(plan.client.timezone)
    start = dt.datetime.combine(ritual_start(plan, ritual), dt.time(hour, minute), tzinfo=zone)
    # strictly after a moment just before the start day, so an occurrence on that day counts
    day_before = dt.datetime.combine(start.date(), dt.time(0, 0), tzinfo=zone) - dt.timedelta(microseconds=1)
    return next(occurrences(plan, ritual, day_before, count=1), start)


def ritual_event(plan: Plan, ritual: Ritual, stamp: dt.datetime) -> Event:
    """One ritual as a recurring event in the client's time zone: a meeting, or a reminder of a report."""
    from icalendar import Alarm, Event, vRecur

    meeting = ritual.channel in MEETINGS
    event = Event()
    event.add("uid", f"{plan.id}.ritual.{ritual.ritual}@csnb")
    event.add("dtstamp", stamp)
    kind = "" if meeting else f" (report by {ritual.channel})"
    event.add("summary", f"{plan.client.name}: {ritual.ritual}{kind}")
    event.add("dtstart", first_occurrence(plan, ritual))
    event.add("duration", dt.timedelta(minutes=ritual.duration_minutes if meeting else 0))
    event.add("rrule", vRecur.from_ical(ritual.rrule))
    event.add("description", ritual_description(plan, ritual))
    event.add("categories", [ritual.channel])
    if meeting:
        _invite(plan, ritual, event)
    else:
        event.add("transp", "TRANSPARENT")  # a report going out makes no one busy
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{plan.client.name}: {ritual.ritual} report goes out")
        alarm.add("trigger", dt.timedelta(0))
        event.add_component(alarm)
    return event


def _invite(plan: Plan, ritual: Ritual, event: Event) -> None:
    """Attendees of a meeting: client-side people are required, the provider's optional."""
    from icalendar import vCalAddress, vText

    for person in recipients(plan, ritual):
        if person.email:
            attendee = vCalAddress(f"mailto:{person.email}")
            attendee.params["cn"] = vText(person.name)
            attendee.params["role"] = vText(
                "REQ-PARTICIPANT" if person.side == "client" else "OPT-PARTICIPANT"
            )
            event.add("attendee", attendee, encode=0)


def ritual_description(plan: Plan, ritual: Ritual) -> str:
    """What the event is for: agenda, the report's edition and channel, and who receives it."""
    lines = [f"Agenda: {ritual.agenda}"] if ritual.agenda else []
    lines.append(f"Report: {ritual.audience} edition, by {ritual.channel}.")
    names = [p.name for p in recipients(plan, ritual)]
    if names:
        lines.append(("Attendees: " if ritual.channel in MEETINGS else "Sent to: ") + ", ".join(names) + ".")
    return "\n".join(lines)


def milestone_event(plan: Plan, milestone: Milestone, stamp: dt.datetime) -> Event:
    """A milestone's due date as an all-day event."""
    from icalendar import Event

    event = Event()
    event.add("uid", f"{plan.id}.milestone.{milestone.id}@csnb")
    event.add("dtstamp", stamp)
    event.add("summary", f"{plan.client.name}: {milestone.id} due — {milestone.title}")
    event.add("dtstart", milestone.due)
    event.add("dtend", milestone.due + dt.timedelta(days=1))
    owner = next((p.name for p in plan.people if p.id == milestone.owner), milestone.owner)
    checks = "\n".join(f"- {c.label}" for c in milestone.criteria)
    event.add("description", f"Owner: {owner}. Stage: {milestone.stage}.\nAcceptance:\n{checks}")
    event.add("transp", "TRANSPARENT")  # a due date does not make anyone busy
    return event


def write_calendar(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the plan's calendar to ``path``, atomically; return the path."""
    return write_atomic(path, calendar(plan).to_ical())
