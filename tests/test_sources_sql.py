"""The ``sql`` source against real PostgreSQL and MariaDB servers (skipped when they are unreachable)."""

from __future__ import annotations

import datetime as dt
import pickle
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import builders
import pandas as pd
import pytest
from builders import error_for, plan_in, values
from sqlalchemy import create_engine, text

from csnb.errors import SourceError
from csnb.plan import Plan
from csnb.sources import pull

pytestmark = pytest.mark.services

ROWS = [  # client, metric, day, value, segment
    ("acme", "calls", dt.date(2026, 9, 3), Decimal("30.25"), "eu"),
    ("acme", "calls", dt.date(2026, 9, 1), Decimal("10"), "eu"),
    ("acme", "calls", dt.date(2026, 9, 2), Decimal("20"), "eu"),
    ("acme", "minutes", dt.date(2026, 9, 1), Decimal("600"), "eu"),
    ("acme", "minutes", dt.date(2026, 9, 1), Decimal("550"), "us"),
    ("globex", "calls", dt.date(2026, 9, 1), Decimal("99"), "eu"),
    ("o'brien", "calls", dt.date(2026, 9, 1), Decimal("7"), "eu"),
]


@pytest.fixture(params=["pg_url", "mariadb_url"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The URL of each test server in turn."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def table(db_url: str) -> Iterator[str]:
    """A uniquely named table of ROWS on the server, dropped afterwards."""
    name = f"csnb_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE {name} (client VARCHAR(40), metric VARCHAR(40), day DATE, "
                "value NUMERIC(12, 2), segment VARCHAR(10), note VARCHAR(40))"
            )
        )
        conn.execute(
            text(
                f"INSERT INTO {name} (client, metric, day, value, segment, note) "
                "VALUES (:c, :m, :d, :v, :s, 'n/a')"
            ),
            [dict(zip("cmdvs", row, strict=True)) for row in ROWS],
        )
    yield name
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {name}"))
    engine.dispose()


def metric(metric_id: str, query: str, **fields) -> dict:
    """A metric of the ``db`` source."""
    return builders.metric(metric_id, source="db", query=query, **fields)


def db_plan(url: str, *metrics: dict, client: str = "acme", tz: str = "UTC", **source) -> Plan:
    """A plan with one ``db`` source at ``url``; the client is built unchecked so ids like o'brien work."""
    return plan_in(
        Path(__file__).parent, {"db": {"kind": "sql", "url": url, **source}}, list(metrics), client, tz
    )


def by_metric(table: str) -> str:
    """A query for one metric of one client of ``table``."""
    return f"SELECT day AS date, value FROM {table} WHERE client = :client AND metric = :metric"


def test_server_rows_become_a_typed_sorted_tidy_frame(db_url, table):
    segmented = f"SELECT day AS date, value, segment FROM {table} WHERE client = :client AND metric = :metric"
    obs = pull(db_plan(db_url, metric("minutes", segmented), metric("calls", by_metric(table))))
    assert obs.ok
    assert list(obs.frame.columns) == ["client", "metric", "date", "value", "segment"]
    assert obs.frame["date"].dtype == "datetime64[ns]" and obs.frame["value"].dtype == "float64"
    assert pd.api.types.is_string_dtype(obs.frame["client"])
    assert obs.frame[["metric", "date", "value"]].astype(str).values.tolist() == [
        ["calls", "2026-09-01", "10.0"],
        ["calls", "2026-09-02", "20.0"],
        ["calls", "2026-09-03", "30.25"],
        ["minutes", "2026-09-01", "600.0"],
        ["minutes", "2026-09-01", "550.0"],
    ]
    assert obs.freshness.to_dict("records")[1] == {
        "source": "db",
        "metric": "calls",
        "newest": dt.date(2026, 9, 3),
        "rows": 3,
    }


def test_quoted_client_id_is_bound_and_cannot_inject(db_url, table):
    assert values(pull(db_plan(db_url, metric("calls", by_metric(table)), client="o'brien")), "calls") == [
        7.0
    ]
    obs = pull(db_plan(db_url, metric("calls", by_metric(table)), client="x' OR '1'='1"))
    assert obs.ok and obs.frame.empty


