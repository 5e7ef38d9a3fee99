"""Lessons that come back: the knowledge base's lessons most relevant to a plan's next milestones.

A lesson from another client reaches a report only as its judgement (statement, recommendation,
stage, category, tags) with that client's id, name and contact names replaced: never its evidence.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csnb.errors import CsnbError
from csnb.indicators.assess import assess
from csnb.project.folder import Project
from csnb.store.lessons import STOPWORDS, Filters, KnowledgeBase, open_kb

if TYPE_CHECKING:
    from csnb.indicators.snapshot import Snapshot
    from csnb.plan.models import Plan

SUGGEST_LIMIT = 5
NEXT_MILESTONES = 3  # "the milestones due next": the first three not done, by due date
CANDIDATES = 30
OTHER_CLIENT = "another client"
THIS_CLIENT = "this client"
# words that name a company's legal form or trade, not the company: redacting them hides nothing
GENERIC = {
    "inc",
    "ltd",
    "llc",
    "plc",
    "gmbh",
    "corp",
    "group",
    "company",
    "the",
    "and",
    "services",
    "logistics",
    "retail",
    "partners",
    "holdings",
    "international",
    "global",
    "solutions",
    "systems",
}


def private_terms(plan: Plan) -> dict[str, list[str]]:
    """Words that identify the plan's client: its id and name, and its contacts' names."""
    name = plan.client.name
    client = {
        plan.client.id,
        name,
        *(w for w in re.findall(r"[\w'-]+", name) if len(w) >= 3 and w.lower() not in GENERIC),
    }
    people = set()
    for person in plan.people:
        if person.side == "client":
            people |= {person.name, *(w for w in person.name.split() if len(w) >= 3)}
    return {
        "client": sorted(client, key=lambda t: (-len(t), t)),
        "people": sorted(people, key=lambda t: (-len(t), t)),
    }


def redact(text: str, private: dict[str, list[str]] | None) -> str:
    """``text`` with another client's identifying words replaced (longest first, whole words only)."""
    for group, stand_in in (("client", "[another client]"), ("people", "[a client contact]")):
        for term in sorted((private or {}).get(group, []), key=len, reverse=True):
            text = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", stand_in, text, flags=re.IGNORECASE)
    return text


def _upcoming(plan: Plan, snapshot: Snapshot) -> list[Any]:
    """The milestones due next: not done, due on or after ``as_of`` first (by due date), then late ones."""
    ms = snapshot.milestones
    if not len(ms):
        return []
    open_ = ms[ms["status"] != "done"].assign(_late=lambda f: f["due"] < snapshot.as_of)
    ids = open_.sort_values(["_late", "due", "milestone"])["milestone"].head(NEXT_MILESTONES)
    return [plan.milestone(i) for i in ids]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= 3 and w not in STOPWORDS}


def _candidates(kb: KnowledgeBase, ms: Any) -> list[dict[str, Any]]:
    """Lessons of the milestone's stage and lessons sharing its words (ranked), with ``text`` in 0..1."""
    found = kb.search(f"{ms.title} {' '.join(ms.tags)}", limit=CANDIDATES)
    top = max((r["score"] for r in found), default=0) or 1.0
    rows = {r["id"]: {**r, "text": max(r["score"], 0) / top} for r in found}
    for r in kb.list(Filters(stage=ms.stage), limit=CANDIDATES):
        rows.setdefault(r["id"], {**r, "text": 0.0})
    return list(rows.values())


def _reasons(row: dict[str, Any], ms: Any) -> tuple[bool, list[str], list[str]]:
    """(same stage, shared tags, shared words) of a lesson and a milestone: why it would be chosen."""
    tags = sorted(set(row["tags"]) & {t.lower() for t in ms.tags})
    body = f"{row['statement']} {row['recommendation']} {' '.join(row['tags'])} {row.get('title', '')}"
    words = sorted(_words(f"{ms.title} {' '.join(ms.tags)}") & _words(body))
    return row["stage"] == ms.stage, tags, words


