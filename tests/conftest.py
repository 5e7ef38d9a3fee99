"""Shared fixtures: paths, the demo project, fresh stores, and reachability of the test database servers.

Test files run on separate worker processes (``--dist loadfile``), so a session-scoped fixture is
built once per worker, for the files that worker runs.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from commands import free_port
from sqlalchemy import create_engine, text

from csnb.demo.build import build_demo

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("CSNB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("CSNB_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


def service_or_skip(url: str) -> str:
    """Return ``url`` if its server answers; skip the test otherwise (fail under CSNB_REQUIRE_SERVICES=1)."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        reason = f"database server not reachable at {url.split('@')[-1]}: {type(exc).__name__}"
        if os.environ.get("CSNB_REQUIRE_SERVICES") == "1":
            pytest.fail(reason + " (CSNB_REQUIRE_SERVICES=1 forbids skipping)")
        pytest.skip(reason)
    return url


@pytest.fixture
def pg_url() -> str:
    """URL of the PostgreSQL test database (127.0.0.1:5432/test)."""
    return service_or_skip(PG_URL)


@pytest.fixture
def mariadb_url() -> str:
    """URL of the MariaDB test database (127.0.0.1:3306/test)."""
    return service_or_skip(MARIADB_URL)


@pytest.fixture
def repo() -> Path:
    """The repository root (holds the demo plans and notebooks)."""
    return REPO


# --- the demo project ------------------------------------------------------------------------------------


def new_demo(folder: Path) -> Path:
    """``csnb demo`` in ``folder``: three clients, a SQLite warehouse, as_of pinned to 2026-10-15."""
    for _ in build_demo(folder):  # a generator of progress lines
        pass
    return folder


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project, built once per worker process: read it only (``fresh_demo`` is for writing)."""
    return new_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def fresh_demo(tmp_path: Path) -> Path:
    """A demo project of this test's own, to write into (it has no notebooks/ folder)."""
    return new_demo(tmp_path / "demo")


@pytest.fixture(scope="session")
def executed() -> nbformat.NotebookNode:
    """The hazardous report-like notebook of ``hazards``, executed once (it starts a kernel: slow)."""
    from hazards import execute, report_notebook

    return execute(report_notebook())


# --- stores ----------------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a new, empty SQLite store."""
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """URL of a new, empty schema of its own on the PostgreSQL test server (dropped afterwards)."""
    schema = f"csnb_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{pg_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def store_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty store: a SQLite file, or a schema of its own on the PostgreSQL test server."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_schema_url")


# --- mail ------------------------------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[tuple]:
    """A real SMTP server on 127.0.0.1 that records what it receives; yields (recorder, port)."""
    from mailkit import Recorder, smtp_server  # needs aiosmtpd, which only the mail tests use

    port = free_port()
    with smtp_server(Recorder(), port) as recorder:
        yield recorder, port
