"""The one Jinja environment of csnb, and the formats every page shares (numbers, dates, statuses).

Each stage keeps its templates beside its code (``csnb/<stage>/templates/<group>/``); the loader
searches those folders by path, so this bottom layer imports no stage. HTML templates autoescape
everything (every string a user typed is text, never markup); ``.txt.j2`` templates (e-mail plain
text) do not. Text templates mark their block tags ``+%}`` to keep the newline after them.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

PACKAGE = Path(__file__).resolve().parent
STAGES = ("report", "render", "delivery", "retro")  # the stages that own templates

STATUS_LABELS = {
    "achieved": "Achieved",
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "missed": "Missed",
    "no_data": "No data",
    "error": "Source failed",
    "done": "Done",
    "late": "Late",
    "blocked": "Blocked",
    "not_started": "Not started",
    "triggered": "Triggered",
    "clear": "Clear",
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "unknown": "Unknown",
}
# Every status has a symbol as well as a colour, so it reads in greyscale print and for colour-blind readers.
STATUS_SYMBOLS = {
    "achieved": "★",
    "on_track": "●",
    "done": "✔",
    "at_risk": "◆",  # shapes, not arrows: ▲ for amber reads as "going up"
    "off_track": "■",
    "missed": "✖",
    "late": "✖",
    "blocked": "■",
    "no_data": "○",
    "error": "⚠",
    "not_started": "○",
    "triggered": "!",
    "clear": "·",
    "green": "●",
    "amber": "◆",
    "red": "■",
    "unknown": "○",
}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    """A number for people: thousands separators, few decimals, unit; an em dash when missing."""
    if _missing(value):
        return "—"
    if isinstance(value, (int, float)):
        text = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.{digits}f}"
        return f"{text} {unit}".strip() if unit else text
    return str(value)


def pct(value: Any) -> str:
    """A ratio as a percentage."""
    return "—" if _missing(value) else f"{value * 100:.0f}%"


def day(value: Any) -> str:
    """A date as ``23 Nov 2026``."""
    if _missing(value):
        return "—"
    return value.strftime("%-d %b %Y") if hasattr(value, "strftime") else str(value)


def template_folder(stage: str) -> Path:
    """``csnb/<stage>/templates``: where a stage keeps its templates and their static files."""
    return PACKAGE / stage / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment of every csnb template (sections, portfolio, mail, lessons)."""
    env = Environment(
        loader=FileSystemLoader([template_folder(stage) for stage in STAGES]),
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        fmt=fmt,
        pct=pct,
        day=day,
        label=lambda s: STATUS_LABELS.get(s, s),
        symbol=lambda s: STATUS_SYMBOLS.get(s, ""),
    )
    return env


def render(name: str, **context: Any) -> str:
    """Render the template ``name`` (``"sections/summary.html.j2"``) with ``context``."""
    return environment().get_template(name).render(**context)


def precompile() -> int:
    """Compile every csnb template now (a warm process does, so that its forks never compile one)."""
    env = environment()
    # csnb_report/ is nbconvert's template (its own environment and filters), prepared by the exporter
    names = env.list_templates(filter_func=lambda name: name.endswith(".j2") and "/" in name)
    names = [name for name in names if not name.startswith("csnb_report/")]
    for name in names:
        env.get_template(name)
    return len(names)