def _score(row: dict[str, Any], ms: Any) -> float:
    """Stage first, then shared tags, then text: 10 for the stage outweighs any tags (at most 6 + 1.1)."""
    same, tags, _ = _reasons(row, ms)
    return round(
        10.0 * same + 2.0 * min(len(tags), 3) + row["text"] + (0.1 if row["impact"] == "high" else 0.0), 4
    )


def _why(row: dict[str, Any], ms: Any) -> str:
    """'same stage (value) · shared tags: routing · words: staffing' — what the ranking used."""
    same, tags, words = _reasons(row, ms)
    parts = [f"same stage ({ms.stage})"] if same else [f"stage {row['stage']}, not {ms.stage}"]
    parts += [f"shared tags: {', '.join(tags)}"] if tags else []
    parts += [f"words: {', '.join(words[:4])}"] if words and row["text"] > 0 else []
    return " · ".join(parts)


def _public(row: dict[str, Any], ms: Any, own: str, score: float) -> dict[str, Any]:
    """The lesson as a report may show it: another client's identity and evidence never leave the KB."""
    mine = row["client"] == own
    private = None if mine else row.get("private")
    hidden = {t.lower() for group in (private or {}).values() for t in group}
    return {
        "statement": redact(row["statement"], private),
        "recommendation": redact(row["recommendation"], private),
        "stage": row["stage"],
        "tags": [t for t in row["tags"] if t not in hidden],
        "category": row["category"],
        "for_milestone": ms.title,
        "source": THIS_CLIENT if mine else OTHER_CLIENT,
        "score": score,
        "why": redact(_why(row, ms), private),
    }


def suggest(
    plan: Plan, snapshot: Snapshot, kb: KnowledgeBase, limit: int = SUGGEST_LIMIT
) -> list[dict[str, Any]]:
    """The lessons most relevant to the plan's next milestones (stage, then tags, then text), best first.

    A lesson is kept only for a reason it can state: the milestone's stage, a shared tag or shared words.
    """
    best: dict[int, tuple[float, int, Any, dict[str, Any]]] = {}
    for order, ms in enumerate(_upcoming(plan, snapshot)):
        for row in _candidates(kb, ms):
            score = _score(row, ms)
            if score <= 0.1 and row["text"] <= 0:
                continue
            if row["id"] not in best or score > best[row["id"]][0]:
                best[row["id"]] = (score, order, ms, row)
    ranked = sorted(best.values(), key=lambda x: (-x[0], x[1], x[3]["retro_date"], x[3]["id"]))
    return [_public(row, ms, plan.client.id, score) for score, _, ms, row in ranked[:limit]]


def suggest_for_report(plan: Plan, snapshot: Snapshot, store_url: str) -> list[dict[str, Any]]:
    """At most five lessons for the client report (operator audience); none when the KB is unavailable."""
    try:
        kb = open_kb(store_url)
    except CsnbError as exc:  # a report still goes out without lessons; the notebook's stderr says why
        warnings.warn(f"lessons skipped: {exc}", stacklevel=2)
        return []
    try:
        return suggest(plan, snapshot, kb)
    finally:
        kb.dispose()


def suggest_lessons(
    client: str,
    *,
    as_of: dt.date | None = None,
    store_url: str | None = None,
    root: str | Path = ".",
    limit: int = SUGGEST_LIMIT,
) -> list[dict[str, Any]]:
    """``csnb lessons suggest``: evaluate the client's plan and suggest lessons for its next milestones."""
    project = Project(root)
    assessed = assess(project.plan(client), as_of, config=project.config)
    kb = open_kb(store_url or project.config.store_url)
    try:
        return suggest(assessed.plan, assessed.snapshot, kb, limit=limit)
    finally:
        kb.dispose()
