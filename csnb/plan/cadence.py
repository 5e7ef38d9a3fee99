"""Cadence: RFC 5545 recurrence rules of the plan's rituals -> occurrence dates, and which reports are due.

Every question is answered within bounds, whatever a rule's start or shape, so ``csnb run --due`` over
a thousand plans takes well under a second (``csnb.plan.rules`` already refuses rules faster than
daily, over 10,000 occurrences, or matching no date):

- a window: the latest occurrence is looked for at most ``LOOKBACK`` before the moment asked (an older
  one is no longer due), the next ones at most ``HORIZON`` after it;
- a restart: dateutil walks a rule from its first date, so a daily rule started years ago is
  restarted just before the window, a whole number of its periods later (the same dates follow); a
  rule with ``COUNT`` keeps its start and is walked for at most ``MAX_OCCURRENCES``;
- a short tail: dateutil walks empty period after empty period until a date matches, up to the year
  9999, so a rule whose dates never line up with its start (``FREQ=WEEKLY;BYSETPOS=3;BYDAY=MO``) would
  take seconds per question. The question is moved to the latest years before 9999 whose calendar is
  the same (the same weekdays and leap years), mostly within 28 years of the end.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.parser import isoparse
from dateutil.rrule import rrule, rrulestr

from csnb.plan.models import Plan, Ritual

LOOKBACK = (dt.timedelta(days=40), dt.timedelta(days=400))  # a month first, then the rest of the window
HORIZON = dt.timedelta(days=5 * 366)  # a leap-day ritual's next date is four years on
MAX_OCCURRENCES = 10_000  # the most a rule with COUNT is walked from its start (plans allow 10,000)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# a rule with none of these takes its day of the month (and month) from its first date, as dateutil does
DAY_PARTS = ("BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "BYEASTER")
LAST = dt.datetime(dt.MAXYEAR, 12, 31, 23, 59, 59)


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
    """Occurrences (aware, in the client's time zone) strictly after ``after``, until ``before`` (at most
    ``HORIZON`` later) or ``count`` of them."""
    tz = ZoneInfo(plan.client.timezone)
    start = _local(after, tz)
    end = _local(before, tz) if before is not None else _plus(start, HORIZON)
    found = _expand(plan, ritual, start, end, tz)
    for when in islice(found, count) if count is not None else found:
        yield when.replace(tzinfo=tz)


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
    """The last occurrence of ``ritual`` at or before ``at``, at most 400 days before it (aware), or None."""
    tz = ZoneInfo(zone or plan.client.timezone)
    end = _local(at, tz)
    for back in LOOKBACK:  # most rituals are daily to monthly: look close first
        found = list(_expand(plan, ritual, _minus(end, back), end, tz))
        if found:
            return found[-1].replace(tzinfo=tz)
    return None


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


# --- bounded expansion ------------------------------------------------------------------------------------


def _expand(
    plan: Plan, ritual: Ritual, lo: dt.datetime, hi: dt.datetime, tz: ZoneInfo
) -> Iterator[dt.datetime]:
    """Occurrences after ``lo`` and at or before ``hi`` (naive, in ``tz``), oldest first; bounded work."""
    hour, minute = (int(x) for x in ritual.time.split(":"))
    first = dt.datetime.combine(ritual_start(plan, ritual), dt.time(hour, minute))
    parts = _parts(ritual.rrule)
    until = _until(parts["UNTIL"], tz) if "UNTIL" in parts else None
    if first > hi or (until is not None and until < first):
        return
    changes: dict[str, object] = {}
    if "COUNT" not in parts or int(parts["COUNT"]) > (hi - first).days + 1:
        changes["count"] = None  # at most one occurrence a day: COUNT cannot end the rule by ``hi``
        first = _restart(parts, first, lo, changes)
    years = 0 if "BYEASTER" in parts else _same_calendar_later(first.year - 1, hi.year + 1)
    if until is not None:
        changes["until"] = _shift(min(until, hi), years)
    rule = _rule(ritual.rrule).replace(dtstart=_shift(first, years), **changes)
    lo, hi = _shift(lo, years), _shift(hi, years)
    try:
        for when in islice(rule, MAX_OCCURRENCES):
            if when > hi:
                return
            if when > lo:
                yield _shift(when, -years)
    except (ValueError, OverflowError):  # dateutil walked past 9999-12-31 (a week into 10000): no more
        return


@lru_cache(maxsize=4096)
def _rule(text: str) -> rrule:
    """The rule parsed once (without its UNTIL, which ``_expand`` sets); its dates come from ``replace``."""
    kept = ";".join(p for p in text.split(";") if p and not p.upper().startswith("UNTIL="))
    return rrulestr(kept, dtstart=dt.datetime(2000, 1, 1))


def _restart(
    parts: dict[str, str], first: dt.datetime, lo: dt.datetime, changes: dict[str, object]
) -> dt.datetime:
    """A first date a whole number of the rule's periods after ``first`` and a period or more before ``lo``.

    The rule gives the same dates after it: periods keep their alignment, and what dateutil takes from
    the first date (its day of the month, its month) goes into ``changes``. ``first`` itself when it is
    already close to ``lo``.
    """
    freq, step = parts["FREQ"], int(parts.get("INTERVAL", "1"))
    if freq == "DAILY":
        k = (lo.date() - first.date()).days // step - 1
        return first + dt.timedelta(days=k * step) if k > 0 else first
    if freq == "WEEKLY":
        wkst = WEEKDAYS.index(parts["WKST"]) if "WKST" in parts else calendar.firstweekday()  # dateutil's
        weeks = (_week_start(lo, wkst) - _week_start(first, wkst)).days // 7
        k = weeks // step - 1
        return first + dt.timedelta(weeks=k * step) if k > 0 else first
    months = 12 if freq == "YEARLY" else 1
    k = ((lo.year - first.year) * 12 + lo.month - first.month) // (months * step) - 1
    if k <= 0:
        return first
    if not any(p in parts for p in DAY_PARTS):
        changes["bymonthday"] = first.day
        if freq == "YEARLY" and "BYMONTH" not in parts:
            changes["bymonth"] = first.month
    index = first.year * 12 + first.month - 1 + k * months * step
    return first.replace(year=index // 12, month=index % 12 + 1, day=1)


def _week_start(when: dt.datetime, wkst: int) -> dt.date:
    return when.date() - dt.timedelta(days=(when.weekday() - wkst) % 7)


def _parts(rule: str) -> dict[str, str]:
    """``NAME=VALUE`` parts of a validated rule, in order, names and values in upper case."""
    return dict(p.split("=", 1) for p in rule.upper().split(";") if p)


def _until(value: str, tz: ZoneInfo) -> dt.datetime:
    """An ``UNTIL`` as a naive date-time in ``tz``: a UTC one (``...Z``) converted, a local one as written."""
    when = isoparse(value)
    return when.astimezone(tz).replace(tzinfo=None) if when.tzinfo else when


@lru_cache(maxsize=1024)
def _same_calendar_later(first: int, last: int) -> int:
    """The most years the span ``first``..``last`` can move forward and keep its calendar, ending by 9999.

    Years with the same weekday on January 1 and the same leap years have every date on the same
    weekday: what a rule of whole days, weeks, months and years sees. Whole 400-year cycles always
    qualify; most spans find a match within 28 years of the end.
    """
    first = max(first, dt.MINYEAR)
    start = dt.date(first, 1, 1).weekday()
    leaps = [calendar.isleap(y) for y in range(first, last + 1)]
    for years in range(dt.MAXYEAR - last, 0, -1):
        if dt.date(first + years, 1, 1).weekday() == start and leaps == [
            calendar.isleap(y + years) for y in range(first, last + 1)
        ]:
            return years
    return 0


def _shift(when: dt.datetime, years: int) -> dt.datetime:
    """``when`` moved by ``years`` of ``_same_calendar_later``: the same weekday, February 29 still a date."""
    return when.replace(year=when.year + years) if years else when


def _local(when: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """``when`` as a naive date-time in ``tz`` (a naive one is taken as already there)."""
    return when.astimezone(tz).replace(tzinfo=None) if when.tzinfo else when


def _plus(when: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    return when + delta if LAST - when > delta else LAST


def _minus(when: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    return when - delta if when - dt.datetime.min > delta else dt.datetime.min
