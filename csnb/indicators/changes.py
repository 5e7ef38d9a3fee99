"""What changed between two snapshots: status moves, metric deltas, milestones completed, risks, changes."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from csnb.indicators.evaluation import evaluate
from csnb.indicators.snapshot import Snapshot
from csnb.plan.models import Plan
from csnb.sources import pull


def _num(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else None


def summary(snap: Snapshot, plan: Plan | None = None) -> dict[str, Any]:
    """A small JSON-able record of a snapshot: what the next report compares against."""
    approved = []
    if plan is not None:
        approved = [
            c.id
            for c in plan.changes
            if c.status in ("approved", "implemented") and c.decided_on and c.decided_on <= snap.as_of
        ]
    return {
        "client": snap.client,
        "as_of": snap.as_of.isoformat(),
        "health": {"score": snap.health.score, "band": snap.health.band},
        "metrics": {
            m: {"status": s, "current": _num(v), "name": n, "stale": bool(old), "newest": _day(newest)}
            for m, s, v, n, old, newest in zip(
                snap.metrics["metric"],
                snap.metrics["status"],
                snap.metrics["current"],
                snap.metrics["name"],
                snap.metrics["stale"] if "stale" in snap.metrics else [False] * len(snap.metrics),
                snap.metrics["newest_date"] if "newest_date" in snap.metrics else [None] * len(snap.metrics),
                strict=False,
            )
        },
        "milestones": {
            m: {"status": s, "title": t}
            for m, s, t in zip(
                snap.milestones.get("milestone", []),
                snap.milestones.get("status", []),
                snap.milestones.get("title", []),
                strict=False,
            )
        },
        "risks": {r: s for r, s in zip(snap.risks["risk"], snap.risks["status"], strict=False)},
        "changes_approved": approved,
    }


@dataclass
class Move:
    """One item whose status moved between two snapshots."""

    kind: str  # metric | milestone | risk | health
    id: str
    name: str
    before: str | None
    after: str
    delta: float | None = None


@dataclass
class Diff:
    """Everything that changed from ``before`` to ``after`` (the report's "what changed")."""

    before: dt.date | None
    after: dt.date
    health_before: float | None
    health_after: float | None
    moves: list[Move] = field(default_factory=list)
    deltas: list[Move] = field(default_factory=list)
    completed: list[Move] = field(default_factory=list)
    risks_triggered: list[Move] = field(default_factory=list)
    risks_cleared: list[Move] = field(default_factory=list)
    changes_approved: list[str] = field(default_factory=list)
    went_stale: list[Move] = field(default_factory=list)  # after: the date of the metric's newest data

    @property
    def first(self) -> bool:
        """True when there is no earlier snapshot to compare with."""
        return self.before is None

    def is_empty(self) -> bool:
        """True when nothing changed."""
        return not (
            self.moves
            or self.completed
            or self.risks_triggered
            or self.risks_cleared
            or self.changes_approved
            or self.went_stale
            or any(d.delta for d in self.deltas)
        )


def _as_summary(value: Snapshot | dict[str, Any] | None, plan: Plan | None) -> dict[str, Any] | None:
    return summary(value, plan) if isinstance(value, Snapshot) else value


def _metric_moves(old: dict[str, Any], new: dict[str, Any], out: Diff) -> None:
    """Each metric's delta, its status move, and whether its data turned stale since ``old``."""
    for mid, m in new["metrics"].items():
        prev = old["metrics"].get(mid)
        delta = (
            None
            if not prev or m["current"] is None or prev["current"] is None
            else m["current"] - prev["current"]
        )
        out.deltas.append(
            Move("metric", mid, m["name"], prev["status"] if prev else None, m["status"], delta)
        )
        if prev and prev["status"] != m["status"]:
            out.moves.append(Move("metric", mid, m["name"], prev["status"], m["status"], delta))
        if m.get("stale") and prev and not prev.get("stale"):  # no news is news: the data stopped coming
            out.went_stale.append(Move("metric", mid, m["name"], None, m.get("newest") or ""))


def diff(
    before: Snapshot | dict[str, Any] | None, after: Snapshot | dict[str, Any], plan: Plan | None = None
) -> Diff:
    """Compare two snapshots (or their summaries); ``before=None`` means this is the first report."""
    old, new = _as_summary(before, plan), _as_summary(after, plan)
    assert new is not None
    out = Diff(
        before=dt.date.fromisoformat(old["as_of"]) if old else None,
        after=dt.date.fromisoformat(new["as_of"]),
        health_before=old["health"]["score"] if old else None,
        health_after=new["health"]["score"],
    )
    if old is None:
        return out
    _metric_moves(old, new, out)
    for mid, m in new["milestones"].items():
        prev = old["milestones"].get(mid, {}).get("status")
        if prev != m["status"]:
            move = Move("milestone", mid, m["title"], prev, m["status"])
            (out.completed if m["status"] == "done" else out.moves).append(move)
    for rid, status in new["risks"].items():
        prev = old["risks"].get(rid)
        if prev != status and status == "triggered":
            out.risks_triggered.append(Move("risk", rid, rid, prev, status))
        elif prev == "triggered" and status == "clear":
            out.risks_cleared.append(Move("risk", rid, rid, prev, status))
    out.changes_approved = [c for c in new["changes_approved"] if c not in old["changes_approved"]]
    if old["health"]["band"] != new["health"]["band"]:
        out.moves.insert(0, Move("health", "health", "Health", old["health"]["band"], new["health"]["band"]))
    return out


def compare(plan: Plan, as_of_a: dt.date, as_of_b: dt.date, observations: Any = None) -> Diff:
    """What changed in ``plan`` between two dates (pulls observations when not given)."""

    if observations is None:
        observations = pull(plan)
    return diff(evaluate(plan, observations, as_of_a), evaluate(plan, observations, as_of_b), plan)
