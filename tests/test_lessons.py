"""The lessons knowledge base: idempotent upserts, ranked search, filters, concurrency, anonymity, CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from builders import project_store_url
from commands import in_processes
from typer.testing import CliRunner

from csnb.indicators.evaluation import evaluate
from csnb.plan import Plan
from csnb.report.lessons import suggest, suggest_for_report
from csnb.retro.facts import compute_facts
from csnb.retro.lessons import export_kb, record_retro
from csnb.retro.team import Retro
from csnb.store.lessons import Filters, QueryError, open_kb


def lesson(client: str, milestone: str, number: int, statement: str, **extra) -> dict:
    """A knowledge-base record as ``lesson_records`` makes them."""
    record = {
        "client": client,
        "milestone": milestone,
        "number": number,
        "client_name": client.title(),
        "title": "Agent onboarding",
        "stage": "onboarding",
        "category": "process",
        "impact": "medium",
        "statement": statement,
        "recommendation": "Do it earlier next time",
        "tags": "training",
        "owner": None,
        "follow_up": None,
        "retro_date": "2026-09-16",
        "facts": {"slip_days": 1},
        "private": {"client": [client], "people": []},
    }
    return {**record, **extra}


@pytest.fixture
def kb(sqlite_url):
    base = open_kb(sqlite_url)
    yield base
    base.dispose()


def plan(
    client_id: str, name: str, contact: str, stage: str = "onboarding", title: str = "Agent training"
) -> Plan:
    """A plan with one done and one upcoming milestone; its own client-side contact is ``contact``."""
    return Plan.model_validate(
        {
            "client": {"id": client_id, "name": name},
            "people": [
                {"id": "ana", "name": "Ana Ruiz", "side": "provider", "role": "CSM"},
                {"id": "c1", "name": contact, "side": "client", "role": "VP Operations"},
            ],
            "sources": {"data": {"kind": "csv", "path": "data.csv"}},
            "milestones": [
                {
                    "id": "M1",
                    "title": "Kick-off",
                    "stage": "onboarding",
                    "owner": "ana",
                    "start": "2026-09-01",
                    "due": "2026-09-04",
                    "criteria": [{"check": "Plan signed", "done": True, "done_on": "2026-09-03"}],
                },
                {
                    "id": "M2",
                    "title": title,
                    "stage": stage,
                    "owner": "ana",
                    "start": "2026-10-01",
                    "due": "2026-10-20",
                    "tags": ["training"],
                    "criteria": [{"check": "Everyone trained"}],
                },
            ],
        }
    )


def snapshot(p: Plan, as_of: dt.date = dt.date(2026, 10, 5)):
    return evaluate(p, pd.DataFrame(columns=["client", "metric", "date", "value"]), as_of)


def retro(client: str, *lessons: dict) -> Retro:
    return Retro.model_validate(
        {"client": client, "milestone": "M1", "participants": ["ana"], "lessons": list(lessons)}
    )


def test_running_a_retro_twice_adds_nothing(kb):
    p = plan("kite", "Kite Air", "Lee Chen")
    r = retro(
        "kite",
        {
            "statement": "Sign the plan in week one",
            "recommendation": "Book the kick-off early",
            "category": "process",
            "tags": ["kick-off"],
        },
        {
            "statement": "Train team leads first",
            "recommendation": "A day before their teams",
            "category": "people",
            "tags": ["training"],
        },
    )
    facts = compute_facts(p, snapshot(p), "M1")
    assert record_retro(kb, p, r, facts) == 2
    first = kb.list()
    assert record_retro(kb, p, r, facts) == 2
    again = kb.list()
    assert kb.count() == 2
    assert [(x["id"], x["updated"]) for x in again] == [
        (x["id"], x["updated"]) for x in first
    ]  # not rewritten


def test_a_lesson_removed_from_the_retro_file_leaves_the_kb(kb):
    kb.replace_retro("kite", "M1", [lesson("kite", "M1", 1, "one"), lesson("kite", "M1", 2, "two")])
    kb.replace_retro("kite", "M1", [lesson("kite", "M1", 1, "one, reworded")])
    assert [x["statement"] for x in kb.list()] == ["one, reworded"]
    assert kb.search("two") == [] and len(kb.search("reworded")) == 1  # the FTS index follows the table


# "customer training": the phrase in 2, both words apart in 1, one of them in 3
CUSTOMER_TRAINING = [
    lesson("a", "M1", 1, "Schedule training early; the customer asked twice", tags="", title=""),
    lesson("a", "M1", 2, "Customer training in two shifts reached every agent", tags="", title=""),
    lesson("a", "M1", 3, "The customer portal needed single sign-on", tags="", title=""),
]


def test_an_exact_phrase_outranks_a_single_shared_word(kb):
    unrelated = lesson("a", "M1", 4, "Nothing in common with the query", tags="", title="")
    kb.upsert([*CUSTOMER_TRAINING, unrelated])
    found = [r["number"] for r in kb.search("customer training")]
    assert found[0] == 2  # the exact phrase
    assert found[1] == 1  # both words, apart
    assert found[2:] == [3]  # one shared word ranks below both
    assert 4 not in found
    scores = [r["score"] for r in kb.search("customer training")]
    assert scores == sorted(scores, reverse=True)


def test_search_input_is_words_not_syntax(kb):
    kb.upsert([lesson("a", "M1", 1, 'Vendor said "NEAR" and AND OR NOT (x*)')])
    assert len(kb.search('"NEAR AND ( OR *')) == 1  # FTS5 operators are treated as plain words
    with pytest.raises(QueryError):
        kb.search("  !! ")


def test_filters_by_stage_category_tag_client_and_date(kb):
    kb.upsert(
        [
            lesson(
                "a",
                "M1",
                1,
                "Training early",
                stage="onboarding",
                category="people",
                tags="training scheduling",
            ),
            lesson(
                "b",
                "M2",
                1,
                "Training for admins",
                stage="adoption",
                category="process",
                tags="training",
                retro_date="2026-10-01",
            ),
            lesson(
                "b",
                "M3",
                1,
                "Renewal deck early",
                stage="renewal",
                category="commercial",
                tags="renewal",
                retro_date="2026-11-01",
            ),
        ]
    )
    statements = lambda rows: sorted(r["statement"] for r in rows)  # noqa: E731
    assert statements(kb.list(Filters(stage="onboarding"))) == ["Training early"]
    assert statements(kb.list(Filters(category="commercial"))) == ["Renewal deck early"]
    assert statements(kb.list(Filters(tag="training"))) == ["Training early", "Training for admins"]
    assert statements(kb.list(Filters(tag="train"))) == []  # whole tags only
    assert statements(kb.list(Filters(client="b", since=dt.date(2026, 10, 15)))) == ["Renewal deck early"]
    assert statements(kb.list(Filters(until=dt.date(2026, 10, 1)))) == [
        "Training early",
        "Training for admins",
    ]
    assert statements(kb.search("training", Filters(stage="adoption"))) == ["Training for admins"]


def _hammer(url: str, worker: int) -> None:
    """200 upserts, one transaction each: 100 keys every worker shares, 100 keys of its own."""
    base = open_kb(url)  # first use races the other workers' migrations too
    for i in range(200):
        shared = i % 2 == 0
        key = ("shared", "M1", i) if shared else (f"w{worker}", "M1", i)
        base.upsert(
            [lesson(*key, f"statement {i} from worker {worker if not shared else 'any'} about training")]
        )
    base.dispose()


@pytest.mark.slow
def test_four_processes_upserting_concurrently_lose_and_duplicate_nothing(sqlite_url):
    assert in_processes(_hammer, sqlite_url, 4) == [0, 0, 0, 0]
    base = open_kb(sqlite_url)
    assert base.count() == 100 + 4 * 100
    assert len({(r["client"], r["number"]) for r in base.list(limit=10_000)}) == 500
    assert len(base.search("training", limit=10_000)) == 500  # the FTS index saw every row once
    with base.engine.connect() as conn:  # FTS5 raises if the index drifted from the table
        conn.exec_driver_sql("INSERT INTO lessons_fts(lessons_fts) VALUES ('integrity-check')")
    base.dispose()


CANARIES = (
    "zebracanary",
    "Zebracanary Holdings",
    "Quentin Marmalade",
    "Marmalade",
    "Quentin",
    "canary-only-data",
)


def test_lessons_from_another_client_carry_no_name_id_or_data(kb):
    other = plan("zebracanary", "Zebracanary Holdings", "Quentin Marmalade")
    other_retro = retro(
        "zebracanary",
        {
            "statement": "Zebracanary Holdings agents trained late; "
            "Quentin Marmalade moved the training to week one",
            "recommendation": "Ask zebracanary-style clients (and Quentin) to book training rooms early",
            "category": "people",
            "stage": "onboarding",
            "tags": ["training", "zebracanary"],
        },
    )
    facts = compute_facts(other, snapshot(other), "M1")
    facts.decisions = [{"on": dt.date(2026, 9, 2), "decision": "canary-only-data", "rationale": "x"}]
    record_retro(kb, other, other_retro, facts)
    mine = plan("kite", "Kite Air", "Lee Chen")
    record_retro(
        kb,
        mine,
        retro(
            "kite",
            {
                "statement": "Kite Air needed Lee Chen at the kick-off",
                "recommendation": "Invite Lee Chen",
                "category": "people",
                "stage": "onboarding",
                "tags": ["training"],
            },
        ),
        compute_facts(mine, snapshot(mine), "M1"),
    )
    got = suggest(mine, snapshot(mine), kb)
    assert {g["source"] for g in got} == {"this client", "another client"}
    theirs = next(g for g in got if g["source"] == "another client")
    assert theirs["statement"] == (
        "[another client] agents trained late; [a client contact] moved the training to week one"
    )
    assert theirs["tags"] == ["training"]
    dumped = json.dumps(got)
    assert not [c for c in CANARIES if c.lower() in dumped.lower()]
    own = next(g for g in got if g["source"] == "this client")
    assert (
        own["statement"] == "Kite Air needed Lee Chen at the kick-off"
    )  # a client's own lessons stay as written


def test_suggest_for_report_contract(sqlite_url):
    base = open_kb(sqlite_url)
    base.upsert(
        [
            lesson("other", "M1", i, f"Training lesson {i}", impact="high" if i == 3 else "medium")
            for i in range(1, 8)
        ]
        + [lesson("other", "M9", 1, "Renewal lesson", stage="renewal", tags="renewal", title="Renewal")]
    )
    base.dispose()
    p = plan("kite", "Kite Air", "Lee Chen")
    got = suggest_for_report(p, snapshot(p), sqlite_url)
    assert len(got) == 5
    assert all(
        set(g)
        == {
            "statement",
            "recommendation",
            "stage",
            "tags",
            "category",
            "for_milestone",
            "source",
            "score",
            "why",
        }
        for g in got
    )
    assert {g["for_milestone"] for g in got} == {"Agent training"}  # M1 is done; M2 is next
    assert (
        got[0]["statement"] == "Training lesson 3"
    )  # same stage, same tag and text; high impact breaks the tie
    assert "Renewal lesson" not in [g["statement"] for g in got]
    assert [g["score"] for g in got] == sorted((g["score"] for g in got), reverse=True)


def test_stage_match_ranks_above_a_text_only_match(kb):
    kb.upsert(
        [
            lesson("o", "M1", 1, "Agent training ran late", stage="renewal", tags="renewal"),
            lesson("o", "M1", 2, "Book rooms early", stage="adoption", tags="training"),
        ]
    )
    p = plan("kite", "Kite Air", "Lee Chen", stage="adoption")
    assert [g["statement"] for g in suggest(p, snapshot(p), kb)] == [
        "Book rooms early",
        "Agent training ran late",
    ]


def test_kb_page_is_self_contained_and_escapes_what_people_typed(kb, tmp_path):
    kb.upsert(
        [
            lesson("a", "M1", 1, "<script>alert(1)</script> training <img src=x onerror=y>"),
            lesson("b", "M2", 1, "Second lesson", stage="adoption", tags="rollout"),
        ]
    )
    page = export_kb(kb.url, tmp_path / "out" / "index.html", generated=dt.date(2026, 10, 15)).read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<img" not in page
    assert page.count("<script>") == 1  # only the page's own filter
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert 'option value="adoption"' in page and 'option value="rollout"' in page
    assert "Second lesson" in page


@pytest.fixture
def project(fresh_demo, monkeypatch) -> Path:
    """The demo project with its retro files, as the working folder."""
    from csnb.demo.retros import write_demo_retros

    write_demo_retros(fresh_demo)
    monkeypatch.chdir(fresh_demo)
    return fresh_demo


def test_cli_search_list_export_suggest(project):
    from csnb.cli import app
    from csnb.retro.notebook import prepare_retro

    url = project_store_url(project)
    for client, milestone in (("northwind", "M2"), ("northwind", "M4"), ("acme", "M2"), ("fernhill", "M1")):
        assert prepare_retro(project / "parameters" / f"{client}.yaml", milestone).record(url) >= 2
    runner = CliRunner()
    found = runner.invoke(app, ["lessons", "search", "onboarding training", "--json"])
    assert found.exit_code == 0, found.output
    top = json.loads(found.output)[0]
    assert top["statement"].startswith("Training in two shifts reached every agent")
    listed = json.loads(runner.invoke(app, ["lessons", "list", "--stage", "onboarding", "--json"]).output)
    assert {r["stage"] for r in listed} == {"onboarding"} and len(listed) == 3
    exported = runner.invoke(app, ["lessons", "export"])
    assert exported.exit_code == 0 and (project / "reports" / "lessons" / "index.html").is_file()
    suggested = json.loads(runner.invoke(app, ["lessons", "suggest", "fernhill", "--json"]).output)
    assert suggested and all(s["source"] in ("this client", "another client") for s in suggested)
    assert not any(n in json.dumps(suggested) for n in ("Northwind", "northwind", "Acme", "Grace Okafor"))
    bad = runner.invoke(app, ["lessons", "search", "!!"])
    assert bad.exit_code != 0
    # "training" is in most lessons, so its bm25 scores are tiny (about 2e-06): they once all read "0.00"
    shown = runner.invoke(app, ["lessons", "search", "training"], terminal_width=200).output
    relevances = re.findall(r"relevance (\d+)%", shown)
    assert relevances[0] == "100" and len(set(relevances)) > 1, shown
    assert [int(r) for r in relevances] == sorted((int(r) for r in relevances), reverse=True)
    assert "0.00" not in shown


def test_relevance_is_a_share_of_the_best_hit():
    from csnb.cli.lessons import relevance

    assert [relevance(s, 2.05e-06) for s in (2.05e-06, 1.98e-06, 1.55e-06)] == ["100%", "97%", "76%"]
    assert relevance(1e-12, 3.4) == "1%"  # a hit is never shown as 0% relevant
    assert relevance(None, 1.0) == "—"


def test_every_command_help_shows_an_example():
    from csnb.cli import app

    runner = CliRunner()
    for args in (
        ["retro"],
        ["lessons"],
        ["lessons", "search"],
        ["lessons", "list"],
        ["lessons", "export"],
        ["lessons", "suggest"],
    ):
        result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0 and "Example:" in result.output, (args, result.output)


@pytest.mark.services
def test_postgres_upsert_is_idempotent_and_ranks_the_phrase_first(pg_schema_url):
    base = open_kb(pg_schema_url)
    base.upsert(CUSTOMER_TRAINING)
    base.upsert(CUSTOMER_TRAINING)
    assert base.count() == 3
    assert [r["number"] for r in base.search("customer training")] == [2, 1, 3]
    assert [r["number"] for r in base.search("portal", Filters(client="a"))] == [3]
    open_kb(pg_schema_url).dispose()  # a second open finds the schema migrated
    base.dispose()


def test_a_narrow_filter_still_finds_matches_older_than_the_ranking_window(kb, monkeypatch):
    import csnb.store.lessons

    monkeypatch.setattr(csnb.store.lessons, "RANK_WINDOW", 2)
    kb.upsert(
        [lesson("old", "M1", 1, "Training that only the old client had")]
        + [lesson("new", "M1", i, f"Training number {i}") for i in range(1, 6)]
    )
    assert [r["client"] for r in kb.search("training", Filters(client="old"))] == ["old"]
    assert len(kb.search("training", limit=10)) == 2  # unfiltered: the two newest matches are ranked
