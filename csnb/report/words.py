"""The client's words for what the engine computes: statuses, bands, ids, criteria, number styles."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from csnb.report.formats import NumberStyle, number
from csnb.templating import STATUS_LABELS

if TYPE_CHECKING:
    from csnb.report.build import Report

# the shared labels, with the words a client reads where the operator's short label would puzzle them
STATUS_WORDS = {
    **STATUS_LABELS,
    "no_data": "No data yet",
    "error": "Data unavailable",
    "unknown": "Not scored",
    "planned": "Planned",
    "in_progress": "In progress",
    "open": "Open",
    "overdue": "Overdue",
    "received": "Received",
}
_GOAL_BANDS = {
    "achieved": "green",
    "on_track": "green",
    "at_risk": "amber",
    "off_track": "red",
    "missed": "red",
    "error": "red",
    "no_data": "grey",
}
_MILESTONE_BANDS = {
    "done": "green",
    "on_track": "green",
    "not_started": "grey",
    "at_risk": "amber",
    "blocked": "amber",
    "late": "red",
}
OPS = {">=": "at or above", ">": "above", "<=": "at or below", "<": "below", "==": "equal to"}


def goal_band(status: str) -> str:
    """The band (green, amber, red, grey) a goal or metric status is drawn in."""
    return _GOAL_BANDS.get(status, "grey")


def milestone_band(status: str) -> str:
    """The band (green, amber, red, grey) a milestone status is drawn in."""
    return _MILESTONE_BANDS.get(status, "grey")


def status_word(status: str) -> str:
    """A status token as words: ``off_track`` reads ``Off track``."""
    return STATUS_WORDS.get(status, humanize(status))


def humanize(token: str) -> str:
    """An id or token as words: ``weekly-update`` reads ``Weekly update``, ``pos_vendor`` ``Pos vendor``."""
    words = re.sub(r"[_\-.]+", " ", str(token)).strip()
    return words[:1].upper() + words[1:]


def source_name(source_id: str) -> str:
    """A data source as the client reads it (its id in words)."""
    return humanize(source_id)


def metric_style(report: Report, metric_id: str) -> NumberStyle:
    """How a metric's numbers read: the plan's ``format`` over its unit, in the project's locale."""
    try:
        m = report.plan.metric(metric_id)
    except StopIteration:
        return NumberStyle(locale=report.locale)
    f = m.format
    return NumberStyle(
        unit=f.unit if f.unit is not None else m.unit,
        decimals=f.decimals if f.decimals is not None else default_decimals(m.baseline.value, m.target.value),
        percent=f.percent,
        currency=report.currency if f.currency else None,
        locale=report.locale,
    )


def default_decimals(baseline: float, target: float) -> int:
    """Decimals that show a metric's moves, the same for all its values: none for a wide whole range."""
    whole = float(baseline).is_integer() and float(target).is_integer()
    return 0 if whole and abs(target - baseline) >= 20 else 1


def value(report: Report, metric_id: str, amount: object) -> str:
    """A metric's value in its own format: ``527 minutes``, ``53%``."""
    return number(amount, metric_style(report, metric_id))


def criterion(
    report: Report, metric_id: str | None, op: str | None, amount: object, check: str | None
) -> str:
    """A criterion as a sentence: ``Manual routing time at or below 450 minutes``; a check as written."""
    if not metric_id:
        return check or ""
    names = dict(zip(report.snapshot.metrics["metric"], report.snapshot.metrics["name"], strict=False))
    name = names.get(metric_id, humanize(metric_id))
    return f"{name} {OPS.get(op or '', op or '')} {value(report, metric_id, amount)}"
