"""The portfolio page ``reports/index.html``: every client's health, its course, statuses and latest reports.

Like a client report it opens offline: inline CSS and SVG, no script, no request to any address, every
value escaped by the template (autoescape on), links only to report files next to it. Clients are listed
worst first (a failed run, then red, amber, no report yet, green), each with its health over past runs as
a sparkline read from the store, and every status as a word with a mark whose shape reads without colour.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from csnb.fs import write_atomic
from csnb.indicators.health import cap_reason
from csnb.plan.models import Plan
from csnb.project.layout import ReportsFolder
from csnb.store.runs import Store
from csnb.store.trends import HealthPoint, Trends
from csnb.templating import STATUS_LABELS, day, environment

BAD_RUNS = ("failed", "interrupted")
CAPPING = ("missed", "off_track")  # a goal whose lag metric is one of these keeps the band below green
# Shapes carry the meaning, colours repeat it: the page reads in greyscale and for colour-blind readers.
TONES = {
    "good": ("●", ("achieved", "on_track", "done", "clear", "green")),
    "warn": ("◆", ("at_risk", "amber")),
    "bad": ("■", ("off_track", "missed", "late", "blocked", "error", "triggered", "red")),
    "none": ("○", ("no_data", "not_started", "unknown")),
}
TONE_OF = {status: tone for tone, (_, statuses) in TONES.items() for status in statuses}
MARKS = {tone: mark for tone, (mark, _) in TONES.items()}
# Worst first: the order statuses are listed in a client's counts.
STATUS_ORDER = ("error", "missed", "off_track", "late", "blocked", "at_risk", "no_data", "not_started")
STATUS_ORDER += ("on_track", "achieved", "done")
BAND_RANK = {"red": 1, "amber": 2, None: 3, "green": 4}  # a failed run ranks 0
RUN_LABELS = {"ok": "Succeeded", "failed": "Failed", "interrupted": "Interrupted", "running": "Running"}
EDITIONS = {"executive": "Executive edition", "operator": "Operator edition"}
SPARK = (120, 36, 3)  # width, height and padding of the health sparkline, in CSS pixels


def status_label(status: str | None) -> dict[str, str]:
    """A status for people: its word, its mark (a shape) and its tone (the CSS class of its colour)."""
    status = status or "unknown"
    tone = TONE_OF.get(status, "none")
    word = STATUS_LABELS.get(status, status.replace("_", " ").capitalize())
    return {"word": word, "mark": MARKS[tone], "tone": tone}


def _parse_day(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _link(target: str, folder: Path) -> str | None:
    """A relative, URL-quoted link from ``folder`` to a report file; None when it is gone."""
    path = Path(target)
    if not path.is_file():
        return None
    rel = os.path.relpath(path.resolve(), folder.resolve())
    return "/".join(quote(part) for part in Path(rel).parts)


def _next_milestone(plan: Plan, statuses: dict[str, Any]) -> dict[str, Any] | None:
    open_ = [m for m in plan.milestones if statuses.get(m.id, {}).get("status") != "done"]
    if not open_:
        return None
    m = min(open_, key=lambda m: (m.due, m.id))
    status = statuses.get(m.id, {}).get("status")
    return {"title": m.title, "due": day(m.due), "status": status_label(status) if status else None}


def _counts(items: dict[str, Any]) -> list[dict[str, Any]]:
    """How many items have each status, worst first: ``[{word, mark, tone, n}]``."""
    counts = Counter(str(item.get("status") or "unknown") for item in items.values())
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    return [
        {**status_label(status), "n": n}
        for status, n in sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
    ]


def cap_reasons(plan: Plan, latest: dict[str, Any]) -> list[str]:
    """Why a band is amber although its score is green: each goal whose lag metric is missed or off track."""
    health = latest.get("health", {})
    if health.get("band") != "amber" or (health.get("score") or 0) < 75:
        return []
    metrics, lags = latest.get("metrics", {}), {m.id for m in plan.metrics if m.kind == "lag"}
    out = []
    for goal in plan.goals:
        for mid in goal.metrics:
            status = metrics.get(mid, {}).get("status")
            if mid in lags and status in CAPPING:
                cap = {"statement": goal.statement, "status": status, "name": metrics[mid].get("name", mid)}
                out.append("Capped at amber: " + cap_reason(cap))
    return out


def sparkline(points: Sequence[HealthPoint]) -> dict[str, Any] | None:
    """An inline SVG polyline of health over past report dates; None with fewer than two scores.

    The vertical scale spans the scores and the band thresholds (50 and 75) with a little room, so a
    move of a few points shows while the thresholds, drawn as faint lines, keep it in proportion.
    """
    scored = [p for p in points if p.score is not None]
    if len(scored) < 2:
        return None
    width, height, pad = SPARK
    scores = [float(p.score) for p in scored]  # type: ignore[arg-type]
    low, high = max(0.0, min(*scores, 50.0) - 5), min(100.0, max(*scores, 75.0) + 5)
    step = (width - 2 * pad) / (len(scored) - 1)

    def y(score: float) -> float:
        return round(pad + (high - score) / (high - low) * (height - 2 * pad), 1)

    coords = [(round(pad + i * step, 1), y(s)) for i, s in enumerate(scores)]
    last = scored[-1]
    return {
        "width": width,
        "height": height,
        "points": " ".join(f"{x},{yy}" for x, yy in coords),
        "last": coords[-1],
        "tone": TONE_OF.get(last.band or "unknown", "none"),
        "bands": {"green": y(75), "amber": y(50)},
        "label": f"Health over the last {len(scored)} reports, {day(scored[0].as_of)} to {day(last.as_of)}: "
        + ", ".join(f"{s:.0f}" for s in scores),
    }


def _trend(points: Sequence[HealthPoint]) -> dict[str, Any] | None:
    """The change of health since the previous report date, in points, with its direction in words."""
    scored = [p for p in points if p.score is not None]
    if len(scored) < 2:
        return None
    delta = round(scored[-1].score - scored[-2].score, 1)  # type: ignore[operator]
    word = "up" if delta > 0 else "down" if delta < 0 else "no change"
    return {"delta": delta, "abs": f"{abs(delta):g}", "word": word, "since": day(scored[-2].as_of)}


def _run(run: dict[str, Any]) -> dict[str, Any]:
    error = (run.get("error") or "").strip().splitlines()
    status = run.get("status")
    return {
        "run_status": RUN_LABELS.get(status, str(status).capitalize()) if status else None,
        "run_as_of": day(_parse_day(run.get("as_of"))) if run.get("as_of") else None,
        "run_finished": run["finished"].strftime("%-d %b %Y %H:%M") if run.get("finished") else None,
        "run_error": error[0][:300] if error else None,
        "failed": status in BAD_RUNS,
    }


def client_row(
    plan: Plan,
    latest: dict[str, Any] | None,
    points: Sequence[HealthPoint],
    last_run: dict[str, Any] | None,
    reports: dict[str, str],
    folder: Path,
) -> dict[str, Any]:
    """Everything the page shows about one client."""
    latest = latest or {}
    health = latest.get("health", {})
    band = health.get("band")
    return {
        "id": plan.client.id,  # the plan's file name, what an operator types to run the client again
        "name": plan.client.name,
        "score": health.get("score"),
        "band": status_label(band) if band else None,
        "band_key": band,
        "caps": cap_reasons(plan, latest),
        "as_of": day(_parse_day(latest.get("as_of"))) if latest.get("as_of") else None,
        "trend": _trend(points),
        "spark": sparkline(points),
        "metrics": _counts(latest.get("metrics", {})),
        "milestones": _counts(latest.get("milestones", {})),
        "next": _next_milestone(plan, latest.get("milestones", {})),
        **_run(last_run or {}),
        "links": [
            (EDITIONS.get(aud, aud.capitalize()), link)
            for aud, target in sorted(reports.items())
            if (link := _link(target, folder))
        ],
    }


def worst_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows ordered worst first: failed runs, then red, amber, no report yet, green; lower health first."""

    def key(r: dict[str, Any]) -> tuple:
        rank = 0 if r["failed"] else BAND_RANK.get(r["band_key"], 3)
        return (rank, r["score"] if r["score"] is not None else 101, r["name"].casefold())

    return sorted(rows, key=key)


