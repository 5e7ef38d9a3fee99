"""A ritual's recurrence rule (RFC 5545 RRULE): what a plan may write, and the rule to expand.

A ritual occurs at most once a day at its ``time``: frequencies below daily and BYHOUR, BYMINUTE
or BYSECOND are refused, and so are rules that step more than ten years, count more than
``MAX_COUNT`` occurrences, or never occur. ``UNTIL`` may be a date, a local date-time, or a UTC
date-time (``...Z``), which is read in the plan's time zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

MAX_COUNT = 10_000  # forty years of weekly updates
# The longest step between occurrences, per frequency: ten years.
MAX_INTERVAL = {"DAILY": 3660, "WEEKLY": 522, "MONTHLY": 120, "YEARLY": 10}
_PART = re.compile(r"^([A-Z]+)=(.*)$")
_UTC_UNTIL = re.compile(r"(?<![A-Z])UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)
_EXPANDING = ("BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY", "BYSETPOS", "WKST")


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for part in filter(None, text.split(";")):
        match = _PART.match(part.strip().upper())
        if not match:
            raise ValueError(f"{part!r} is not NAME=VALUE")
        if match.group(1) in parts:
            raise ValueError(f"{match.group(1)} is given twice")
        parts[match.group(1)] = match.group(2)
    return parts


def _number(parts: dict[str, str], name: str) -> int | None:
    if name not in parts:
        return None
    try:
        return int(parts[name])
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {parts[name]!r}") from None


def _limits(parts: dict[str, str]) -> None:
    freq = parts.get("FREQ", "")
    if freq in ("HOURLY", "MINUTELY", "SECONDLY"):
        raise ValueError(
            f"FREQ={freq}: a ritual occurs at most once a day (DAILY, WEEKLY, MONTHLY or YEARLY)"
        )
    if freq not in MAX_INTERVAL:
        raise ValueError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    for name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        if name in parts:
            raise ValueError(f"{name}: a ritual occurs once a day, at its `time`")
    interval, count = _number(parts, "INTERVAL"), _number(parts, "COUNT")
    if (interval is not None and interval < 1) or (count is not None and count < 1):
        raise ValueError("INTERVAL and COUNT must be at least 1")  # INTERVAL=0 never advances
    if interval is not None and interval > MAX_INTERVAL[freq]:
        raise ValueError(f"INTERVAL must be 1 to {MAX_INTERVAL[freq]} with FREQ={freq} (at most ten years)")
    if count is not None and count > MAX_COUNT:
        raise ValueError(f"COUNT must be 1 to {MAX_COUNT:,}")
    if count is not None and "UNTIL" in parts:
        raise ValueError("give COUNT or UNTIL, not both")


def check_rule(value: str) -> str:
    """The rule text of a plan's ``rrule``, without a leading ``RRULE:``; ``ValueError`` if it is none."""
    text, problem = _checked(value)
    if problem:
        raise ValueError(problem)
    return text


@functools.lru_cache(maxsize=4096)  # a portfolio's plans share a handful of rules
def _checked(value: str) -> tuple[str, str | None]:
    text = value.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if "DTSTART" in text.upper():
        return text, "put the first date in `start`, not DTSTART inside the rule"
    if ":" in text or "\n" in text:  # EXDATE:, RDATE:, a second RRULE: would make a set, not one rule
        return text, f"invalid RRULE {value!r}: write one rule such as FREQ=WEEKLY;BYDAY=MO"
    try:
        _limits(_parts(text))
        recurrence(text, dt.datetime(2026, 1, 1), "UTC")  # dateutil's own checks
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        return text, f"invalid RRULE {value!r}: {exc}"
    if not _occurs(text):
        return text, f"invalid RRULE {value!r}: no date matches it, so the ritual never occurs"
    return text, None


def _occurs(text: str) -> bool:
    """Whether any day matches the rule's BY parts (checked year by year, which is quick)."""
    kept = [p for p in text.upper().split(";") if p.split("=")[0] in _EXPANDING]
    yearly = rrulestr(";".join(["FREQ=YEARLY", *kept]), dtstart=dt.datetime(2000, 1, 1))
    return yearly.after(dt.datetime(2000, 1, 1), inc=True) is not None


def recurrence(text: str, first: dt.datetime, zone: str) -> rrule:
    """The rule starting at ``first`` (naive, in ``zone``); a UTC ``UNTIL`` is read in ``zone``."""

    def local(match: re.Match[str]) -> str:
        until = dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
        return "UNTIL=" + until.astimezone(ZoneInfo(zone)).strftime("%Y%m%dT%H%M%S")

    return rrulestr(_UTC_UNTIL.sub(local, text), dtstart=first)
