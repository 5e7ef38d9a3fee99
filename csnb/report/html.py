"""HTML of the report's sections, from Jinja templates with autoescaping (everything a user typed is escaped)."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

STATUS_LABELS = {
    "achieved": "Achieved", "on_track": "On track", "at_risk": "At risk", "off_track": "Off track",
    "missed": "Missed", "no_data": "No data", "done": "Done", "late": "Late", "blocked": "Blocked",
    "not_started": "Not started", "triggered": "Triggered", "clear": "Clear", "green": "Green",
    "amber": "Amber", "red": "Red", "unknown": "Unknown",
}
# Every status has a symbol as well as a colour, so it reads in greyscale print and for colour-blind readers.
STATUS_SYMBOLS = {
    "achieved": "★", "on_track": "●", "done": "✔", "at_risk": "▲", "off_track": "▼", "missed": "✖",
    "late": "✖", "blocked": "■", "no_data": "○", "not_started": "○", "triggered": "!", "clear": "·",
    "green": "●", "amber": "▲", "red": "▼", "unknown": "○",
}


def fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    """A number for people: thousands separators, few decimals, unit; an em dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, (int, float)):
        text = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.{digits}f}"
        return f"{text} {unit}".strip() if unit else text
    return str(value)


def pct(value: Any) -> str:
    """A ratio as a percentage."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.0f}%"


def day(value: Any) -> str:
    """A date as ``23 Nov 2026``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return value.strftime("%-d %b %Y") if hasattr(value, "strftime") else str(value)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment of the section templates (autoescape on for every template)."""
    env = Environment(loader=PackageLoader("csnb", "sections"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt=fmt, pct=pct, day=day, label=lambda s: STATUS_LABELS.get(s, s),
                       symbol=lambda s: STATUS_SYMBOLS.get(s, ""))
    return env


def render(name: str, **context: Any) -> str:
    """Render ``<name>.html.j2`` with ``context``."""
    return environment().get_template(f"{name}.html.j2").render(**context)
