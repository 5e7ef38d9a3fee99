"""One migrations runner for every table: old stores carried over, concurrent migrators applied once."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url

from csnb.store import db
from csnb.store.deliveries import MailLog
from csnb.store.lessons import open_kb
from csnb.store.runs import Store

PROCESSES = 4

# The schema the previous csnb wrote to a SQLite store (runs at version 2, lessons 1, deliveries 1), each
# family with its own key/value meta table, exactly as that code's CREATE statements left it.
OLD_SQLITE_STORE = [
    'CREATE TABLE csnb_meta ("key" VARCHAR(64) NOT NULL, value VARCHAR(200), PRIMARY KEY ("key"))',
    "INSERT INTO csnb_meta VALUES ('schema_version', '2')",
    "CREATE TABLE runs (id INTEGER NOT NULL, run_key VARCHAR(200) NOT NULL, batch VARCHAR(64), "
    "client VARCHAR(64) NOT NULL, ritual VARCHAR(64) NOT NULL, audience VARCHAR(16) NOT NULL, "
    "as_of VARCHAR(10) NOT NULL, started DATETIME, finished DATETIME, duration FLOAT, status VARCHAR(16), "
    "error TEXT, outputs JSON, code_fingerprint VARCHAR(64), data_fingerprint VARCHAR(64), "
    "user VARCHAR(64), host VARCHAR(128), pid INTEGER, PRIMARY KEY (id), UNIQUE (run_key))",
    "CREATE INDEX ix_runs_status ON runs (status)",
    "CREATE INDEX ix_runs_client ON runs (client)",
    "CREATE INDEX ix_runs_report ON runs (client, audience, as_of)",
    "CREATE TABLE snapshots (id INTEGER NOT NULL, client VARCHAR(64) NOT NULL, "
    "audience VARCHAR(16) NOT NULL, as_of VARCHAR(10) NOT NULL, recorded DATETIME, health FLOAT, "
    "band VARCHAR(16), summary JSON NOT NULL, "
    "PRIMARY KEY (id), CONSTRAINT uq_snapshot UNIQUE (client, audience, as_of))",
    'CREATE TABLE lessons_meta ("key" VARCHAR(64) NOT NULL, value VARCHAR(200), PRIMARY KEY ("key"))',
    "INSERT INTO lessons_meta VALUES ('schema_version', '1')",
    "CREATE TABLE lessons (id INTEGER NOT NULL, client VARCHAR(64) NOT NULL, milestone VARCHAR(64) NOT NULL, "
    "number INTEGER NOT NULL, client_name VARCHAR(200) NOT NULL, title VARCHAR(500) NOT NULL, "
    "stage VARCHAR(16) NOT NULL, category VARCHAR(16) NOT NULL, impact VARCHAR(8) NOT NULL, "
    "statement TEXT NOT NULL, recommendation TEXT NOT NULL, tags TEXT NOT NULL, owner VARCHAR(64), "
    "follow_up JSON, retro_date VARCHAR(10) NOT NULL, facts JSON, private JSON, "
    "content_hash VARCHAR(64) NOT NULL, created DATETIME, updated DATETIME, PRIMARY KEY (id), "
    "CONSTRAINT uq_lesson UNIQUE (client, milestone, number))",
    "CREATE INDEX ix_lessons_stage ON lessons (stage)",
    "CREATE VIRTUAL TABLE lessons_fts USING fts5(statement, recommendation, tags, title, content='lessons', "
    "content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER lessons_ai AFTER INSERT ON lessons BEGIN INSERT INTO lessons_fts(rowid, statement, "
    "recommendation, tags, title) VALUES (new.id, new.statement, new.recommendation, new.tags, new.title); "
    "END",
    "CREATE TRIGGER lessons_ad AFTER DELETE ON lessons BEGIN INSERT INTO lessons_fts(lessons_fts, rowid, "
    "statement, recommendation, tags, title) VALUES ('delete', old.id, old.statement, old.recommendation, "
    "old.tags, old.title); END",
    "CREATE TRIGGER lessons_au AFTER UPDATE ON lessons BEGIN INSERT INTO lessons_fts(lessons_fts, rowid, "
    "statement, recommendation, tags, title) VALUES ('delete', old.id, old.statement, old.recommendation, "
    "old.tags, old.title); INSERT INTO lessons_fts(rowid, statement, recommendation, tags, title) "
    "VALUES (new.id, new.statement, new.recommendation, new.tags, new.title); END",
    'CREATE TABLE delivery_meta ("key" VARCHAR(64) NOT NULL, value VARCHAR(200), PRIMARY KEY ("key"))',
    "INSERT INTO delivery_meta VALUES ('schema_version', '1')",
    'CREATE TABLE deliveries (id INTEGER NOT NULL, "key" VARCHAR(300) NOT NULL, kind VARCHAR(16) NOT NULL, '
    "client VARCHAR(64) NOT NULL, ritual VARCHAR(128) NOT NULL, audience VARCHAR(16) NOT NULL, "
    "as_of VARCHAR(10) NOT NULL, report TEXT, subject TEXT, message_id VARCHAR(300), recipients JSON, "
    "accepted JSON, refused JSON, status VARCHAR(16) NOT NULL, error TEXT, attempts INTEGER NOT NULL, "
    'created DATETIME, updated DATETIME, raw BLOB, PRIMARY KEY (id), UNIQUE ("key"))',
    "CREATE INDEX ix_deliveries_client ON deliveries (client)",
    "CREATE INDEX ix_deliveries_status ON deliveries (status)",
]
OLD_ROWS = [
    "INSERT INTO runs (run_key, client, ritual, audience, as_of, status, outputs) VALUES "
    "('acme|weekly|operator|2026-10-12|1', 'acme', 'weekly', 'operator', '2026-10-12', 'ok', "
    '\'{"html": "reports/acme/operator.html"}\')',
    "INSERT INTO snapshots (client, audience, as_of, health, band, summary) VALUES "
    "('acme', 'operator', '2026-10-12', 72.5, 'amber', '{\"health\": {\"score\": 72.5}}')",
    "INSERT INTO lessons (client, milestone, number, client_name, title, stage, category, impact, statement, "
    "recommendation, tags, retro_date, content_hash) VALUES ('acme', 'M1', 1, 'Acme', 'Agent training', "
    "'onboarding', 'process', 'high', 'Schedule agent training before go-live', 'Book trainers early', "
    "'training', '2026-10-01', 'old')",
    'INSERT INTO deliveries ("key", kind, client, ritual, audience, as_of, status, attempts) VALUES '
    "('report|acme|weekly|operator|2026-10-12', 'report', 'acme', 'weekly', 'operator', '2026-10-12', "
    "'sent', 1)",
]


def test_a_store_made_by_the_previous_csnb_keeps_its_rows_and_versions(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with sqlite3.connect(path) as old:
        for sql in OLD_SQLITE_STORE + OLD_ROWS:
            old.execute(sql)
    store, kb, log = Store(f"sqlite:///{path}"), open_kb(f"sqlite:///{path}"), MailLog(f"sqlite:///{path}")
    assert [r["outputs"] for r in store.runs()] == [{"html": "reports/acme/operator.html"}]
    assert store.latest_summaries() == {"acme": {"health": {"score": 72.5}}}
    assert [r["statement"] for r in kb.search("training")] == ["Schedule agent training before go-live"]
    assert [r["status"] for r in log.rows("acme")] == ["sent"]
    # each family starts from the version its own meta table recorded; the old tables stay for an older csnb
    assert _versions(store.engine) == {"runs": 2, "lessons": 1, "deliveries": 1}
    with sqlite3.connect(path) as conn:
        for legacy, version in (("csnb_meta", "2"), ("lessons_meta", "1"), ("delivery_meta", "1")):
            assert conn.execute(f"SELECT value FROM {legacy}").fetchall() == [(version,)]
    assert (store.migrate(), kb.migrate(), log.migrate()) == (2, 1, 1)
    with kb.engine.connect() as conn:  # FTS5 raises if the index drifted from the table
        conn.exec_driver_sql("INSERT INTO lessons_fts(lessons_fts) VALUES ('integrity-check')")
    for opened in (store, kb, log):
        opened.dispose()


def test_a_recorded_legacy_version_runs_only_the_steps_after_it(tmp_path: Path) -> None:
    engine = db.open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.begin() as conn:  # a family whose old meta table says steps 1 and 2 already ran
        conn.execute(text('CREATE TABLE probe_meta ("key" VARCHAR(64) PRIMARY KEY, value VARCHAR(200))'))
        conn.execute(text("INSERT INTO probe_meta VALUES ('schema_version', '2')"))
    ran: list[int] = []
    steps = [lambda conn, n=n: ran.append(n) for n in (1, 2, 3)]
    family = db.Family("probe", steps, legacy="probe_meta")
    assert db.migrate(engine, family) == 3
    assert db.migrate(engine, family) == 3  # the second time finds the store up to date
    assert ran == [3]
    assert _versions(engine) == {"probe": 3}
    engine.dispose()


# -- several processes migrating one fresh database at the same moment ----------------------------------


def _create_probe(conn: Connection) -> None:
    """Step 1: fails if it runs twice (no IF NOT EXISTS), and logs that it ran."""
    conn.execute(text("CREATE TABLE probe (n INTEGER)"))
    conn.execute(text("CREATE TABLE probe_log (step INTEGER, pid INTEGER)"))
    time.sleep(0.3)  # hold the lock while the other processes arrive
    conn.execute(text("INSERT INTO probe_log VALUES (1, :pid)"), {"pid": os.getpid()})


def _add_note(conn: Connection) -> None:
    """Step 2: fails if it runs twice (the column exists), and logs that it ran."""
    conn.execute(text("ALTER TABLE probe ADD COLUMN note VARCHAR(20)"))
    conn.execute(text("INSERT INTO probe_log VALUES (2, :pid)"), {"pid": os.getpid()})


PROBE = db.Family("probe", [_create_probe, _add_note])


def _migrate_at_once(url: str, barrier: Any) -> None:
    """One process: wait for the others, then migrate the probe family and open every store class."""
    try:
        engine = db.open_engine(url)
        barrier.wait(30)
        assert db.migrate(engine, PROBE) == 2
        engine.dispose()
        barrier.wait(30)  # and every store class opens the fresh store at the same moment too
        for opened in (Store(url), open_kb(url), MailLog(url)):
            opened.dispose()
    except BaseException:
        traceback.print_exc()
        os._exit(1)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.services),
        pytest.param("mariadb", marks=pytest.mark.services),
    ]
)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, a new PostgreSQL schema, or a new MariaDB database."""
    name = f"csnb_migrations_{uuid.uuid4().hex[:10]}"
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = request.getfixturevalue("pg_url" if request.param == "postgresql" else "mariadb_url")
    admin = create_engine(base)
    kind = "SCHEMA" if request.param == "postgresql" else "DATABASE"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE {kind} {name}"))
    try:
        if request.param == "postgresql":
            yield f"{base}?options=-csearch_path%3D{name}"
        else:
            yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP {kind} {name}" + (" CASCADE" if kind == "SCHEMA" else "")))
        admin.dispose()


def test_processes_migrating_one_fresh_database_at_once_all_succeed_and_apply_each_step_once(
    fresh_url: str,
) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(PROCESSES)
    procs = [ctx.Process(target=_migrate_at_once, args=(fresh_url, barrier)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        steps = conn.execute(text("SELECT step, COUNT(*) FROM probe_log GROUP BY step")).all()
    assert sorted(tuple(s) for s in steps) == [(1, 1), (2, 1)]  # each step ran once, in one process
    assert _versions(engine) == {"probe": 2, "runs": 2, "lessons": 1, "deliveries": 1}
    assert not {"csnb_meta", "lessons_meta", "delivery_meta"} & set(inspect(engine).get_table_names())
    engine.dispose()


def _versions(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            family: version
            for family, version in conn.execute(text("SELECT family, version FROM csnb_migrations"))
        }
