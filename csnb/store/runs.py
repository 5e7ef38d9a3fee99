"""The store: run history and indicator snapshots (SQLite file by default, any SQLAlchemy URL).

Schema changes are the ``runs`` family of migrations (``csnb.store.db``); writers from a process pool
each open their own connection and every write is one short transaction keyed on a natural key, so
concurrent runs never lose or duplicate a row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from csnb.store import db

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_key", String(200), nullable=False, unique=True),  # client|ritual|audience|as_of|attempt
    Column("batch", String(64)),
    Column("client", String(64), nullable=False, index=True),
    Column("ritual", String(64), nullable=False, default=""),
    Column("audience", String(16), nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("started", DateTime(timezone=True)),
    Column("finished", DateTime(timezone=True)),
    Column("duration", Float),
    Column("status", String(16), index=True),
    Column("error", Text),
    Column("outputs", JSON),
    Column("code_fingerprint", String(64)),
    Column("data_fingerprint", String(64)),
    Column("user", String(64)),
    Column("host", String(128)),
    Column("pid", Integer),  # added by migration 2: lets a later batch tell a crashed run from a live one
)
run_lookup = Index("ix_runs_report", runs.c.client, runs.c.audience, runs.c.as_of)  # migration 2
snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(64), nullable=False),
    Column("audience", String(16), nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("recorded", DateTime(timezone=True)),
    Column("health", Float),
    Column("band", String(16)),
    Column("summary", JSON, nullable=False),
    UniqueConstraint("client", "audience", "as_of", name="uq_snapshot"),
)


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[runs, snapshots])


def _v2(conn: Connection) -> None:
    # a store made by version 1 lacks `pid`; one created fresh already has the current shape
    if "pid" not in {c["name"] for c in inspect(conn).get_columns("runs")}:
        conn.execute(text("ALTER TABLE runs ADD COLUMN pid INTEGER"))
    run_lookup.create(conn, checkfirst=True)


MIGRATIONS: list[db.Step] = [_v1, _v2]  # append new steps; never edit a released one
FAMILY = db.Family("runs", MIGRATIONS, legacy="csnb_meta")
FINISHED = ("ok", "failed", "interrupted")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store:
    """Run history and snapshots behind one SQLAlchemy URL."""

    def __init__(self, url: str):
        self.url = url
        self.engine = db.open_engine(url)
        self.writer = db.writer(self.engine)
        self.migrate()

    def migrate(self) -> int:
        """Apply pending migrations; return the schema version."""
        return db.migrate(self.engine, FAMILY)

    def record_snapshot(self, client: str, audience: str, as_of: dt.date, summary: dict[str, Any]) -> None:
        """Store (or replace) the snapshot summary of a report."""
        values = {
            "client": client,
            "audience": audience,
            "as_of": as_of.isoformat(),
            "recorded": _now(),
            "health": summary.get("health", {}).get("score"),
            "band": summary.get("health", {}).get("band"),
            "summary": json.loads(json.dumps(summary, default=str)),
        }
        key = (
            (snapshots.c.client == client)
            & (snapshots.c.audience == audience)
            & (snapshots.c.as_of == values["as_of"])
        )
        with self.writer.begin() as conn:
            if conn.execute(update(snapshots).where(key).values(**values)).rowcount == 0:
                try:
                    conn.execute(insert(snapshots).values(**values))
                except IntegrityError:
                    conn.execute(update(snapshots).where(key).values(**values))

    def previous_summary(self, client: str, audience: str, before: dt.date) -> dict[str, Any] | None:
        """The latest snapshot summary of this client and audience strictly before ``before``."""
        q = (
            select(snapshots.c.summary)
            .where(
                snapshots.c.client == client,
                snapshots.c.audience == audience,
                snapshots.c.as_of < before.isoformat(),
            )
            .order_by(snapshots.c.as_of.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return dict(row[0]) if row else None

    def latest_summaries(self) -> dict[str, dict[str, Any]]:
        """Per client, the newest snapshot summary of any audience."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(snapshots.c.client, snapshots.c.as_of, snapshots.c.summary).order_by(snapshots.c.as_of)
            ).all()
        return {r.client: dict(r.summary) for r in rows}

    def start_run(self, run_key: str, **values: Any) -> int:
        """Insert a run row in state ``running``; return its id."""
        with self.writer.begin() as conn:
            result = conn.execute(
                insert(runs).values(run_key=run_key, status="running", started=_now(), **values)
            )
            return int(result.inserted_primary_key[0])

    def finish_run(
        self,
        run_id: int,
        status: str,
        error: str | None = None,
        outputs: dict[str, str] | None = None,
        **values: Any,
    ) -> None:
        """Close a run row with its status, error and output paths."""
        with self.writer.begin() as conn:
            started = conn.execute(select(runs.c.started).where(runs.c.id == run_id)).scalar_one()
            finished = _now()
            if started.tzinfo is None:
                started = started.replace(tzinfo=dt.UTC)
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    status=status,
                    error=error,
                    outputs=outputs or {},
                    finished=finished,
                    duration=(finished - started).total_seconds(),
                    **values,
                )
            )

    def close_run(
        self,
        run_key: str,
        status: str,
        error: str | None = None,
        outputs: dict[str, str] | None = None,
        duration: float | None = None,
        **values: Any,
    ) -> bool:
        """Close the run ``run_key`` if it is still open (its worker died); insert it if it never started.

        Returns whether a row was written. A run its worker already finished is left as it is, so the
        parent and the worker never both count one run.
        """
        finished = _now()
        with self.writer.begin() as conn:
            closed = conn.execute(
                update(runs)
                .where(runs.c.run_key == run_key, runs.c.status == "running")
                .values(
                    status=status, error=error, outputs=outputs or {}, finished=finished, duration=duration
                )
            )
            if closed.rowcount:
                return True
            if conn.execute(select(runs.c.id).where(runs.c.run_key == run_key)).first():
                return False
        try:
            with self.writer.begin() as conn:
                conn.execute(
                    insert(runs).values(
                        run_key=run_key,
                        status=status,
                        error=error,
                        outputs=outputs or {},
                        started=finished,
                        finished=finished,
                        duration=duration,
                        **values,
                    )
                )
            return True
        except IntegrityError:  # the worker inserted it at the same moment; its row stands
            return False

    def fail_run(self, run_key: str, error: str) -> bool:
        """Mark a run that finished ok as failed after all (its report could not be delivered where asked)."""
        with self.writer.begin() as conn:
            changed = conn.execute(
                update(runs)
                .where(runs.c.run_key == run_key, runs.c.status == "ok")
                .values(status="failed", error=error)
            )
        return bool(changed.rowcount)

    def record_run(self, run_key: str, **values: Any) -> bool:
        """Insert a finished run made elsewhere (a worker's scratch store); False if ``run_key`` is known."""
        values = {k: v for k, v in values.items() if k in runs.c and k not in ("id", "run_key")}
        try:
            with self.writer.begin() as conn:
                if conn.execute(select(runs.c.id).where(runs.c.run_key == run_key)).first():
                    return False
                conn.execute(insert(runs).values(run_key=run_key, **values))
            return True
        except IntegrityError:  # recorded by another process at the same moment; its row stands
            return False

    def interrupt_stale(self, host: str, alive: Callable[[int], bool]) -> int:
        """Mark this host's ``running`` rows whose process is gone (a killed batch) as ``interrupted``."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(runs.c.id, runs.c.pid).where(runs.c.status == "running", runs.c.host == host)
            ).all()
        stale = [r.id for r in rows if not (r.pid and alive(r.pid))]
        if stale:
            with self.writer.begin() as conn:
                conn.execute(
                    update(runs)
                    .where(runs.c.id.in_(stale), runs.c.status == "running")
                    .values(
                        status="interrupted", finished=_now(), error="the batch stopped before this run ended"
                    )
                )
        return len(stale)

    def report_states(self, clients: list[str] | None = None) -> dict[tuple[str, str, str], tuple[str, str]]:
        """Per (client, audience, as_of): (status, ritual); ``ok`` if any run succeeded, else the latest."""
        q = select(runs.c.client, runs.c.audience, runs.c.as_of, runs.c.status, runs.c.ritual).order_by(
            runs.c.id
        )
        if clients is not None:
            q = q.where(runs.c.client.in_(clients))
        states: dict[tuple[str, str, str], tuple[str, str]] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(q):
                key = (r.client, r.audience, r.as_of)
                if states.get(key, ("",))[0] != "ok":
                    states[key] = (r.status, r.ritual or "")
        return states

    def last_runs(self) -> dict[str, dict[str, Any]]:
        """Per client, its newest finished run."""
        latest = (
            select(runs.c.client, func.max(runs.c.id).label("id"))
            .where(runs.c.status.in_(FINISHED))
            .group_by(runs.c.client)
            .subquery()
        )
        with self.engine.connect() as conn:
            rows = conn.execute(select(runs).join(latest, runs.c.id == latest.c.id)).all()
        return {r.client: dict(r._mapping) for r in rows}

    def latest_reports(self) -> dict[str, dict[str, str]]:
        """Per client and audience, the HTML of its newest successful run."""
        out: dict[str, dict[str, str]] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(
                select(runs.c.client, runs.c.audience, runs.c.outputs)
                .where(runs.c.status == "ok")
                .order_by(runs.c.as_of, runs.c.id)
            ):
                if r.outputs and r.outputs.get("html"):
                    out.setdefault(r.client, {})[r.audience] = r.outputs["html"]
        return out

    def snapshot_history(self, client: str, audience: str, limit: int = 2) -> list[dict[str, Any]]:
        """The newest ``limit`` snapshot summaries of a client and audience, newest first."""
        q = (
            select(snapshots.c.summary)
            .where(snapshots.c.client == client, snapshots.c.audience == audience)
            .order_by(snapshots.c.as_of.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(r[0]) for r in conn.execute(q)]

    def runs(self, client: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Past runs, newest first."""
        q = select(runs).order_by(runs.c.id.desc()).limit(limit)
        if client:
            q = q.where(runs.c.client == client)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
