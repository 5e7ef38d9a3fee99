"""Cadence: RFC 5545 recurrence rules of the plan's rituals -> occurrence dates, and which reports are due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from csnb.plan.models import Plan, Ritual


def ritual_start(plan: Plan, ritual: Ritual) -> dt.date:
    """First date of a ritual's recurrence: its ``start``, else the first milestone or baseline date."""
    if ritual.start:
        return ritual.start
    dates = [m.start for m in plan.milestones] + [m.baseline.date for m in plan.metrics]
    return min(dates) if dates else dt.date(2000, 1, 1)


def occurrences(
    plan: Plan,
    ritual: Ritual,
    after: dt.datetime,
    before: dt.datetime | None = None,
    count: int | None = None,
) -> Iterator[dt.datetime]:
    """Occurrences (aware datetimes in the client's time zone) strictly after ``after``."""
    tz = ZoneInfo(plan.client.timezone)
    hour, minute = (int(x) for x in ritual.time.split(":"))
    first = dt.datetime.combine(ritual_start(plan, ritual), dt.time(hour, minute))
    rule = rrulestr(ritual.rrule, dtstart=first)
    after_naive = after.astimezone(tz).replace(tzinfo=None) if after.tzinfo else after
    before_naive = before.astimezone(tz).replace(tzinfo=None) if before and before.tzinfo else before
    n = 0
    when = rule.after(after_naive, inc=False)
    while (
        when is not None and (before_naive is None or when <= before_naive) and (count is None or n < count)
    ):
        yield when.replace(tzinfo=tz)
        n += 1
        when = rule.after(when, inc=False)


def next_dates(plan: Plan, ritual: Ritual, as_of: dt.date, count: int = 3) -> list[dt.datetime]:
    """The next ``count`` occurrences of a ritual after the end of ``as_of``."""
    end_of_day = dt.datetime.combine(as_of, dt.time(23, 59, 59))
    return list(occurrences(plan, ritual, end_of_day, count=count))


@dataclass(frozen=True)
class Due:
    """One report the cadence asks for: the latest occurrence of a ritual at or before the time asked."""

    client: str
    ritual: str
    audience: str
    occurrence: dt.datetime  # aware, in the client's time zone

    @property
    def as_of(self) -> dt.date:
        """The report's date: the occurrence's calendar day in the client's time zone."""
        return self.occurrence.date()


def plan_zone(plan: Plan, default: str = "UTC") -> str:
    """The plan's time zone if it names one, else the project's (``csnb.toml``)."""
    return plan.client.timezone if "timezone" in plan.client.model_fields_set else default


def latest_occurrence(
    plan: Plan, ritual: Ritual, at: dt.datetime, zone: str | None = None
) -> dt.datetime | None:
    """The last occurrence of ``ritual`` at or before ``at`` (aware), or None before the first one."""
    tz = ZoneInfo(zone or plan.client.timezone)
    hour, minute = (int(x) for x in ritual.time.split(":"))
    rule = rrulestr(
        ritual.rrule, dtstart=dt.datetime.combine(ritual_start(plan, ritual), dt.time(hour, minute))
    )
    when = rule.before(at.astimezone(tz).replace(tzinfo=None), inc=True)
    return when.replace(tzinfo=tz) if when else None


def due_reports(
    plans: list[Plan], at: dt.datetime, done: Callable[[str, str, dt.date], bool], zone: str = "UTC"
) -> list[Due]:
    """Reports due at ``at``: per ritual, its latest occurrence, unless ``done(client, audience, as_of)``.

    Only the latest occurrence counts (a missed weekly update is replaced by this week's, not sent
    twice), and rituals of one audience falling on the same day share one report.
    """
    due: dict[tuple[str, str, dt.date], Due] = {}
    for plan in plans:
        tz = plan_zone(plan, zone)
        for ritual in plan.cadence:
            when = latest_occurrence(plan, ritual, at, tz)
            if when is None:
                continue
            item = Due(plan.client.id, ritual.ritual, ritual.audience, when)
            key = (item.client, item.audience, item.as_of)
            if key not in due and not done(*key):
                due[key] = item
    return sorted(due.values(), key=lambda d: (d.client, d.audience, d.occurrence))
