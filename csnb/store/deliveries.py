"""The record of deliveries: the ``deliveries`` table in the store, so a report is sent once per ritual.

Each message key (kind, client, ritual, audience, as_of) has one row; a sender claims it before sending
and records the outcome after. Failed or partly refused messages are retried on a later run, up to
``MAX_ATTEMPTS``. The schema is upgraded by ordered migrations recorded in ``delivery_meta``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

# -- the record of deliveries -----------------------------------------------------------------------------

MAX_ATTEMPTS = 5  # automatic retries stop here; `csnb send --force` still sends
STALE_SENDING = dt.timedelta(minutes=30)  # a "sending" row older than this was left by a killed process


def _tables() -> tuple[Any, Any, Any]:
    from sqlalchemy import JSON, Column, DateTime, Integer, LargeBinary, MetaData, String, Table, Text

    metadata = MetaData()
    meta = Table(
        "delivery_meta", metadata, Column("key", String(64), primary_key=True), Column("value", String(200))
    )
    rows = Table(
        "deliveries",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("key", String(300), nullable=False, unique=True),  # kind|client|ritual|audience|as_of
        Column("kind", String(16), nullable=False),
        Column("client", String(64), nullable=False, index=True),
        Column("ritual", String(128), nullable=False),
        Column("audience", String(16), nullable=False),
        Column("as_of", String(10), nullable=False),
        Column("report", Text),
        Column("subject", Text),
        Column("message_id", String(300)),
        Column("recipients", JSON),
        Column("accepted", JSON),
        Column("refused", JSON),
        Column("status", String(16), nullable=False, index=True),
        Column("error", Text),
        Column("attempts", Integer, nullable=False, default=0),
        Column("created", DateTime(timezone=True)),
        Column("updated", DateTime(timezone=True)),
        Column("raw", LargeBinary),  # alerts only: the exact message, so a retry sends the same words
    )
    return metadata, meta, rows


class MailLog:
    """The ``deliveries`` table in the store (migrations in ``delivery_meta``): one row per message key."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine, event
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        kwargs: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        self.engine = create_engine(url, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _busy_timeout)
        self.metadata, self.meta, self.table = _tables()
        self.migrate()

    def migrate(self) -> int:
        """Create or upgrade the table; return the schema version."""
        from sqlalchemy import delete, select
        from sqlalchemy.exc import IntegrityError, OperationalError

        steps = [lambda conn: self.metadata.create_all(conn, tables=[self.table])]  # append; never edit
        try:
            with self.engine.begin() as conn:
                self.metadata.create_all(conn, tables=[self.meta])
                row = conn.execute(
                    select(self.meta.c.value).where(self.meta.c.key == "schema_version")
                ).first()
                version = int(row[0]) if row else 0
                for step in steps[version:]:
                    step(conn)
                if version < len(steps):
                    conn.execute(delete(self.meta).where(self.meta.c.key == "schema_version"))
                    conn.execute(self.meta.insert().values(key="schema_version", value=str(len(steps))))
        except (IntegrityError, OperationalError):  # another process created it at the same moment
            pass
        return len(steps)

    def get(self, key: str) -> dict[str, Any] | None:
        """The row of one message key."""
        from sqlalchemy import select

        with self.engine.connect() as conn:
            row = conn.execute(select(self.table).where(self.table.c.key == key)).first()
        return dict(row._mapping) if row else None

    def claim(self, out_key: str, values: dict[str, Any], force: bool) -> dict[str, Any] | None:
        """Mark a message as being sent; return its previous row ({} if new), or None when not to send."""
        from sqlalchemy import update
        from sqlalchemy.exc import IntegrityError

        now = dt.datetime.now(dt.UTC)
        row = self.get(out_key)
        if row is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        self.table.insert().values(
                            key=out_key,
                            status="sending",
                            attempts=1,
                            created=now,
                            updated=now,
                            accepted=[],
                            refused={},
                            **values,
                        )
                    )
                return {}
            except IntegrityError:  # another sender claimed it first
                return None
        if not force and (
            row["status"] == "sent" or (row["status"] == "sending" and not _stale(row["updated"]))
        ):
            return None
        with self.engine.begin() as conn:  # only one of two concurrent senders wins this update
            won = conn.execute(
                update(self.table)
                .where(self.table.c.key == out_key, self.table.c.attempts == row["attempts"])
                .values(status="sending", attempts=row["attempts"] + 1, updated=now)
            ).rowcount
        return row if won else None

    def finish(self, key: str, **values: Any) -> None:
        """Record the outcome of a claimed message."""
        from sqlalchemy import update

        with self.engine.begin() as conn:
            conn.execute(
                update(self.table)
                .where(self.table.c.key == key)
                .values(updated=dt.datetime.now(dt.UTC), **values)
            )

    def retryable(self) -> list[dict[str, Any]]:
        """Messages that failed or were partly refused (or whose sender died), under the attempt limit."""
        from sqlalchemy import select

        with self.engine.connect() as conn:
            rows = conn.execute(
                select(self.table)
                .where(
                    self.table.c.status.in_(("failed", "partial", "sending")),
                    self.table.c.attempts < MAX_ATTEMPTS,
                )
                .order_by(self.table.c.id)
            ).all()
        return [dict(r._mapping) for r in rows if r.status != "sending" or _stale(r.updated)]

    def rows(self, client: str | None = None) -> list[dict[str, Any]]:
        """Every recorded message (of one client), oldest first."""
        from sqlalchemy import select

        q = select(self.table).order_by(self.table.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(q.where(self.table.c.client == client) if client else q).all()
        return [dict(r._mapping) for r in rows]

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def _busy_timeout(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _stale(updated: dt.datetime | None) -> bool:
    if updated is None:
        return True
    if updated.tzinfo is None:  # SQLite returns naive UTC
        updated = updated.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC) - updated > STALE_SENDING
