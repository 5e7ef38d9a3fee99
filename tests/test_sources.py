"""Pulling metric data from SQLite, CSV and Parquet sources, and how every failure is reported."""

from __future__ import annotations

import datetime as dt
import pickle
import sqlite3
import textwrap
from pathlib import Path

import builders
import pandas as pd
import pytest
from builders import error_for, plan_in, values

from csnb.errors import InputError, SourceError
from csnb.plan import Plan, load_plan
from csnb.sources import pull, registry
from csnb.sources.base import MetricSource
from csnb.sources.files import CsvSource

ROWS = [  # client, metric, day, value, segment
    ("acme", "calls", "2026-09-03", 30, "eu"),
    ("acme", "calls", "2026-09-01", 10, "eu"),
    ("acme", "calls", "2026-09-02 13:45:00", 20, "eu"),
    ("acme", "minutes", "2026-09-01", 600.5, "eu"),
    ("acme", "minutes", "2026-09-02", 550, "us"),
    ("globex", "calls", "2026-09-01", 99, "eu"),
    ("o'brien", "calls", "2026-09-01", 7, "eu"),
    ("acme", "text_values", "2026-09-01", "lots", "eu"),
    ("acme", "bad_dates", "yesterday", 1, "eu"),
    ("acme", "twice", "2026-09-01", 1, "eu"),
    ("acme", "twice", "2026-09-01", 2, "us"),
]
BY_METRIC = "SELECT day AS date, value FROM metrics WHERE client = :client AND metric = :metric"


