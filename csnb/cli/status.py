"""``csnb status`` printed for people: goals, metrics, milestones and risks as rich tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

COLOURS = {
    "achieved": "green",
    "on_track": "green",
    "done": "green",
    "green": "green",
    "clear": "green",
    "at_risk": "yellow",
    "amber": "yellow",
    "blocked": "yellow",
    "off_track": "red",
    "missed": "red",
    "late": "red",
    "red": "red",
    "triggered": "red",
    "no_data": "dim",
    "not_started": "dim",
    "unknown": "dim",
}


def _badge(status: str | None) -> Text:
    return Text(str(status), style=COLOURS.get(str(status), ""))


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:,.1f}" if isinstance(value, float) else str(value)


def print_status(result: dict[str, Any], console: Console) -> None:
    """Print the status result as rich tables (user strings are shown as plain text, never markup)."""
    for c in result["clients"]:
        h = c["health"]
        console.print(
            Text.assemble(
                (f"{c['name']} ({c['client']})", "bold"),
                f" — as of {result['as_of']} — health ",
                (f"{_num(h['score'])} {h['band']}", COLOURS.get(h["band"], "")),
            )
        )
        for table in (_metrics(c), _milestones(c), _risks(c)):
            console.print(table)
        for line in _lead_lines(c):
            console.print(Text(line))
        for e in c["source_errors"]:
            console.print(Text(f"data problem: {e}", style="red"))
        console.print()


def _metrics(c: dict[str, Any]) -> Table:
    table = Table(
        "metric",
        "kind",
        "current",
        "target",
        "progress",
        "expected",
        "status",
        "forecast",
        title="Metrics",
        title_justify="left",
    )
    for m in c["metrics"]:
        table.add_row(
            Text(m["name"]),
            m["kind"],
            _num(m["current"]),
            _num(m["target"]),
            "—" if m["progress"] is None else f"{m['progress']:.0%}",
            f"{m['expected']:.0%}",
            _badge(m["status"]),
            m["forecast_date"] or "—",
        )
    return table


def _milestones(c: dict[str, Any]) -> Table:
    ms = Table(
        "milestone",
        "title",
        "due",
        "status",
        "achieved",
        "slip",
        title="Milestones",
        title_justify="left",
    )
    for m in c["milestones"]:
        ms.add_row(
            Text(m["milestone"]),
            Text(m["title"]),
            m["due"],
            _badge(m["status"]),
            m["achieved_on"] or "—",
            "—" if m["slip_days"] is None else f"{m['slip_days']:+.0f} d",
        )
    return ms


def _risks(c: dict[str, Any]) -> Table:
    risks = Table("risk", "description", "status", title="Risks", title_justify="left")
    for r in c["risks"]:
        risks.add_row(Text(r["risk"]), Text(r["description"]), _badge(r["status"]))
    return risks


def _lead_lines(c: dict[str, Any]) -> list[str]:
    lines = []
    for lc in c["lead_checks"]:
        verdict = (
            "not enough data"
            if lc["predicts"] is None
            else (
                f"leads by {lc['best_shift']} (r={lc['best_r']:.2f})"
                if lc["predicts"]
                else f"predicts nothing (best r={lc['best_r']:.2f})"
            )
        )
        lines.append(f"lead {lc['lead']} -> {lc['lag']}: {verdict}")
    return lines
