"""The store on SQLite and PostgreSQL: migrations, run rows under concurrent writers, snapshots."""

from __future__ import annotations

import datetime as dt

from commands import in_processes
from sqlalchemy import create_engine, inspect, text

from csnb.store.runs import MIGRATIONS, Store

WRITERS, RUNS_EACH = 4, 40


def _writer(url: str, writer: int) -> None:
    store = Store(url)
    for n in range(RUNS_EACH):
        run_id = store.start_run(
            f"c{writer}|weekly|operator|2026-10-12|{n}",
            client=f"c{writer}",
            ritual="weekly",
            audience="operator",
            as_of="2026-10-12",
        )
        store.finish_run(
            run_id,
            "ok" if n % 3 else "failed",
            error=None if n % 3 else "boom",
            outputs={"html": f"reports/c{writer}/{n}.html"},
        )
    store.dispose()


def test_concurrent_writers_never_lose_or_duplicate_a_run(store_url: str) -> None:
    Store(store_url).migrate()  # a batch migrates before its workers start
    assert in_processes(_writer, store_url, WRITERS) == [0] * WRITERS
    rows = Store(store_url).runs(limit=1000)
    assert len(rows) == WRITERS * RUNS_EACH
    assert len({r["run_key"] for r in rows}) == WRITERS * RUNS_EACH
    assert all(r["status"] in ("ok", "failed") and r["finished"] and r["duration"] >= 0 for r in rows)
    assert sum(r["status"] == "failed" for r in rows) == WRITERS * 14


def test_a_version_1_store_is_migrated_in_place(store_url: str) -> None:
    engine = create_engine(store_url)
    with engine.begin() as conn:  # the schema version 1 shipped, with one run in it
        conn.execute(text("CREATE TABLE csnb_meta (key VARCHAR(64) PRIMARY KEY, value VARCHAR(200))"))
        conn.execute(text("INSERT INTO csnb_meta VALUES ('schema_version', '1')"))
        conn.execute(
            text(
                "CREATE TABLE runs (id INTEGER PRIMARY KEY, run_key VARCHAR(200) NOT NULL UNIQUE, "
                "batch VARCHAR(64), client VARCHAR(64) NOT NULL, ritual VARCHAR(64) NOT NULL, "
                "audience VARCHAR(16) NOT NULL, as_of VARCHAR(10) NOT NULL, started TIMESTAMP, "
                "finished TIMESTAMP, duration FLOAT, status VARCHAR(16), error TEXT, outputs TEXT, "
                'code_fingerprint VARCHAR(64), data_fingerprint VARCHAR(64), "user" VARCHAR(64), '
                "host VARCHAR(128))"
            )
        )
        conn.execute(
            text(
                "INSERT INTO runs (id, run_key, client, ritual, audience, as_of, status) "
                "VALUES (1, 'k1', 'acme', '', 'operator', '2026-10-12', 'ok')"
            )
        )
    store = Store(store_url)
    assert store.migrate() == len(MIGRATIONS) == 2
    assert "pid" in {c["name"] for c in inspect(store.engine).get_columns("runs")}
    assert [r["client"] for r in store.runs()] == ["acme"]
    assert store.report_states() == {("acme", "operator", "2026-10-12"): ("ok", "")}
    engine.dispose()


def test_closing_a_run_whose_worker_died_counts_it_once(store_url: str) -> None:
    store = Store(store_url)
    values = {"client": "acme", "ritual": "", "audience": "operator", "as_of": "2026-10-12"}
    # the worker finished it: the parent's close changes nothing
    store.finish_run(store.start_run("k-finished", **values), "ok")
    assert store.close_run("k-finished", "failed", error="worker died", **values) is False
    # the worker started it, then died
    store.start_run("k-open", **values)
    assert store.close_run("k-open", "failed", error="worker died", duration=3.0, **values) is True
    # the worker died before it could start it
    assert store.close_run("k-never", "failed", error="worker died", **values) is True
    rows = {r["run_key"]: r for r in store.runs()}
    assert {k: r["status"] for k, r in rows.items()} == {
        "k-finished": "ok",
        "k-open": "failed",
        "k-never": "failed",
    }
    assert rows["k-open"]["duration"] == 3.0


def test_stale_running_rows_of_a_killed_batch_become_interrupted(store_url: str) -> None:
    store = Store(store_url)
    values = {"client": "acme", "ritual": "", "audience": "operator", "as_of": "2026-10-12", "host": "here"}
    store.start_run("dead", pid=101, **values)
    store.start_run("alive", pid=202, **values)
    store.start_run("elsewhere", pid=101, **{**values, "host": "other-machine"})
    assert store.interrupt_stale("here", alive=lambda pid: pid == 202) == 1
    assert {r["run_key"]: r["status"] for r in store.runs()} == {
        "dead": "interrupted",
        "alive": "running",
        "elsewhere": "running",
    }


def test_report_states_prefer_any_success_then_the_latest_attempt(store_url: str) -> None:
    store = Store(store_url)
    for key, as_of, status in [
        ("1", "2026-10-05", "failed"),
        ("2", "2026-10-05", "ok"),
        ("3", "2026-10-05", "failed"),
        ("4", "2026-10-12", "ok"),
        ("5", "2026-10-12", "failed"),
    ]:
        store.finish_run(
            store.start_run(key, client="acme", ritual="weekly", audience="operator", as_of=as_of), status
        )
    store.finish_run(
        store.start_run("6", client="acme", ritual="", audience="operator", as_of="2026-10-19"), "failed"
    )
    assert store.report_states(["acme"]) == {
        ("acme", "operator", "2026-10-05"): ("ok", "weekly"),
        ("acme", "operator", "2026-10-12"): ("ok", "weekly"),
        ("acme", "operator", "2026-10-19"): ("failed", ""),
    }
    assert store.last_runs()["acme"]["run_key"] == "6"


def test_snapshots_give_the_previous_report_for_what_changed(store_url: str) -> None:
    store = Store(store_url)
    for day, score in [(5, 60.0), (12, 72.5)]:
        store.record_snapshot(
            "acme",
            "operator",
            dt.date(2026, 10, day),
            {"as_of": f"2026-10-{day:02d}", "health": {"score": score, "band": "amber"}},
        )
    store.record_snapshot(
        "acme",
        "operator",
        dt.date(2026, 10, 12),  # a re-run replaces, never duplicates
        {"as_of": "2026-10-12", "health": {"score": 80.0, "band": "green"}},
    )
    assert store.previous_summary("acme", "operator", before=dt.date(2026, 10, 12))["health"]["score"] == 60.0
    assert store.previous_summary("acme", "operator", before=dt.date(2026, 10, 19))["health"]["score"] == 80.0
    assert store.previous_summary("acme", "executive", before=dt.date(2026, 10, 19)) is None
    assert [s["health"]["score"] for s in store.snapshot_history("acme", "operator")] == [80.0, 60.0]
