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
    "error": "bold red",
    "overdue": "red",
    "open": "",
    "received": "green",
    "not_started": "dim",
    "unknown": "dim",
}


def _badge(status: str | None) -> Text:
    return Text(str(status), style=COLOURS.get(str(status), ""))


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value:.0%}"


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:,.1f}" if isinstance(value, float) else str(value)


def exit_code(result: dict[str, Any], console: Console | None = None) -> int:
    """1 when a data source failed for any client (its statuses are not the whole truth), else 0.

    With ``console``, each failed source is also named there (``--json`` keeps stdout machine-readable).
    """
    lines = [line for c in result["clients"] for line in _error_lines(c)]
    for line in lines if console is not None else []:
        console.print(Text(line, style="red"))
    return 1 if lines else 0


def print_status(result: dict[str, Any], console: Console, errors: Console | None = None) -> None:
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
        for line in _health_lines(h):
            console.print(Text(line, style="yellow"))
        for table in (_metrics(c), _milestones(c), _risks(c)):
            console.print(table)
        for line in _lead_lines(c) + _input_lines(c):
            console.print(Text(line))
        for line in _error_lines(c):
            (errors or console).print(Text(line, style="red"))
        console.print()


def _health_lines(h: dict[str, Any]) -> list[str]:
    lines = [f"capped at amber: {c['reason']}" for c in h.get("capped_by", [])]
    reasons = {"stale": "stale data", "error": "source failed", "no_data": "no data"}
    left = [f"{m} ({reasons.get(r, r)})" for m, r in h.get("missing_reasons", {}).items()]
    return lines + ([f"not scored: {', '.join(left)}"] if left else [])


def _error_lines(c: dict[str, Any]) -> list[str]:
    """One line per failed source of the client, naming its metrics (messages are already redacted)."""
    failed = c.get("failed_sources") or []
    if not failed:
        return [f"data problem: {e}" for e in c["source_errors"]]
    return [f"data problem: client {c['client']}, {f['line']}" for f in failed]


def _input_lines(c: dict[str, Any]) -> list[str]:
    lines = []
    for i in c.get("inputs", []):
        if i["status"] == "overdue":
            lines.append(f"input overdue {i['days_overdue']} d: {i['description']} ({i['milestone']})")
        elif i["status"] == "open":
            lines.append(
                f"input open: {i['description']} ({i['milestone']}, needed by {i['needed_by'] or '—'})"
            )
    return lines


def _as_of_text(m: dict[str, Any]) -> Text:
    """'2026-10-12' or, when stale, '2026-09-30 (15 days old)' in yellow."""
    newest = m.get("newest_date") or m.get("current_date")  # age_days counts from the newest observation
    if newest is None:
        return Text("—")
    text = str(newest)
    if m.get("stale"):
        return Text(f"{text} ({m['age_days']} days old)", style="yellow")
    return Text(text)


def _metrics(c: dict[str, Any]) -> Table:
    table = Table(
        "metric",
        "kind",
        "current",
        "target",
        "progress",
        "expected",
        "status",
        "data as of",
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
            _pct(m["progress"]),
            _pct(m["expected"]),
            _badge(m["status"]),
            _as_of_text(m),
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
            f"cannot tell ({lc.get('reason') or 'too few points'})"
            if lc["predicts"] is None
            else (
                f"leads by {lc['best_shift']} (r={lc['best_r']:.2f})"
                if lc["predicts"]
                else f"predicts nothing (best r={lc['best_r']:.2f})"
            )
        )
        lines.append(f"lead {lc['lead']} -> {lc['lag']}: {verdict}")
    return lines
