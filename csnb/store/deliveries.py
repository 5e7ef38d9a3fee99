"""The record of deliveries: the ``deliveries`` table in the store, so a report is sent once per ritual.

Each message key (kind, client, ritual, audience, as_of) has one row; a sender claims it before sending
and records the outcome after. Failed or partly refused messages are retried on a later run, up to
``MAX_ATTEMPTS``. The schema is the ``deliveries`` family of migrations (``csnb.store.db``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from csnb.store import db

MAX_ATTEMPTS = 5  # automatic retries stop here; `csnb send --force` still sends
STALE_SENDING = dt.timedelta(minutes=30)  # a "sending" row older than this was left by a killed process

metadata = MetaData()
deliveries = Table(
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


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[deliveries])


MIGRATIONS: list[db.Step] = [_v1]  # append new steps; never edit a released one
FAMILY = db.Family("deliveries", MIGRATIONS, legacy="delivery_meta")


class MailLog:
    """The ``deliveries`` table in the store: one row per message key."""

    def __init__(self, url: str):
        self.engine = db.open_engine(url)
        self.writer = db.writer(self.engine)
        self.table = deliveries
        self.migrate()

    def migrate(self) -> int:
        """Create or upgrade the table; return the schema version."""
        return db.migrate(self.engine, FAMILY)

    def get(self, key: str) -> dict[str, Any] | None:
        """The row of one message key."""
        with self.engine.connect() as conn:
            row = conn.execute(select(self.table).where(self.table.c.key == key)).first()
        return dict(row._mapping) if row else None

    def claim(self, out_key: str, values: dict[str, Any], force: bool) -> dict[str, Any] | None:
        """Mark a message as being sent; return its previous row ({} if new), or None when not to send."""
        now = dt.datetime.now(dt.UTC)
        row = self.get(out_key)
        if row is None:
            try:
                with self.writer.begin() as conn:
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
        with self.writer.begin() as conn:  # only one of two concurrent senders wins this update
            won = conn.execute(
                update(self.table)
                .where(self.table.c.key == out_key, self.table.c.attempts == row["attempts"])
                .values(status="sending", attempts=row["attempts"] + 1, updated=now)
            ).rowcount
        return row if won else None

    def finish(self, key: str, **values: Any) -> None:
        """Record the outcome of a claimed message."""
        with self.writer.begin() as conn:
            conn.execute(
                update(self.table)
                .where(self.table.c.key == key)
                .values(updated=dt.datetime.now(dt.UTC), **values)
            )

    def retryable(self) -> list[dict[str, Any]]:
        """Messages that failed or were partly refused (or whose sender died), under the attempt limit."""
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
        q = select(self.table).order_by(self.table.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(q.where(self.table.c.client == client) if client else q).all()
        return [dict(r._mapping) for r in rows]

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def _stale(updated: dt.datetime | None) -> bool:
    if updated is None:
        return True
    if updated.tzinfo is None:  # SQLite returns naive UTC
        updated = updated.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC) - updated > STALE_SENDING
