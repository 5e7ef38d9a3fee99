"""Read-only queries over past reports: each client's health run by run, and its newest snapshot summary.

The portfolio page draws a health sparkline from these. They read the ``snapshots`` table that
``csnb.store.runs`` writes (one row per client, audience and report date) and never write: a store
that has no snapshots yet simply has no history. Both audiences of one report date are evaluated from
the same data, so a date's health is taken from the operator edition when there is one, else from the
executive edition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine

from csnb.store import db
from csnb.store.runs import snapshots

AUDIENCE_ORDER = ("operator", "executive")  # whose snapshot stands for a report date, first found wins
HISTORY_LIMIT = 12  # report dates a sparkline shows: a quarter of weekly reports


@dataclass(frozen=True)
class HealthPoint:
    """A client's health at one report date."""

    as_of: dt.date
    score: float | None
    band: str | None


class Trends:
    """Read-only history of every client's reports, behind one store URL."""

    def __init__(self, url: str):
        self.engine: Engine = db.open_engine(url)

    def _rows(self, clients: Iterable[str] | None, *columns: Any) -> list[Any]:
        """Snapshot rows (client, as_of, audience, ``columns``), oldest first; none before the first run."""
        with self.engine.connect() as conn:
            if not inspect(conn).has_table(snapshots.name):
                return []
            q = select(snapshots.c.client, snapshots.c.as_of, snapshots.c.audience, *columns).order_by(
                snapshots.c.client, snapshots.c.as_of
            )
            if clients is not None:
                q = q.where(snapshots.c.client.in_(list(clients)))
            return list(conn.execute(q))

    @staticmethod
    def _one_per_date(rows: list[Any]) -> dict[str, dict[str, Any]]:
        """Per client, per report date, the row of the first audience in ``AUDIENCE_ORDER`` that has one."""
        out: dict[str, dict[str, Any]] = {}
        rank = {a: i for i, a in enumerate(AUDIENCE_ORDER)}
        for row in rows:
            dates = out.setdefault(row.client, {})
            kept = dates.get(row.as_of)
            if kept is None or rank.get(row.audience, len(rank)) < rank.get(kept.audience, len(rank)):
                dates[row.as_of] = row
        return out

    def health(
        self, clients: Iterable[str] | None = None, limit: int = HISTORY_LIMIT
    ) -> dict[str, list[HealthPoint]]:
        """Per client, its health at each of its newest ``limit`` report dates, oldest first."""
        rows = self._rows(clients, snapshots.c.health, snapshots.c.band)
        out = {}
        for client, dates in self._one_per_date(rows).items():
            points = [
                HealthPoint(dt.date.fromisoformat(as_of), r.health, r.band)
                for as_of, r in sorted(dates.items())
            ]
            out[client] = points[-limit:] if limit > 0 else []
        return out

    def newest(self, clients: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Per client, the snapshot summary of its newest report date."""
        rows = self._rows(clients, snapshots.c.summary)
        return {client: dict(dates[max(dates)].summary) for client, dates in self._one_per_date(rows).items()}

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
