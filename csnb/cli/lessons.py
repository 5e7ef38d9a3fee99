"""``csnb retro`` and ``csnb lessons``: milestone retrospectives and the lessons knowledge base."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from csnb.cli.common import _date, _say, app, err

lessons_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="Search, list, export and suggest lessons from milestone retrospectives.\n\n"
    'Example: `csnb lessons search "onboarding training"`',
)
app.add_typer(lessons_app, name="lessons")

StoreOption = Annotated[
    str | None, typer.Option("--store", help="Store URL (default: csnb.toml or .csnb/store.db).")
]
StageOption = Annotated[str | None, typer.Option(help="Only lessons for this stage (e.g. onboarding).")]
CategoryOption = Annotated[str | None, typer.Option(help="Only this category (process, people, ...).")]
TagOption = Annotated[str | None, typer.Option(help="Only lessons with this tag.")]
ClientOption = Annotated[str | None, typer.Option("--client", help="Only lessons from this client.")]
SinceOption = Annotated[str | None, typer.Option(help="Only retros held on or after this date (YYYY-MM-DD).")]
UntilOption = Annotated[
    str | None, typer.Option(help="Only retros held on or before this date (YYYY-MM-DD).")
]
LimitOption = Annotated[int, typer.Option(min=1, max=10_000, help="At most this many lessons.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _store(store: str | None) -> str:
    from csnb.project.config import load_config

    return store or load_config().store_url


@app.command()
def retro(
    client: Annotated[str, typer.Argument(help="Client id (the plan's file name).")],
    milestone: Annotated[str, typer.Argument(help="Milestone id in the plan, e.g. M2.")],
    template: Annotated[
        bool, typer.Option("--template", help="Write the retro file pre-filled with the facts.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --template: replace an existing retro file.")
    ] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of the facts (default: today).")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder (default: reports/).")] = None,
    store: StoreOption = None,
) -> None:
    """Run a milestone retrospective: facts + the team's retro file -> HTML page and lessons in the KB.

    Example: `csnb retro acme M2` (first `csnb retro acme M2 --template`, then fill in the file)
    """
    from csnb.retro.notebook import run_retro, write_template

    day = _date(as_of, "--as-of")
    if template:
        path = write_template(client, milestone, as_of=day, force=force)
        _say(f"wrote {path}: add the team's judgement, then run `csnb retro {client} {milestone}`", "green")
        return
    result = run_retro(client, milestone, as_of=day, store_url=store, out_dir=out_dir)
    _say(f"ok {client} {milestone}: {result.html}", "green")
    if result.has_input:
        _say(f"{result.lessons} lesson(s) recorded in the knowledge base")
    else:
        _say(f"no retro file yet: run `csnb retro {client} {milestone} --template` to write one", None, err)


def _filters(
    stage: str | None,
    category: str | None,
    tag: str | None,
    client: str | None,
    since: str | None,
    until: str | None,
) -> Any:
    from csnb.store.lessons import Filters

    return Filters(
        stage=stage,
        category=category,
        tag=tag,
        client=client,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
    )


def _print(rows: list[dict[str, Any]], as_json: bool, scored: bool = False) -> None:
    if as_json:
        keep = (
            "client",
            "milestone",
            "number",
            "stage",
            "category",
            "impact",
            "tags",
            "statement",
            "recommendation",
            "follow_up",
            "retro_date",
            "score",
        )
        sys.stdout.write(
            json.dumps([{k: r[k] for k in keep if k in r} for r in rows], indent=2, default=str) + "\n"
        )
        return
    if not rows:
        _say("no lessons found")
    best = max((r.get("score") or 0.0 for r in rows), default=0.0) if scored else 0.0
    for i, r in enumerate(rows, start=1):
        tags = " ".join(f"#{t}" for t in r["tags"])
        score = f"  relevance {relevance(r.get('score'), best)}" if scored else ""
        _say(f"{i}. {r['statement']}", "bold")
        _say(f"   do: {r['recommendation']}")
        _say(
            f"   {r['stage']} · {r['category']} · {r['impact']} impact {tags} — "
            f"{r['client']} {r['milestone']} "
            f"({r['retro_date']}){score}",
            "dim",
        )


def relevance(score: float | None, best: float) -> str:
    """A hit's score as a share of the best hit's: '100%', '62%'.

    bm25 scores have no unit and, for a word found in most lessons, are as small as 2e-06 (they printed
    as "score 0.00"); only their ratio says how close a hit comes to the best one.
    """
    if not score or best <= 0:
        return "—"
    return f"{max(1, round(100 * score / best))}%"


@lessons_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to look for; an exact phrase ranks first.")],
    stage: StageOption = None,
    category: CategoryOption = None,
    tag: TagOption = None,
    client: ClientOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: LimitOption = 10,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Full-text search of the lessons, best match first, each with its relevance (the best hit is 100%).

    Example: `csnb lessons search "onboarding training" --stage onboarding`
    """
    from csnb.store.lessons import open_kb

    kb = open_kb(_store(store))
    try:
        rows = kb.search(query, _filters(stage, category, tag, client, since, until), limit=limit)
    finally:
        kb.dispose()
    _print(rows, as_json, scored=True)


@lessons_app.command("list")
def list_lessons(
    stage: StageOption = None,
    category: CategoryOption = None,
    tag: TagOption = None,
    client: ClientOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: LimitOption = 50,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List lessons, newest retro first, narrowed by stage, category, tag, client or date.

    Example: `csnb lessons list --stage onboarding`
    """
    from csnb.store.lessons import open_kb

    kb = open_kb(_store(store))
    try:
        rows = kb.list(_filters(stage, category, tag, client, since, until), limit=limit)
    finally:
        kb.dispose()
    _print(rows, as_json)


@lessons_app.command("export")
def export(
    path: Annotated[
        Path | None, typer.Option("--out", help="HTML file (default: reports/lessons/index.html).")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Write the whole knowledge base as one offline HTML page with filters (internal: it names clients).

    Example: `csnb lessons export --out reports/lessons/index.html`
    """
    from csnb.project.config import load_config
    from csnb.retro.lessons import export_kb

    config = load_config()
    target = export_kb(
        _store(store),
        path or config.layout.lessons_page(),
        generated=config.today(),
        provider=config.branding.provider,
    )
    _say(f"wrote {target}", "green")


@lessons_app.command("suggest")
def suggest(
    client: Annotated[str, typer.Argument(help="Client id (the plan's file name).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date to plan from (default: today).")] = None,
    limit: LimitOption = 5,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Lessons worth reading before the client's next milestones (by stage first, then tags, then text).

    Example: `csnb lessons suggest fernhill`
    """
    from csnb.report.lessons import suggest_lessons

    rows = suggest_lessons(client, as_of=_date(as_of, "--as-of"), store_url=store, limit=limit)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if not rows:
        _say("no lessons match the next milestones yet")
    for r in rows:
        _say(f"[{r['for_milestone']}] {r['statement']}", "bold")
        _say(f"    do: {r['recommendation']}  ({r['stage']} · {r['category']} · from {r['source']})")
        _say(f"    why: {r['why']}", "dim")