def render_index(rows: list[dict[str, Any]], generated: dt.datetime) -> str:
    """The page's HTML from the client rows (shown worst first)."""
    rows = worst_first(rows)
    failed = [r for r in rows if r["failed"]]
    stamp = generated.strftime("%-d %b %Y %H:%M") + (
        " UTC" if generated.utcoffset() == dt.timedelta(0) else ""
    )
    return (
        environment()
        .get_template("portfolio/index.html.j2")
        .render(rows=rows, failed=failed, generated=stamp, marks=MARKS)
    )


def write_index(project: Any, store_url: str, plans: dict[str, Plan], folder: Path) -> Path:
    """Write ``index.html`` into the reports folder, atomically; return its path."""

    store = Store(store_url)  # opening it brings the schema up to date, so the reads below find their tables
    try:
        last, latest = store.last_runs(), store.latest_reports()
    finally:
        store.dispose()
    trends = Trends(store_url)
    try:
        summaries, history = trends.newest(plans), trends.health(plans)
    finally:
        trends.dispose()
    rows = [
        client_row(
            plan,
            summaries.get(client),
            history.get(client, []),
            last.get(client),
            latest.get(client, {}),
            folder,
        )
        for client, plan in plans.items()
    ]
    return write_atomic(ReportsFolder(folder).index(), render_index(rows, dt.datetime.now(dt.UTC)))
