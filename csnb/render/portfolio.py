"""The portfolio page ``reports/index.html``: every client's health, trend, statuses and latest reports.

Like a client report it opens offline: inline CSS, no script, no request to any address, every value
escaped by the template (autoescape on), links only to report files next to it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from csnb.fs import write_atomic
from csnb.plan.models import Plan
from csnb.project.layout import ReportsFolder
from csnb.store.runs import Store
from csnb.templating import environment

BAD_RUNS = ("failed", "interrupted")


def _link(target: str, folder: Path) -> str | None:
    """A relative, URL-quoted link from ``folder`` to a report file; None when it is gone."""
    path = Path(target)
    if not path.is_file():
        return None
    rel = os.path.relpath(path.resolve(), folder.resolve())
    return "/".join(quote(part) for part in Path(rel).parts)


def _next_milestone(plan: Plan, statuses: dict[str, Any]) -> dict[str, str] | None:
    open_ = [m for m in plan.milestones if statuses.get(m.id, {}).get("status") != "done"]
    if not open_:
        return None
    m = min(open_, key=lambda m: (m.due, m.id))
    return {"title": m.title, "due": m.due.isoformat(), "status": statuses.get(m.id, {}).get("status", "")}


def client_row(
    plan: Plan,
    history: list[dict[str, Any]],
    last_run: dict[str, Any] | None,
    reports: dict[str, str],
    folder: Path,
) -> dict[str, Any]:
    """Everything the page shows about one client."""
    latest = history[0] if history else {}
    score = latest.get("health", {}).get("score")
    before = history[1].get("health", {}).get("score") if len(history) > 1 else None
    trend = None if score is None or before is None else round(score - before, 1)
    metric_counts = Counter(m.get("status") for m in latest.get("metrics", {}).values())
    milestone_counts = Counter(m.get("status") for m in latest.get("milestones", {}).values())
    run = last_run or {}
    error = (run.get("error") or "").strip().splitlines()
    return {
        "id": plan.client.id,
        "name": plan.client.name,
        "score": score,
        "band": latest.get("health", {}).get("band"),
        "as_of": latest.get("as_of"),
        "trend": trend,
        "metrics": sorted(metric_counts.items(), key=lambda kv: str(kv[0])),
        "milestones": sorted(milestone_counts.items(), key=lambda kv: str(kv[0])),
        "next": _next_milestone(plan, latest.get("milestones", {})),
        "run_status": run.get("status"),
        "run_as_of": run.get("as_of"),
        "run_finished": run["finished"].strftime("%Y-%m-%d %H:%M") if run.get("finished") else None,
        "run_error": error[0][:300] if error else None,
        "failed": run.get("status") in BAD_RUNS,
        "links": [(aud, link) for aud, target in sorted(reports.items()) if (link := _link(target, folder))],
    }


def render_index(rows: list[dict[str, Any]], generated: dt.datetime) -> str:
    """The page's HTML from the client rows."""
    failed = [r for r in rows if r["failed"]]
    return (
        environment()
        .get_template("portfolio/index.html.j2")
        .render(rows=rows, failed=failed, generated=generated.strftime("%Y-%m-%d %H:%M %Z"))
    )


def write_index(project: Any, store_url: str, plans: dict[str, Plan], folder: Path) -> Path:
    """Write ``index.html`` into the reports folder, atomically; return its path."""

    store = Store(store_url)
    try:
        last, latest = store.last_runs(), store.latest_reports()
        rows = []
        for client, plan in sorted(plans.items()):
            history = store.snapshot_history(client, "operator") or store.snapshot_history(
                client, "executive"
            )
            rows.append(client_row(plan, history, last.get(client), latest.get(client, {}), folder))
    finally:
        store.dispose()
    return write_atomic(ReportsFolder(folder).index(), render_index(rows, dt.datetime.now(dt.UTC)))
