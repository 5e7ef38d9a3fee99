"""The demo: a byte-identical warehouse and plans that, at the demo's as_of, show every status."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import csnb
from csnb.cli import app
from csnb.demo.build import AS_OF, build_demo, build_warehouse, plan_yaml, to_yaml
from csnb.demo.data import REPORT_WEEKS, demo_observations, synthetic_observations, synthetic_plan
from csnb.demo.plans import DEMO_PLANS
from csnb.indicators.changes import diff
from csnb.plan import Plan, load_plan
from csnb.project.config import load_config

METRIC_STATUSES = {"achieved", "on_track", "at_risk", "off_track", "missed", "no_data"}
MILESTONE_STATUSES = {"done", "late", "blocked", "at_risk", "not_started", "on_track"}

# Where each status shows in the demo (the story the demo tells; see the plan headers).
EXPECTED_METRICS = {
    ("northwind", "agents_live"): "achieved",
    ("northwind", "service_level"): "on_track",
    ("northwind", "avg_handle_time"): "at_risk",
    ("fernhill", "stores_connected"): "off_track",
    ("northwind", "calls_per_agent"): "missed",
    ("fernhill", "forecast_accuracy"): "no_data",
}
EXPECTED_MILESTONES = {
    ("northwind", "M4"): "done",
    ("fernhill", "M2"): "late",
    ("fernhill", "M3"): "blocked",
    ("acme", "M3"): "at_risk",
    ("acme", "M4"): "not_started",
    ("northwind", "M5"): "on_track",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def snapshots(demo: Path) -> dict[str, csnb.Snapshot]:
    """Each demo plan evaluated at the as_of its csnb.toml pins, on data pulled from the warehouse."""
    as_of = load_config(demo).as_of
    assert as_of == AS_OF
    out = {}
    for client in DEMO_PLANS:
        plan = load_plan(demo / "parameters" / f"{client}.yaml", env={})
        observations = csnb.pull(plan, env={})
        assert observations.ok, observations.errors
        out[client] = csnb.evaluate(plan, observations, as_of)
    return out


def _pairs(snapshots: dict[str, csnb.Snapshot], frame: str, key: str) -> dict[tuple[str, str], str]:
    return {
        (c, k): status
        for c, s in snapshots.items()
        for k, status in zip(getattr(s, frame)[key], getattr(s, frame)["status"], strict=True)
    }


def test_demo_shows_every_metric_status(snapshots):
    statuses = _pairs(snapshots, "metrics", "metric")
    assert set(statuses.values()) >= METRIC_STATUSES
    assert {k: statuses[k] for k in EXPECTED_METRICS} == EXPECTED_METRICS


def test_demo_shows_every_milestone_status(snapshots):
    statuses = _pairs(snapshots, "milestones", "milestone")
    assert set(statuses.values()) >= MILESTONE_STATUSES
    assert {k: statuses[k] for k in EXPECTED_MILESTONES} == EXPECTED_MILESTONES


def test_demo_has_a_triggered_and_a_clear_risk(snapshots):
    statuses = _pairs(snapshots, "risks", "risk")
    assert statuses[("fernhill", "R1")] == "triggered"
    assert "clear" in statuses.values()


def test_demo_has_a_lead_that_predicts_and_one_that_does_not(snapshots):
    checks = {(c, row.lead): row for c, s in snapshots.items() for row in s.lead_checks.itertuples()}
    trained = checks[("northwind", "agents_trained")]
    assert trained.predicts and trained.best_shift == 2 and trained.best_r > 0.9
    share = checks[("acme", "auto_planned_share")]
    assert share.predicts and share.best_shift == 1 and share.best_r > 0.8
    newsletter = checks[("fernhill", "newsletter_opens")]
    assert newsletter.predicts is False and abs(newsletter.best_r) < 0.3


def test_demo_has_a_down_metric_and_an_approved_change(demo):
    plans = [load_plan(demo / "parameters" / f"{c}.yaml", env={}) for c in DEMO_PLANS]
    assert any(m.direction == "down" for p in plans for m in p.metrics)
    assert any(c.status == "approved" and c.decided_on for p in plans for c in p.changes)
    for plan in plans:  # every section a report shows is filled in
        assert plan.cadence and plan.escalation and plan.decisions and plan.glossary and plan.risks
        assert {p.side for p in plan.people} == {"provider", "client"}
        assert all(p.email and p.email.split("@")[1].startswith("example.") for p in plan.people)


def test_statuses_do_not_depend_on_the_seed():
    plans = [Plan.model_validate(make()) for make in DEMO_PLANS.values()]

    def statuses(seed: int) -> tuple:
        p = csnb.evaluate_portfolio(plans, demo_observations(seed), AS_OF)
        return tuple(p.metrics["status"]), tuple(p.milestones["status"]), tuple(p.risks["status"])

    assert statuses(7) == statuses(1) == statuses(2024)


def _moves(plan: Plan, observations: pd.DataFrame, before: dt.date, after: dt.date) -> set[str]:
    """What moved in ``plan`` from one week to the next: status moves, milestones done, risks triggered."""
    d = diff(csnb.evaluate(plan, observations, before), csnb.evaluate(plan, observations, after), plan)
    return {f"{m.id}: {m.before} -> {m.after}" for m in d.moves + d.completed + d.risks_triggered}


@pytest.mark.parametrize("seed", [7, 1, 2024])
def test_the_last_demo_week_has_news_for_every_client(seed):
    # the moves `make demo`'s last reports list under "What changed", whatever the seed
    rows = demo_observations(seed)
    before = REPORT_WEEKS[-2]
    last = {
        client: _moves(Plan.model_validate(make()), rows[rows["client"] == client], before, AS_OF)
        for client, make in DEMO_PLANS.items()
    }
    # what a week did is fixed by the plans' dates and the designed levels; where it came from may vary
    moved_to = {
        c: {m.split(": ")[0] + " -> " + m.split(" -> ")[1] for m in found} for c, found in last.items()
    }
    assert "M3 -> at_risk" in moved_to["acme"]  # the 25% milestone is a week from its due date
    assert "calls_per_agent -> missed" in moved_to["northwind"]  # its target date passed
    assert {"M2 -> late", "M3 -> blocked"} <= moved_to["fernhill"]  # the first wave is late, training waits


def test_each_earlier_demo_week_moves_too():
    rows = demo_observations(7)
    for client, make in DEMO_PLANS.items():
        plan, mine = Plan.model_validate(make()), rows[rows["client"] == client]
        weeks = [_moves(plan, mine, a, b) for a, b in zip(REPORT_WEEKS, REPORT_WEEKS[1:], strict=False)]
        assert sum(map(bool, weeks)) >= 2, f"{client}: the demo's history is flat {weeks}"


def test_the_makefile_reports_on_the_demo_weeks(repo):
    line = next(x for x in (repo / "Makefile").read_text().splitlines() if x.startswith("DEMO_WEEKS"))
    assert line.split(":=")[1].split() == [w.isoformat() for w in REPORT_WEEKS]
    gaps = {(b - a).days for a, b in zip(REPORT_WEEKS, REPORT_WEEKS[1:], strict=False)}
    assert REPORT_WEEKS[-1] == AS_OF and gaps == {7}


def test_warehouse_is_byte_identical_for_a_seed(tmp_path):
    first, second, other = tmp_path / "a.db", tmp_path / "b" / "a.db", tmp_path / "c.db"
    assert build_warehouse(first) == build_warehouse(second) > 500
    build_warehouse(other, seed=8)
    assert sha256(first) == sha256(second)
    assert sha256(first) != sha256(other)
    files = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["a.db", "a.db", "c.db"]  # no temporary file left behind


def test_demo_files_get_the_mode_a_plain_write_gives(tmp_path):
    old = os.umask(0o022)
    try:
        lines = list(build_demo(tmp_path))
    finally:
        os.umask(old)
    assert any(line.startswith("wrote") and "warehouse.db" in line for line in lines)
    for path in [
        tmp_path / ".csnb" / "demo" / "warehouse.db",
        tmp_path / "csnb.toml",
        *(tmp_path / "parameters").glob("*.yaml"),
    ]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_warehouse_schema_and_rows(tmp_path):
    build_warehouse(tmp_path / "w.db")
    con = sqlite3.connect(tmp_path / "w.db")
    try:
        columns = [(r[1], r[2]) for r in con.execute("PRAGMA table_info(observations)")]
        assert columns == [("client", "TEXT"), ("metric", "TEXT"), ("date", "TEXT"), ("value", "REAL")]
        index = [r[1] for r in con.execute("PRAGMA index_list(observations)")]
        assert [r[2] for r in con.execute(f"PRAGMA index_info({index[0]})")] == ["client", "metric", "date"]
        first, last = con.execute("SELECT min(date), max(date) FROM observations").fetchone()
        assert dt.date.fromisoformat(first) < AS_OF == dt.date.fromisoformat(last)
        clients = {r[0] for r in con.execute("SELECT DISTINCT client FROM observations")}
        assert clients == set(DEMO_PLANS)
    finally:
        con.close()


def test_committed_demo_files_regenerate_byte_identically(repo, demo):
    for client in DEMO_PLANS:
        committed = repo / "parameters" / f"{client}.yaml"
        assert committed.read_bytes() == (demo / "parameters" / f"{client}.yaml").read_bytes(), (
            f"{committed.name} is stale: run `csnb demo` in the repository root and commit it"
        )
    assert (repo / "csnb.toml").read_bytes() == (demo / "csnb.toml").read_bytes()


def test_build_demo_keeps_an_existing_csnb_toml(tmp_path):
    (tmp_path / "csnb.toml").write_text("[project]\ntimezone = 'Asia/Tokyo'\n")
    lines = list(build_demo(tmp_path))
    assert (tmp_path / "csnb.toml").read_text() == "[project]\ntimezone = 'Asia/Tokyo'\n"
    assert any(line.startswith("kept") for line in lines)
    assert sum(line.startswith("ok ") for line in lines) == len(DEMO_PLANS)


def test_plan_text_round_trips_to_the_plan_data(demo):
    for client, make in DEMO_PLANS.items():
        loaded = load_plan(demo / "parameters" / f"{client}.yaml", env={})
        assert loaded.model_dump() == Plan.model_validate(make()).model_dump()
        assert plan_yaml(client).startswith("# Demo success plan")


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "No",
        "123",
        "1e3",
        "a: b",
        "#x",
        "",
        " pad",
        "x, y",
        "[a]",
        "null",
        "2026-01-01",
        'quote " and \\ back',
        "Tomás",
        "- item",
        "@home",
        "ok @ home",
    ],
)
def test_yaml_writer_quotes_what_needs_quoting(tmp_path, text):
    from ruamel.yaml import YAML

    path = tmp_path / "x.yaml"
    data = {"value": text, "flow": {"a": text, "b": [text]}, "items": [{"k": text, "long": "x" * 120}]}
    path.write_text(to_yaml(data))
    assert YAML(typ="safe").load(path) == data


def test_csnb_demo_command(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output and "csnb.toml" in result.output
    assert (tmp_path / ".csnb" / "demo" / "warehouse.db").is_file()


def test_synthetic_plan_validates_and_evaluates_on_its_rows(tmp_path):
    path = tmp_path / "client-00003.yaml"
    path.write_text(to_yaml(synthetic_plan(3)))
    plan = load_plan(path, env={})  # the warehouse URL has a default, so no variable is needed
    assert plan.client.id == "client-00003" and len(plan.metrics) == 10 and len(plan.milestones) == 6
    assert synthetic_plan(3) == synthetic_plan(3) != synthetic_plan(4)
    rows = synthetic_observations(5, days=365)
    assert len(rows) == 5 * 10 * 365 and list(rows.columns) == ["client", "metric", "date", "value"]
    snap = csnb.evaluate(plan, rows, dt.date(2025, 9, 30))
    assert (snap.metrics["status"] != "no_data").all()
    assert snap.metrics["status"].nunique() >= 3
    assert len(snap.milestones) == 6


@pytest.mark.slow
def test_synthetic_observations_of_a_thousand_clients():
    # benchmarks/bench_engine.py prints how long they take to make
    rows = synthetic_observations(1000)
    assert len(rows) == 7_300_000  # 1,000 clients x 10 metrics x 730 days


def test_csnb_status_all_on_the_demo_names_every_status(demo, monkeypatch):
    import json

    monkeypatch.chdir(demo)
    result = CliRunner().invoke(app, ["status", "--all", "--json"])
    assert result.exit_code == 0, result.output
    clients = json.loads(result.output)["clients"]
    assert {c["client"] for c in clients} == set(DEMO_PLANS)
    metric = {m["status"] for c in clients for m in c["metrics"]}
    milestone = {m["status"] for c in clients for m in c["milestones"]}
    risk = {r["status"] for c in clients for r in c["risks"]}
    assert metric == {"achieved", "on_track", "at_risk", "off_track", "missed", "no_data"}
    assert milestone == {"done", "late", "blocked", "at_risk", "not_started", "on_track"}
    assert risk == {"triggered", "clear"}
    predicts = {lc["predicts"] for c in clients for lc in c["lead_checks"]}
    assert {True, False} <= predicts
    table = CliRunner().invoke(app, ["status", "fernhill"], terminal_width=200)
    assert table.exit_code == 0 and "triggered" in table.output and "blocked" in table.output
