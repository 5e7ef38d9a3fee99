"""The ``sql`` source: each metric's query on any SQLAlchemy URL, with bound parameters and timeouts."""

from __future__ import annotations

import datetime as dt
import math
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from csnb.deadline import time_left
from csnb.errors import SourceError
from csnb.plan.models import Metric
from csnb.sources.base import MetricSource, first_line
from csnb.sources.tidy import pick_columns

# The only parameters a metric's query may name; each is bound, never formatted into the SQL.
PARAMETERS = ("client", "metric", "start", "end")
# SQLSTATE / error numbers that mean "stopped by the statement timeout" (PostgreSQL, MariaDB, MySQL).
TIMEOUT_CODES = {"57014", 1969, 3024}
EXTRAS = {"postgresql": "csnb[postgres]", "mysql": "csnb[mysql]", "mariadb": "csnb[mysql]"}


class SqlSource(MetricSource):
    """Runs each metric's ``query`` on the source's SQLAlchemy URL over one connection per pull."""

    kind = "sql"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._engine: Any = None
        self._conn: Any = None
        self._interrupted = False
        self._deadline_first = False  # the report's deadline, not the source's timeout, limits the query

    # -- connection -------------------------------------------------------------------------------

    def url(self) -> Any:
        """The resolved ``sqlalchemy.URL``; relative SQLite paths are read from the plan's folder."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        if not self.spec.url:
            raise SourceError("a sql source needs `url`, an SQLAlchemy URL such as ${CSNB_WAREHOUSE_URL}")
        try:
            url = make_url(self.resolve(self.spec.url))
        except (ArgumentError, ValueError):
            raise SourceError(
                "`url` is not an SQLAlchemy URL (dialect+driver://user@host:port/database)"
            ) from None
        self.redact.add(url.password)
        return self._sqlite_file(url) if url.get_backend_name() == "sqlite" else url

    def files(self) -> list[Path]:
        """The SQLite database file this source reads, if it is one; a server is reached by the worker."""
        url = self.url()
        return (
            [Path(url.database)]
            if url.get_backend_name() == "sqlite" and Path(url.database or "").is_file()
            else []
        )

    def _sqlite_file(self, url: Any) -> Any:
        db = url.database or ""
        if not db or db == ":memory:" or db.startswith("file:") or url.query.get("uri"):
            return url
        path = Path(db) if Path(db).is_absolute() else (self.plan_folder() / db).resolve()
        if not path.is_file():
            # SQLite would create an empty database and fail later with a puzzling "no such table"
            raise SourceError(
                f"SQLite database file not found: {path}; check `url` (relative paths start "
                "at the plan's folder)"
            )
        return url.set(database=str(path))

    def _connect_args(self, url: Any) -> dict[str, Any]:
        seconds = self.spec.timeout
        backend, driver = url.get_backend_name(), url.get_driver_name()
        if backend == "sqlite":
            return {"timeout": seconds}  # how long to wait for another writer's lock
        if backend == "postgresql" and driver in ("psycopg", "psycopg2"):
            options = " ".join(
                filter(
                    None,
                    [str(url.query.get("options", "")), f"-c statement_timeout={math.ceil(seconds * 1000)}"],
                )
            )
            return {"connect_timeout": max(2, math.ceil(seconds)), "options": options}
        if backend in ("mysql", "mariadb") and driver in ("pymysql", "mysqldb"):
            # the socket timeout is a backstop: the server-side limit set on connect fires first
            return {"connect_timeout": max(1, math.ceil(seconds)), "read_timeout": math.ceil(seconds) + 2}
        return {}

    def _mysql_statement_limit(self, dbapi_conn: Any, _record: Any) -> None:
        _mysql_limit(dbapi_conn, self.spec.timeout)

    def _limit(self) -> float:
        """Seconds a query may run: the source's timeout, or less when the report's deadline comes first."""
        left = time_left()
        self._deadline_first = left is not None and left < self.spec.timeout
        if left is not None and left <= 0:
            raise SourceError("the report's time limit ran out before the query ran")
        return min(self.spec.timeout, left) if left is not None else self.spec.timeout

    def _limit_on_server(self, seconds: float) -> None:
        """Make the server stop the next query after ``seconds``: it is the report's deadline."""
        dialect = self._conn.dialect.name
        if dialect == "postgresql":  # for this transaction only; the source's own limit comes back after it
            from sqlalchemy import text

            ms = str(max(1, math.ceil(seconds * 1000)))
            self._conn.execute(text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": ms})
        elif dialect in ("mysql", "mariadb"):
            _mysql_limit(self._conn.connection.driver_connection, seconds)

    def open(self) -> None:
        """Create the engine and the one connection every metric of this source shares."""
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import NullPool

        url = self.url()
        try:
            self._engine = create_engine(url, poolclass=NullPool, connect_args=self._connect_args(url))
        except ImportError as exc:
            extra = EXTRAS.get(url.get_backend_name())
            hint = f"pip install '{extra}'" if extra else "install the database driver"
            raise SourceError(f"the database driver is not installed ({first_line(exc)}); {hint}") from None
        if url.get_backend_name() in ("mysql", "mariadb"):
            event.listen(self._engine, "connect", self._mysql_statement_limit)
        try:
            self._conn = self._engine.connect()
        except Exception as exc:  # noqa: BLE001 - every driver raises its own kind
            where = url.render_as_string(hide_password=True)
            raise SourceError(
                f"cannot connect to {where}: {_message(getattr(exc, 'orig', None) or exc)}; "
                "check the URL, the network and that the server is running"
            ) from None

    def close(self) -> None:
        """Close the connection and dispose of the engine."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- queries ----------------------------------------------------------------------------------

    def statement(self, metric: Metric, start: dt.date, end: dt.date) -> Any:
        """The metric's query as ``sqlalchemy.text`` with only the parameters it names bound."""
        from sqlalchemy import Date, String, bindparam, text

        if not metric.query:
            raise SourceError("the metric has no `query`; write one returning `date` and `value` columns")
        stmt = text(metric.query)
        names = list(stmt.compile().params)
        unknown = [n for n in names if n not in PARAMETERS]
        if unknown:
            raise SourceError(
                f"the query names :{', :'.join(unknown)}, which csnb does not bind; "
                "use :client, :metric, :start and :end only"
            )
        values = {
            "client": (self.plan.client.id, String()),
            "metric": (self.series(metric), String()),
            "start": (start, Date()),
            "end": (end, Date()),
        }
        return stmt.bindparams(*(bindparam(n, values[n][0], type_=values[n][1]) for n in names))

    @contextmanager
    def _deadline(self, seconds: float):
        """On SQLite, abort the running statement after ``seconds`` (SQLite has no server-side limit)."""
        raw = self._conn.connection.driver_connection if self._conn.dialect.name == "sqlite" else None
        if raw is None:
            yield
            return
        deadline = time.monotonic() + seconds

        def abort() -> int:
            self._interrupted = time.monotonic() > deadline
            return int(self._interrupted)

        raw.set_progress_handler(abort, 10_000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)

    def fetch(self, metric: Metric, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Run the metric's query; its rows as ``date``, ``value`` and optional ``segment``."""
        stmt = self.statement(metric, start, end)
        seconds = self._limit()
        began, self._interrupted = time.monotonic(), False
        try:
            with self._deadline(seconds):
                if self._deadline_first:
                    self._limit_on_server(seconds)
                result = self._conn.execute(stmt)
                if not result.returns_rows:
                    raise SourceError(
                        "the query returns no rows; write a SELECT returning `date` and `value`"
                    )
                raw = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated into a message a person can act on
            raise SourceError(self.describe(exc, time.monotonic() - began)) from None
        finally:
            self._end_transaction()
        return pick_columns(raw, self.spec.columns, ("date", "value"), ("segment",), "the query")

    def _end_transaction(self) -> None:
        # a failed statement leaves PostgreSQL's transaction aborted; roll back so the next metric runs
        try:
            self._conn.rollback()
        except Exception:  # noqa: BLE001, S110 - a lost connection is reported by the next query
            pass

    def describe(self, exc: Exception, elapsed: float = 0.0) -> str:
        """A short message for a database error: timeout, lost connection or a failing query."""
        from sqlalchemy.exc import DBAPIError, OperationalError

        orig = getattr(exc, "orig", None) or exc
        stopped = (
            self._interrupted
            or _error_code(orig) in TIMEOUT_CODES
            or (isinstance(exc, OperationalError) and elapsed >= self.spec.timeout)
        )
        if stopped and self._deadline_first:
            return "the report's time limit (csnb run --timeout) ran out while the query ran; it was stopped"
        if stopped:
            return (
                f"the query ran longer than the source's timeout ({self.spec.timeout:g} s) and was stopped; "
                "make it faster (an index, a narrower date range) or raise the source's `timeout`"
            )
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return f"the database connection was lost: {_message(orig)}; check the network and the server"
        return f"the query failed: {_message(orig)}; check the metric's `query`"


def _error_code(orig: BaseException) -> str | int | None:
    """The SQLSTATE (PostgreSQL) or error number (MySQL family) of a driver exception, if it has one."""
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or (orig.args or [None])[0]
    return code if isinstance(code, (str, int)) else None


def _message(orig: BaseException) -> str:
    """The driver's own words: MySQL drivers carry ``(number, text)`` where others carry text."""
    args = getattr(orig, "args", ())
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        return first_line(Exception(f"{args[1]} (error {args[0]})"))
    return first_line(orig)


def _mysql_limit(dbapi_conn: Any, seconds: float) -> None:
    """Limit each statement of a MariaDB or MySQL session to ``seconds`` (whichever name the server knows)."""
    limits = (
        ("SET SESSION max_statement_time = %s", max(0.001, seconds)),  # MariaDB, in seconds (0: none)
        ("SET SESSION max_execution_time = %s", max(1, math.ceil(seconds * 1000))),  # MySQL, in ms
    )
    cursor = dbapi_conn.cursor()
    try:
        for statement, value in limits:
            try:
                cursor.execute(statement, (value,))
                return
            except Exception:  # noqa: BLE001, S112 - not this server's name; read_timeout stays as backstop
                continue
    finally:
        cursor.close()