def metric(metric_id: str, source: str = "warehouse", **fields) -> dict:
    """A metric of the plan's ``source`` (the rest as ``builders.metric`` makes it)."""
    return builders.metric(metric_id, source=source, **fields)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A SQLite warehouse with a ``metrics`` table of ROWS."""
    path = tmp_path / "warehouse.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metrics (client TEXT, metric TEXT, day TEXT, value, segment TEXT)")
        db.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?)", ROWS)
    return path


def sql_plan(folder: Path, *metrics: dict, client: str = "acme", **source) -> Plan:
    """A plan whose ``warehouse`` source is the SQLite file in ``folder``."""
    return plan_in(
        folder,
        {"warehouse": {"kind": "sql", "url": "sqlite:///warehouse.db", **source}},
        list(metrics),
        client=client,
    )


# -- the tidy frame ---------------------------------------------------------------------------------


def test_sql_pull_returns_a_tidy_frame_sorted_by_client_metric_date(warehouse):
    plan = sql_plan(warehouse.parent, metric("minutes", query=BY_METRIC), metric("calls", query=BY_METRIC))
    obs = pull(plan)
    assert obs.ok and obs.errors == []
    assert list(obs.frame.columns) == ["client", "metric", "date", "value"]
    assert pd.api.types.is_string_dtype(obs.frame["client"]) and pd.api.types.is_string_dtype(
        obs.frame["metric"]
    )
    assert obs.frame["date"].dtype == "datetime64[ns]" and obs.frame["value"].dtype == "float64"
    assert obs.frame[["metric", "date"]].astype(str).values.tolist() == [
        ["calls", "2026-09-01"],
        ["calls", "2026-09-02"],
        ["calls", "2026-09-03"],
        ["minutes", "2026-09-01"],
        ["minutes", "2026-09-02"],
    ]
    assert (obs.frame["date"] == obs.frame["date"].dt.normalize()).all()  # 13:45 became midnight
    assert values(obs, "minutes") == [600.5, 550.0]


def test_freshness_gives_newest_date_and_row_count_per_metric_and_source(warehouse):
    obs = pull(
        sql_plan(warehouse.parent, metric("calls", query=BY_METRIC), metric("minutes", query=BY_METRIC))
    )
    assert obs.freshness.to_dict("records") == [
        {"source": "warehouse", "metric": "calls", "newest": dt.date(2026, 9, 3), "rows": 3},
        {"source": "warehouse", "metric": "minutes", "newest": dt.date(2026, 9, 2), "rows": 2},
    ]


def test_relative_sqlite_path_is_read_from_the_plan_folder(warehouse, tmp_path, monkeypatch):
    (tmp_path / "parameters").mkdir()
    plan_file = tmp_path / "parameters" / "acme.yaml"
    plan_file.write_text(
        textwrap.dedent(f"""\
        client: {{id: acme, name: Acme Logistics}}
        people: [{{id: dana, name: Dana Ortiz, side: provider, role: CSM}}]
        sources:
          warehouse: {{kind: sql, url: "${{WAREHOUSE_URL:-sqlite:///../warehouse.db}}"}}
        metrics:
          - id: calls
            name: Calls
            kind: lag
            source: warehouse
            query: "{BY_METRIC}"
            baseline: {{value: 0, date: 2026-09-01}}
            target: {{value: 100, date: 2026-12-01}}
        """)
    )
    plan = load_plan(plan_file, env={})
    monkeypatch.chdir("/")  # the working folder must not matter
    assert values(pull(plan, env={}), "calls") == [10.0, 20.0, 30.0]


def test_segment_column_is_kept_and_dates_may_repeat_across_segments(warehouse):
    query = "SELECT day AS date, value, segment FROM metrics WHERE client = :client AND metric = :metric"
    obs = pull(sql_plan(warehouse.parent, metric("twice", query=query), metric("calls", query=BY_METRIC)))
    assert obs.ok
    assert list(obs.frame.columns) == ["client", "metric", "date", "value", "segment"]
    twice = obs.frame[obs.frame["metric"] == "twice"]
    assert twice[["segment", "value"]].values.tolist() == [["eu", 1.0], ["us", 2.0]]


def test_source_columns_map_other_column_names(warehouse):
    query = "SELECT day, value AS amount FROM metrics WHERE client = :client AND metric = :metric"
    plan = sql_plan(
        warehouse.parent, metric("calls", query=query), columns={"date": "day", "value": "amount"}
    )
    assert values(pull(plan), "calls") == [10.0, 20.0, 30.0]


# -- parameters -------------------------------------------------------------------------------------


def test_client_id_with_a_quote_is_bound_and_cannot_inject(warehouse):
    plan = sql_plan(warehouse.parent, metric("calls", query=BY_METRIC), client="o'brien")
    assert values(pull(plan), "calls") == [7.0]
    injected = sql_plan(warehouse.parent, metric("calls", query=BY_METRIC), client="x' OR '1'='1")
    obs = pull(injected)
    assert obs.ok and obs.frame.empty  # the whole string is one value, not SQL


def test_metric_parameter_is_the_series_name_when_given(warehouse):
    obs = pull(sql_plan(warehouse.parent, metric("call_volume", series="calls", query=BY_METRIC)))
    assert values(obs, "call_volume") == [10.0, 20.0, 30.0]


def test_only_the_parameters_a_query_names_are_bound(warehouse):
    no_params = "SELECT day AS date, value FROM metrics WHERE client = 'globex'"
    unknown = "SELECT day AS date, value FROM metrics WHERE client = :customer"
    obs = pull(sql_plan(warehouse.parent, metric("calls", query=no_params), metric("minutes", query=unknown)))
    assert values(obs, "calls") == [99.0]
    assert ":customer" in error_for(obs, "minutes").detail


def test_start_and_end_are_bound_and_also_applied_to_the_rows(warehouse):
    ranged = BY_METRIC + " AND day >= :start AND day <= :end"
    plan = sql_plan(warehouse.parent, metric("calls", query=ranged), metric("minutes", query=BY_METRIC))
    obs = pull(plan, start=dt.date(2026, 9, 2), end=dt.date(2026, 9, 2))
    # 2026-09-02 13:45 is after the bound end as text, so the query drops it: SQL decides what it returns
    assert values(obs, "calls") == []
    assert values(obs, "minutes") == [550.0]  # no :start/:end in the query: filtered after the pull
    obs = pull(plan, start=dt.date(2026, 9, 2))
    assert values(obs, "calls") == [20.0, 30.0]


def test_start_after_end_is_an_input_error(warehouse):
    with pytest.raises(InputError, match="after the end"):
        pull(
            sql_plan(warehouse.parent, metric("calls", query=BY_METRIC)),
            start=dt.date(2026, 9, 3),
            end=dt.date(2026, 9, 1),
        )


# -- errors: each one names client, metric and source; the other metrics still come back -------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT day AS when_, value FROM metrics WHERE metric = 'calls'", "no column 'date'"),
        (BY_METRIC.replace(":metric", "'text_values'"), "non-numeric values in 1 row, e.g. 'lots'"),
        (
            BY_METRIC.replace(":metric", "'bad_dates'"),
            "unparseable or missing dates in 1 row, e.g. 'yesterday'",
        ),
        (
            BY_METRIC.replace(":metric", "'twice'"),
            "more than one value per date in 2 rows, e.g. '2026-09-01'",
        ),
        ("SELECT day AS date, value FROM no_such_table", "the query failed: no such table: no_such_table"),
        ("DELETE FROM metrics WHERE 1 = 0", "the query returns no rows"),
    ],
)
def test_a_bad_metric_becomes_a_source_error_and_the_others_still_come_back(warehouse, query, expected):
    obs = pull(sql_plan(warehouse.parent, metric("broken", query=query), metric("calls", query=BY_METRIC)))
    err = error_for(obs, "broken")
    assert (err.client, err.metric, err.source) == ("acme", "broken", "warehouse")
    assert expected in err.detail
    assert str(err).startswith("client acme, metric broken, source warehouse: ")
    assert values(obs, "calls") == [10.0, 20.0, 30.0]
    assert obs.freshness["metric"].tolist() == ["calls"]


def test_missing_sqlite_file_fails_every_metric_of_that_source_only(warehouse, tmp_path):
    plan = plan_in(
        tmp_path,
        {
            "warehouse": {"kind": "sql", "url": "sqlite:///warehouse.db"},
            "gone": {"kind": "sql", "url": "sqlite:///gone/old.db"},
        },
        [
            metric("calls", query=BY_METRIC),
            metric("a", "gone", query=BY_METRIC),
            metric("b", "gone", query=BY_METRIC),
        ],
    )
    obs = pull(plan)
    assert [(e.metric, e.source) for e in obs.errors] == [("a", "gone"), ("b", "gone")]
    assert "SQLite database file not found" in obs.errors[0].detail
    assert not (tmp_path / "gone").exists()  # nothing was created
    assert values(obs, "calls") == [10.0, 20.0, 30.0]


@pytest.mark.timeout(60)  # unstopped, the query runs for minutes; bench_timeouts.py times the stop
def test_sqlite_timeout_stops_a_slow_query_and_the_next_metric_still_runs(warehouse):
    slow = (
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000000) "
        "SELECT '2026-09-01' AS date, max(x) AS value FROM n"
    )
    plan = sql_plan(
        warehouse.parent, metric("slow", query=slow), metric("calls", query=BY_METRIC), timeout=0.5
    )
    obs = pull(plan)
    assert "longer than the source's timeout (0.5 s)" in error_for(obs, "slow").detail
    assert values(obs, "calls") == [10.0, 20.0, 30.0]


def test_unknown_kind_and_unset_environment_variable_are_source_errors(warehouse, tmp_path):
    plan = plan_in(
        tmp_path,
        {
            "warehouse": {"kind": "sql", "url": "sqlite:///warehouse.db"},
            "crm": {"kind": "salesforce-not-installed"},
            "other": {"kind": "sql", "url": "${OTHER_WAREHOUSE_URL}"},
        },
        [
            metric("calls", query=BY_METRIC),
            metric("deals", "crm"),
            metric("tickets", "other", query="SELECT 1"),
        ],
    )
    obs = pull(plan, env={})
    assert "unknown source kind 'salesforce-not-installed'" in error_for(obs, "deals").detail
    assert "environment variable OTHER_WAREHOUSE_URL is not set" in error_for(obs, "tickets").detail
    assert values(obs, "calls") == [10.0, 20.0, 30.0]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres:${DB_PASSWORD}@127.0.0.1:1/test",
        "mysql+pymysql://root:${DB_PASSWORD}@127.0.0.1:1/test",
    ],
)
def test_a_password_never_appears_in_an_error(tmp_path, url):
    plan = plan_in(
        tmp_path, {"db": {"kind": "sql", "url": url, "timeout": 3}}, [metric("calls", "db", query=BY_METRIC)]
    )
    obs = pull(plan, env={"DB_PASSWORD": "CANARY-pw-123"})
    err = error_for(obs, "calls")
    assert "cannot connect to" in err.detail and ":***@127.0.0.1:1/test" in err.detail
    assert "CANARY-pw-123" not in str(err) + repr(err) + repr(pickle.loads(pickle.dumps(err)))
    assert err.__cause__ is None and err.__context__ is None


def test_a_url_from_the_environment_never_appears_in_an_error(tmp_path):
    secret_url = "postgresql+psycopg://reporter:CANARY-env-456@127.0.0.1:1/warehouse?application_name=csnb"
    plan = plan_in(
        tmp_path,
        {"db": {"kind": "sql", "url": "${WAREHOUSE_URL}", "timeout": 3}},
        [metric("calls", "db", query=BY_METRIC)],
    )
    err = error_for(pull(plan, env={"WAREHOUSE_URL": secret_url}), "calls")
    assert secret_url not in str(err) and "CANARY-env-456" not in str(err)
    assert (err.client, err.metric, err.source) == ("acme", "calls", "db")


def test_source_errors_survive_pickling(warehouse):
    obs = pull(sql_plan(warehouse.parent, metric("broken", query="SELECT 1 AS date")))
    [err] = obs.errors
    copy = pickle.loads(pickle.dumps(err))
    assert isinstance(copy, SourceError)
    assert (copy.client, copy.metric, copy.source, copy.detail, str(copy)) == (
        err.client,
        err.metric,
        err.source,
        err.detail,
        str(err),
    )


def test_one_connection_per_source_per_pull(warehouse):
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    connects = []

    def count(*_args):
        connects.append(1)

    event.listen(Pool, "connect", count)
    try:
        obs = pull(
            sql_plan(warehouse.parent, *(metric(m, query=BY_METRIC) for m in ("calls", "minutes", "twice")))
        )
    finally:
        event.remove(Pool, "connect", count)
    assert len(connects) == 1
    assert "twice" in {e.metric for e in obs.errors}  # duplicated dates: an error, not a second connection


# -- files -----------------------------------------------------------------------------------------


def write_table(folder: Path, name: str, rows: list[tuple], columns: list[str]) -> Path:
    """Write rows as CSV or Parquet, by the suffix of ``name``."""
    frame = pd.DataFrame(rows, columns=columns)
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def file_plan(folder: Path, kind: str, path: str, *metrics: dict, **source) -> Plan:
    """A plan whose ``files`` source reads ``path``."""
    return plan_in(folder, {"files": {"kind": kind, "path": path, **source}}, list(metrics))


@pytest.mark.parametrize("name", ["data/metrics.csv", "data/metrics.parquet"])
def test_file_rows_are_filtered_to_the_client_and_the_metric(tmp_path, name):
    rows = [
        (c, m, d, str(v) if name.endswith("csv") else float(v), s)
        for c, m, d, v, s in ROWS
        if m in ("calls", "minutes")
    ]
    write_table(tmp_path, name, rows, ["client", "metric", "date", "value", "segment"])
    kind = name.rsplit(".", 1)[1]
    plan = file_plan(
        tmp_path,
        kind,
        "${DATA_DIR:-data}/" + name.split("/")[1],
        metric("calls", "files"),
        metric("handling", "files", series="minutes"),
    )
    obs = pull(plan, env={})
    assert obs.ok
    assert list(obs.frame.columns) == ["client", "metric", "date", "value", "segment"]
    assert values(obs, "calls") == [10.0, 20.0, 30.0]
    assert values(obs, "handling") == [600.5, 550.0]
    assert obs.frame["date"].dtype == "datetime64[ns]" and obs.frame["value"].dtype == "float64"
    assert obs.freshness["rows"].tolist() == [3, 2]


def test_a_file_without_client_and_metric_columns_is_one_series(tmp_path):
    write_table(tmp_path, "calls.csv", [("2026-09-01", "5"), ("2026-09-02", "")], ["day", "count"])
    plan = file_plan(
        tmp_path, "csv", "calls.csv", metric("calls", "files"), columns={"date": "day", "value": "count"}
    )
    obs = pull(plan)
    assert obs.frame[["date", "value"]].astype(str).values.tolist() == [
        ["2026-09-01", "5.0"]
    ]  # blank: no data


def test_csv_keeps_leading_zeros_in_client_ids_and_reads_a_byte_order_mark(tmp_path):
    (tmp_path / "m.csv").write_text("\ufeffclient;date;value\n007;2026-09-01;1,5\n", encoding="utf-8")
    plan = plan_in(
        tmp_path,
        {"files": {"kind": "csv", "path": "m.csv", "options": {"sep": ";"}}},
        [metric("calls", "files")],
        client="007",
    )
    obs = pull(plan)
    # the message names the row, never its content: a file's data is not quoted in errors
    detail = error_for(obs, "calls").detail
    assert "non-numeric values in 1 row (data row 1)" in detail and "1,5" not in detail


def test_each_file_is_read_once_per_pull(tmp_path, monkeypatch):
    write_table(
        tmp_path,
        "m.csv",
        [("calls", "2026-09-01", 1), ("minutes", "2026-09-01", 2)],
        ["metric", "date", "value"],
    )
    reads = []
    original = CsvSource.read
    monkeypatch.setattr(CsvSource, "read", lambda self, path: reads.append(path) or original(self, path))
    obs = pull(file_plan(tmp_path, "csv", "m.csv", metric("calls", "files"), metric("minutes", "files")))
    assert values(obs, "calls") == [1.0] and values(obs, "minutes") == [2.0]
    assert len(reads) == 1


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([("calls", "2026-09-01", "many")], "non-numeric values"),
        ([("calls", "01.09.2026x", "1")], "unparseable or missing dates"),
        ([("calls", "2026-09-01", "1"), ("calls", "2026-09-01T08:00", "2")], "more than one value per date"),
    ],
)
def test_bad_file_rows_are_source_errors_for_that_metric_only(tmp_path, rows, expected):
    write_table(tmp_path, "m.csv", rows + [("minutes", "2026-09-01", "3")], ["metric", "date", "value"])
    obs = pull(file_plan(tmp_path, "csv", "m.csv", metric("calls", "files"), metric("minutes", "files")))
    err = error_for(obs, "calls")
    assert expected in err.detail and (err.client, err.source) == ("acme", "files")
    assert values(obs, "minutes") == [3.0]


def test_missing_file_and_wrong_column_mapping_are_source_errors(tmp_path):
    write_table(tmp_path, "m.csv", [("2026-09-01", "1")], ["date", "value"])
    plan = plan_in(
        tmp_path,
        {
            "missing": {"kind": "parquet", "path": "${DATA_DIR}/nope.parquet"},
            "mapped": {"kind": "csv", "path": "m.csv", "columns": {"value": "amount"}},
        },
        [metric("a", "missing"), metric("b", "mapped")],
    )
    obs = pull(plan, env={"DATA_DIR": str(tmp_path / "private-data-dir")})
    assert error_for(obs, "a").detail.startswith("file not found: ${DATA_DIR}/nope.parquet")
    assert "private-data-dir" not in str(error_for(obs, "a"))
    # the columns are counted, not named: a header row is file content too
    assert "no column 'amount' for value (it has: 2 columns); fix the source's `columns`" in (
        error_for(obs, "b").detail
    )


def test_timestamps_with_offsets_become_dates_in_the_plan_time_zone(tmp_path):
    stamps = pd.to_datetime(["2026-09-01T23:30:00Z", "2026-09-02T10:00:00Z"], utc=True)
    pd.DataFrame({"date": stamps, "value": [1.0, 2.0]}).to_parquet(tmp_path / "m.parquet")
    plan = plan_in(
        tmp_path,
        {"files": {"kind": "parquet", "path": "m.parquet"}},
        [metric("calls", "files")],
        tz="Europe/Berlin",
    )
    obs = pull(plan)
    # 23:30 UTC is already the next day in Berlin, so both readings land on 2 September
    assert "more than one value per date in 2 rows, e.g. '2026-09-02'" in error_for(obs, "calls").detail


# -- the registry ----------------------------------------------------------------------------------


class ConstantSource(MetricSource):
    """A test source: every metric is 1.0 on the first of September."""

    kind = "test-constant"

    def fetch(self, metric, start, end):
        """One row, whatever the metric."""
        return pd.DataFrame({"date": ["2026-09-01"], "value": [1]})


def test_a_new_kind_is_one_class_and_one_register_line(tmp_path):
    registry.register("test-constant", ConstantSource)
    assert "test-constant" in registry.kinds() and {"sql", "csv", "parquet"} <= set(registry.kinds())
    obs = pull(plan_in(tmp_path, {"const": {"kind": "test-constant"}}, [metric("calls", "const")]))
    assert values(obs, "calls") == [1.0]


def test_an_empty_pull_still_has_typed_columns(tmp_path):
    obs = pull(plan_in(tmp_path, {}, []))
    assert obs.ok and obs.frame.empty and obs.freshness.empty
    assert dict(obs.frame.dtypes.astype(str)) == {
        "client": "str",
        "metric": "str",
        "date": "datetime64[ns]",
        "value": "float64",
    }
