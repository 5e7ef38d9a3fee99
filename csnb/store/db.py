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
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
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
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from csnb.errors import CsnbError, StoreError
from csnb.store import sqlitefile

SQLITE_TIMEOUT = 30  # seconds a SQLite connection waits for another process's write lock
LOCK_TIMEOUT = 60  # seconds a MySQL migrator waits for another one before giving up
EXTRAS = {"postgresql": "csnb[postgres]", "mysql": "csnb[mysql]", "mariadb": "csnb[mysql]"}
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
    """An engine for a store URL; a SQLite file gets its folder, WAL, a busy timeout and real transactions.

    A URL that is not one, names an unknown database or a driver that is not installed, a server that
    does not answer, and a SQLite file that is empty, damaged or not a database are ``StoreError``s.
    """
    parsed = parse_url(url)
    path = _sqlite_file(parsed)
    if path is not None:
        sqlitefile.prepare(path)
    try:
        # the driver's timeout is SQLite's busy timeout: wait for another writer instead of failing at once
        args = {"connect_args": {"timeout": SQLITE_TIMEOUT}} if parsed.get_backend_name() == "sqlite" else {}
        engine = create_engine(parsed, **args)
    except (NoSuchModuleError, ImportError, ArgumentError) as exc:
        raise StoreError(_unusable(parsed, exc)) from None
    event.listen(engine, "handle_error", partial(_store_error, parsed, path))
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def parse_url(url: str) -> URL:
    """The store URL, parsed; ``StoreError`` (with any password masked) when it is not an SQLAlchemy URL."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError, TypeError):
        shown = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(url))
        raise StoreError(
            f"the store URL {shown!r} is not an SQLAlchemy URL; write one such as "
            "sqlite:///.csnb/store.db or postgresql+psycopg://user@host/database "
            "(--store, or [store] url in csnb.toml)"
        ) from None


def store_exists(url: str) -> bool:
    """Whether the store at ``url`` may hold history: False only for a SQLite file not created yet."""
    path = _sqlite_file(parse_url(url))
    return path is None or path.exists()


def _sqlite_file(parsed: URL) -> Path | None:
    """The file of a SQLite store URL; None for other databases and for SQLite in memory."""
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _unusable(parsed: URL, exc: Exception) -> str:
    """Why a store URL that parsed cannot make an engine: an unknown database, a missing driver."""
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if isinstance(exc, NoSuchModuleError):
        return (
            f"the store URL {shown} names a database or driver csnb cannot use ({parsed.drivername}): "
            "use sqlite, postgresql+psycopg or mysql+pymysql"
        )
    if isinstance(exc, ImportError):
        extra = EXTRAS.get(backend)
        hint = f"pip install '{extra}'" if extra else "install its database driver"
        return f"the store {shown} needs a database driver that is not installed; {hint}"
    return f"the store URL {shown} is not usable: {exc}"


def _store_error(parsed: URL, path: Path | None, context: Any) -> None:
    """Replace a database error with a ``StoreError`` when the store itself is unusable (SQLAlchemy event)."""
    orig = context.original_exception
    if path is not None:
        found = sqlitefile.damaged(path, orig)
        if found is not None:
            raise found from None
    elif context.connection is None:  # connecting failed: a wrong host, port, database or password
        where = parsed.render_as_string(hide_password=True)
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        raise StoreError(f"cannot connect to the store at {where}: {first}") from None


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
