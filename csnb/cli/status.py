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


def _health(score: Any) -> str:
    """'66.7/100': the score out of its scale; '—' when every input is missing."""
    return "—" if score is None else f"{_num(score)}/100"


def _with_unit(value: Any, unit: str | None) -> str:
    """'195.9 users', '98.2 %'; a value without a unit stays a bare number."""
    if value is None:
        return "—"
    return f"{_num(value)} {unit}" if unit else _num(value)


def _days(n: float) -> str:
    return f"{n:+.0f} day" if abs(n) == 1 else f"{n:+.0f} days"


PERIODS = {"day": ("day", "days"), "week": ("week", "weeks"), "month": ("month", "months")}


def _periods(n: int, frequency: str | None) -> str:
    """'1 week', '0 weeks', '2 months': a shift of the lead check in its metric's periods."""
    one, many = PERIODS.get(frequency or "", ("period", "periods"))
    return f"{n} {one if n == 1 else many}"


def _forecast(m: dict[str, Any], as_of: str) -> str:
    """When the trend reaches the target; never a date before as_of (a metric not achieved that has not
    reached its target by now has no forecast in the past)."""
    if m.get("status") == "achieved":
        return "reached"
    date = m.get("forecast_date")
    if date is None or str(date) < as_of:
        return "not on course" if m.get("status") not in ("no_data", "error") else "—"
    return str(date)


def status_console(console: Console) -> Console:
    """``console``, or for a pipe or a file (which have no width) one wide enough that nothing is cut."""
    if console.is_terminal:
        return console
    return Console(width=160, highlight=False, markup=False, emoji=False, file=console.file)


def exit_code(result: dict[str, Any], console: Console | None = None) -> int:
    """1 when a data source failed for any client (its statuses are not the whole truth), else 0.

    With ``console``, each failed source is also named there (``--json`` keeps stdout machine-readable).
    """
    lines = [line for c in result["clients"] for line in _error_lines(c)]
    for line in lines if console is not None else []:
        console.print(Text(line, style="red"))
    return 1 if lines else 0


def print_status(result: dict[str, Any], console: Console, errors: Console | None = None) -> None:
    """Print the status result as rich tables (user strings are shown as plain text, never markup).

    Goals come first, then metrics, milestones and risks; tables wrap long cells instead of cutting them.
    """
    console = status_console(console)
    for c in result["clients"]:
        h = c["health"]
        console.print(
            Text.assemble(
                (f"{c['name']} ({c['client']})", "bold"),
                f" — as of {result['as_of']} — health ",
                (f"{_health(h['score'])} {h['band']}", COLOURS.get(h["band"], "")),
            )
        )
        for line in _health_lines(h):
            console.print(Text(line, style="yellow"))
        for table in (_goals(c), _metrics(c, result["as_of"]), _milestones(c), _risks(c)):
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


def _table(title: str, *columns: str) -> Table:
    """A table whose cells wrap (and fold long words) rather than end in '…'."""
    table = Table(title=title, title_justify="left")
    for name in columns:
        table.add_column(name, overflow="fold")
    return table


def _goals(c: dict[str, Any]) -> Table:
    table = _table("Goals", "goal", "statement", "status", "measured by")
    by_goal = {g: m for g, m in (c.get("goal_metrics") or {}).items()}
    for g in c.get("goals", []):
        table.add_row(
            Text(g["goal"]),
            Text(g["statement"]),
            _badge(g["status"]),
            Text(", ".join(by_goal.get(g["goal"], []))),
        )
    return table


def _metrics(c: dict[str, Any], as_of: str) -> Table:
    table = _table(
        "Metrics", "metric", "current", "target", "progress (expected)", "status", "data as of", "forecast"
    )
    for m in c["metrics"]:
        table.add_row(
            Text(f"{m['name']} ({m['kind']})"),
            Text(_with_unit(m["current"], m.get("unit"))),
            Text(_with_unit(m["target"], m.get("unit"))),
            f"{_pct(m['progress'])} ({_pct(m['expected'])})",
            _badge(m["status"]),
            _as_of_text(m),
            _forecast(m, as_of),
        )
    return table


def _milestones(c: dict[str, Any]) -> Table:
    ms = _table("Milestones", "milestone", "title", "due", "status", "achieved", "slip")
    for m in c["milestones"]:
        ms.add_row(
            Text(m["milestone"]),
            Text(m["title"]),
            m["due"],
            _badge(m["status"]),
            m["achieved_on"] or "—",
            "—" if m["slip_days"] is None else _days(m["slip_days"]),
        )
    return ms


def _risks(c: dict[str, Any]) -> Table:
    risks = _table("Risks", "risk", "description", "status")
    for r in c["risks"]:
        risks.add_row(Text(r["risk"]), Text(r["description"]), _badge(r["status"]))
    return risks


def _lead_lines(c: dict[str, Any]) -> list[str]:
    """'lead a -> b: leads by 1 week (correlation r = 0.98)': the shift in the lag's periods."""
    lines = []
    frequency = c.get("frequencies") or {}
    for lc in c["lead_checks"]:
        verdict = (
            f"cannot tell ({lc.get('reason') or 'too few points'})"
            if lc["predicts"] is None
            else (
                f"leads by {_periods(int(lc['best_shift']), frequency.get(lc['lag']))} "
                f"(correlation of changes r = {lc['best_r']:.2f})"
                if lc["predicts"]
                else f"predicts nothing (best correlation of changes r = {lc['best_r']:.2f})"
            )
        )
        lines.append(f"lead {lc['lead']} -> {lc['lag']}: {verdict}")
    return lines