def test_start_and_end_are_bound_as_dates(db_url, table):
    query = by_metric(table) + " AND day BETWEEN :start AND :end"
    obs = pull(db_plan(db_url, metric("calls", query)), start=dt.date(2026, 9, 2), end=dt.date(2026, 9, 3))
    assert values(obs, "calls") == [20.0, 30.25]


def test_bad_metrics_fail_alone_on_the_shared_connection(db_url, table):
    obs = pull(
        db_plan(
            db_url,
            metric("missing_table", "SELECT day AS date, value FROM no_such_table_here"),
            metric("wrong_columns", f"SELECT day, value FROM {table} WHERE metric = :metric"),
            metric("text_values", f"SELECT day AS date, note AS value FROM {table} WHERE metric = 'calls'"),
            metric("duplicated", f"SELECT day AS date, value FROM {table} WHERE metric = 'minutes'"),
            metric("calls", by_metric(table)),
        )
    )
    assert "the query failed:" in error_for(obs, "missing_table").detail
    assert "no_such_table_here" in error_for(obs, "missing_table").detail
    assert "no column 'date'" in error_for(obs, "wrong_columns").detail
    assert "non-numeric values in 5 rows, e.g. 'n/a'" in error_for(obs, "text_values").detail
    assert "more than one value per date" in error_for(obs, "duplicated").detail
    assert {(e.client, e.source) for e in obs.errors} == {("acme", "db")}
    # a failed statement aborts a PostgreSQL transaction; the next metric must still run
    assert values(obs, "calls") == [10.0, 20.0, 30.25]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("server", "sleep"),
    [("pg_url", "SELECT pg_sleep(5) IS NULL AS x"), ("mariadb_url", "SELECT SLEEP(5) AS x")],
)
def test_statement_timeout_stops_a_slow_query(request, server, sleep):
    url = request.getfixturevalue(server)
    slow = f"SELECT CURRENT_DATE AS date, 1 AS value FROM ({sleep}) AS slow"
    plan = db_plan(
        url, metric("slow", slow), metric("quick", "SELECT CURRENT_DATE AS date, 2 AS value"), timeout=1
    )
    obs = pull(plan)
    assert "longer than the source's timeout (1 s)" in error_for(obs, "slow").detail
    assert values(obs, "quick") == [2.0]


def test_password_from_the_environment_never_appears_in_errors(pg_url, mariadb_url):
    # PostgreSQL trusts the test client whatever its password; MariaDB's root refuses one
    pg = pg_url.replace("postgres@", "postgres:${DB_PASSWORD}@")
    maria = mariadb_url.replace("root@", "root:${DB_PASSWORD}@")
    for url, expected in [(pg, "the query failed:"), (maria, "cannot connect to")]:
        obs = pull(
            db_plan(url, metric("calls", "SELECT nope FROM no_such_table")),
            env={"DB_PASSWORD": "CANARY-pw-123"},
        )
        err = error_for(obs, "calls")
        assert expected in err.detail
        for shown in (str(err), repr(err), str(pickle.loads(pickle.dumps(err)))):
            assert "CANARY-pw-123" not in shown


def test_timestamps_are_dates_in_the_plan_time_zone(pg_url):
    query = (
        "SELECT TIMESTAMPTZ '2026-09-01 23:30:00+00' AS date, 1 AS value "
        "UNION ALL SELECT TIMESTAMPTZ '2026-09-03 08:00:00+00', 2"
    )
    obs = pull(db_plan(pg_url, metric("calls", query), tz="Asia/Tokyo"))
    assert obs.frame["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-09-02", "2026-09-03"]


def test_errors_from_a_server_survive_pickling(pg_url):
    obs = pull(db_plan(pg_url, metric("calls", "SELECT 1 FROM no_such_table")))
    [err] = obs.errors
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), str(copy), copy.metric, copy.source) == (SourceError, str(err), "calls", "db")
