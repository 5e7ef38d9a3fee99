"""The store's database plumbing, once: an engine for a store URL and one migrations runner for every table.

Why a small runner and not Alembic: the store has three families of tables (``runs``, ``lessons``,
``deliveries``) with a step or two each, and there is no deploy step where someone runs
``alembic upgrade`` - the store is created and upgraded by whichever process opens it first: a batch
worker, the CLI, a retro notebook, often several at the same moment. Alembic would ship a migration
environment (``env.py``, a script folder, a revision graph with branch labels to keep the families
apart) inside the wheel, and it takes no lock, so we would still write the part that matters here:
letting exactly one of several processes migrate while the others wait. What the store needs is
smaller: per family an ordered list of idempotent Python steps, one row per family in
``csnb_migrations``, and the database's own lock around them - SQLite's write lock
(``BEGIN IMMEDIATE``), a PostgreSQL transaction-scoped advisory lock, MySQL's ``GET_LOCK`` - so the first
process migrates and the rest find nothing to do. That fits in one module we can read whole and test
against each server; autogenerate, downgrades and branches are what we give up, and steps such as
"create these tables" and "add this column" do not need them. Versions that csnb recorded before this
runner (``csnb_meta``, ``lessons_meta``, ``delivery_meta``) are carried over on first use and left in
place, so an older csnb can still open the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    column,
    create_engine,
    event,
    insert,
    inspect,
    select,
    table,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url

from csnb.errors import CsnbError

SQLITE_TIMEOUT = 30  # seconds a SQLite connection waits for another process's write lock
LOCK_TIMEOUT = 60  # seconds a MySQL migrator waits for another one before giving up
WRITE = "csnb_write"  # execution option: this transaction writes, so it locks up front (SQLite)

Step = Callable[[Connection], None]

_metadata = MetaData()
migrations = Table(
    "csnb_migrations",
    _metadata,
    Column("family", String(64), primary_key=True),
    Column("version", Integer, nullable=False),  # how many of the family's steps this database has
    Column("applied", DateTime(timezone=True)),
)


class MigrationError(CsnbError):
    """The store's schema could not be brought up to date."""


@dataclass(frozen=True)
class Family:
    """The tables one class keeps: ordered migration steps recorded under one name."""

    name: str
    steps: Sequence[Step]  # append new steps; never edit a released one (a store may have run it)
    legacy: str = ""  # the key/value table where csnb kept this family's ``schema_version`` before


def open_engine(url: str) -> Engine:
    """An engine for a store URL; a SQLite file gets its folder, WAL, a busy timeout and real transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # the driver's timeout is SQLite's busy timeout: wait for another writer instead of failing at once
    engine = create_engine(url, connect_args={"timeout": SQLITE_TIMEOUT})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine and pool, whose transactions take SQLite's write lock as they begin."""
    return engine.execution_options(**{WRITE: True})


def migrate(engine: Engine, family: Family) -> int:
    """Apply the steps of ``family`` this database has not recorded, once; return its schema version."""
    with engine.connect() as conn:  # the common case, an up-to-date store, takes no lock
        version = _recorded(conn, family.name)
    if version is not None and version >= len(family.steps):
        return version
    with _migrating(engine) as conn:
        return _upgrade(conn, family)


def _upgrade(conn: Connection, family: Family) -> int:
    """Under the migration lock: read the family's version again, then run and record what is missing."""
    migrations.create(conn, checkfirst=True)
    version = _recorded(conn, family.name)
    if version is None:
        version = _legacy_version(conn, family.legacy)
        conn.execute(insert(migrations).values(family=family.name, version=version, applied=_now()))
    for number, step in enumerate(family.steps[version:], start=version + 1):
        step(conn)
        # recorded step by step: where DDL commits at once (MySQL), a failed step is the only one re-run
        conn.execute(
            update(migrations)
            .where(migrations.c.family == family.name)
            .values(version=number, applied=_now())
        )
    return max(version, len(family.steps))


def _recorded(conn: Connection, name: str) -> int | None:
    """The family's version in ``csnb_migrations``; None when the table or the row is missing."""
    if not inspect(conn).has_table(migrations.name):
        return None
    return conn.execute(select(migrations.c.version).where(migrations.c.family == name)).scalar()


def _legacy_version(conn: Connection, name: str) -> int:
    """The ``schema_version`` csnb recorded in the family's own meta table before; 0 if there is none."""
    if not name or not inspect(conn).has_table(name):
        return 0
    legacy = table(name, column("key"), column("value"))
    value = conn.execute(select(legacy.c.value).where(legacy.c.key == "schema_version")).scalar()
    return int(value) if value else 0


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection holding the database's migration lock; one transaction where DDL is transactional."""
    dialect = engine.dialect.name
    if dialect in ("mysql", "mariadb"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            with _mysql_lock(conn):
                yield conn
        return
    with writer(engine).begin() as conn:  # on SQLite, BEGIN IMMEDIATE is the lock
        if dialect == "postgresql":  # per schema, so stores in other schemas of a database never wait
            schema = conn.execute(text("SELECT coalesce(current_schema(), '')")).scalar()
            key = {"key": f"csnb_migrations.{schema}"}
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), key)
        yield conn


@contextmanager
def _mysql_lock(conn: Connection) -> Iterator[None]:
    """MySQL's named lock for this database's migrations (its DDL commits at once, so no transaction)."""
    # named locks are server-wide: the database's name keeps two stores on one server apart
    named = text("SELECT LEFT(CONCAT('csnb_migrations.', COALESCE(DATABASE(), '')), 64)")
    name = conn.execute(named).scalar()
    got = conn.execute(text("SELECT GET_LOCK(:name, :wait)"), {"name": name, "wait": LOCK_TIMEOUT}).scalar()
    if got != 1:
        raise MigrationError(
            f"another process has been upgrading the store for {LOCK_TIMEOUT} s; try again when it is done"
        )
    try:
        yield
    finally:
        conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": name})


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # the driver's own BEGIN skips DDL; the "begin" event below emits it
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer, nor a writer for readers
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # a writer takes the write lock up front: a deferred transaction that reads first and then writes can
    # fail at once, without waiting, when another process committed in between
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
