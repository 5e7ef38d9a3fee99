"""Lessons from a retrospective: the team's input and the facts -> lesson records; the knowledge-base page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csnb.fs import write_atomic
from csnb.report.lessons import private_terms
from csnb.store.lessons import KnowledgeBase, open_kb, tags_text
from csnb.templating import render as render_template

if TYPE_CHECKING:
    from csnb.plan.models import Plan
    from csnb.retro.facts import Facts
    from csnb.retro.team import Retro


def lesson_records(plan: Plan, retro: Retro, facts: Facts) -> list[dict[str, Any]]:
    """One knowledge-base record per lesson of ``retro``, with its evidence."""
    ms = plan.milestone(retro.milestone)
    evidence = {
        "status": facts.status,
        "planned_finish": facts.planned_finish.isoformat(),
        "actual_finish": facts.actual_finish.isoformat() if facts.actual_finish else None,
        "slip_days": facts.slip_days,
        "lines": facts.lines(),
    }
    day = (retro.held_on or facts.as_of).isoformat()
    private = private_terms(plan)
    return [
        {
            "client": plan.client.id,
            "milestone": ms.id,
            "number": i,
            "client_name": plan.client.name,
            "title": ms.title,
            "stage": lesson.stage or ms.stage,
            "category": lesson.category,
            "impact": lesson.impact,
            "statement": lesson.statement,
            "recommendation": lesson.recommendation,
            "tags": tags_text(lesson.tags),
            "owner": lesson.owner,
            "follow_up": lesson.follow_up.model_dump(mode="json") if lesson.follow_up else None,
            "retro_date": day,
            "facts": evidence,
            "private": private,
        }
        for i, lesson in enumerate(retro.lessons, start=1)
    ]


def record_retro(kb: KnowledgeBase, plan: Plan, retro: Retro, facts: Facts) -> int:
    """Upsert the retro's lessons (idempotent; ones deleted from the file leave the KB); return the count."""
    kb.replace_retro(plan.client.id, retro.milestone, lesson_records(plan, retro, facts))
    return len(retro.lessons)


# -- HTML --------------------------------------------------------------------------------------------


def render(name: str, **context: Any) -> str:
    """Render ``lessons/<name>.html.j2`` (the retrospective and knowledge-base pages)."""
    return render_template(f"lessons/{name}.html.j2", **context)


def kb_page(rows: list[dict[str, Any]], *, generated: dt.date, provider: str = "") -> str:
    """The self-contained knowledge-base page: every lesson, filterable in the browser, no network."""
    facets = {key: sorted({r[key] for r in rows}) for key in ("stage", "category", "client_name")}
    facets["tag"] = sorted({t for r in rows for t in r["tags"]})
    return render("kb", lessons=rows, facets=facets, generated=generated, provider=provider)


def export_kb(store_url: str, path: str | Path, *, generated: dt.date, provider: str = "") -> Path:
    """Write the knowledge-base page to ``path`` atomically; return the path."""
    kb = open_kb(store_url)
    try:
        rows = kb.list(limit=1_000_000)
    finally:
        kb.dispose()
    return write_atomic(path, kb_page(rows, generated=generated, provider=provider))
