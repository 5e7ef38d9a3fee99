"""Shared fixtures: paths, a fresh project folder, and reachability of the test database servers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("CSNB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("CSNB_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


def service_or_skip(url: str) -> str:
    """Return ``url`` if its server answers; skip the test otherwise (fail under CSNB_REQUIRE_SERVICES=1)."""
    from sqlalchemy import create_engine, text

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
