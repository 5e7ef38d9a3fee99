"""The date of "today" in the right time zone: the plan's, else csnb.toml's, never UTC by accident.

Every date in a plan is a calendar date in the plan's time zone (DESIGN "Status rules"), so the date a
report is made for must be read on that zone's clock: at 00:30 in Berlin it is already tomorrow there,
while UTC is still on today; in Los Angeles the evening's reports must not jump to tomorrow's folder.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo


def now_in(zone: str, clock: dt.datetime | None = None) -> dt.datetime:
    """The moment ``clock`` (default: now) as a wall-clock time in the IANA time zone ``zone``."""
    moment = clock or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:  # a naive moment is already a local time there
        return moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(ZoneInfo(zone))


def today_in(zone: str, clock: dt.datetime | None = None) -> dt.date:
    """The calendar date in ``zone`` at the moment ``clock`` (default: now)."""
    return now_in(zone, clock).date()


def plan_zone(config: Any, plan: Any = None) -> str:
    """The time zone "today" is read in: the plan's own when it sets one, else the project's."""
    client = getattr(plan, "client", None)
    fields_set = getattr(client, "model_fields_set", set())
    if client is not None and "timezone" in fields_set:
        return str(client.timezone)
    return str(getattr(config, "timezone", "UTC") or "UTC")


def today(config: Any, plan: Any = None, clock: dt.datetime | None = None) -> dt.date:
    """The date reports are made for without ``--as-of``: ``csnb.toml``'s pinned ``as_of``, else the date
    in the plan's time zone (or the project's when the plan names none) at ``clock`` (default: now)."""
    pinned = getattr(config, "as_of", None)
    if pinned:
        return pinned
    return today_in(plan_zone(config, plan), clock)
