"""Builders shared by the demo plans: metrics, people, milestones, cadence, as plain data."""

from __future__ import annotations

import datetime as dt
from typing import Any

D = dt.date.fromisoformat
WAREHOUSE_URL = "sqlite:///../.csnb/demo/warehouse.db"  # relative to the plan's folder


def metric(
    id: str,
    name: str,
    kind: str,
    unit: str,
    frequency: str,
    aggregate: str,
    baseline: tuple[float, str],
    target: tuple[float, str],
    owner: str,
    *,
    direction: str = "up",
    leads: list[str] | None = None,
    tolerance: float = 0.1,
    description: str | None = None,
    format: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One demo metric read from the warehouse, keys in the order a person reads them."""
    out: dict[str, Any] = {"id": id, "name": name, "kind": kind}
    if leads:
        out["leads"] = leads
    out["unit"] = unit
    if format:
        out["format"] = format  # how its numbers read in the report (decimals, percent, currency, unit)
    out |= {
        "direction": direction,
        "source": "warehouse",
        "query": f"SELECT date, value FROM observations WHERE client = :client AND metric = '{id}' "
        "AND date BETWEEN :start AND :end",
        "aggregate": aggregate,
        "frequency": frequency,
        "baseline": {"value": baseline[0], "date": D(baseline[1])},
        "target": {"value": target[0], "date": D(target[1])},
        "tolerance": tolerance,
        "owner": owner,
    }
    if description:
        out["description"] = description
    return out


def person(id: str, name: str, side: str, role: str, email: str, executive: bool = False) -> dict[str, Any]:
    """One person; executives receive the monthly review."""
    out: dict[str, Any] = {"id": id, "name": name, "side": side, "role": role, "email": email}
    if executive:
        out["executive"] = True
    return out


def crit(metric_id: str, op: str, value: float) -> dict[str, Any]:
    """A metric acceptance criterion."""
    return {"metric": metric_id, "op": op, "value": value}


def check(text: str, done_on: str | None = None) -> dict[str, Any]:
    """A manual acceptance criterion, done on ``done_on`` if given."""
    return {"check": text, "done": True, "done_on": D(done_on)} if done_on else {"check": text, "done": False}


def milestone(
    id: str,
    title: str,
    stage: str,
    owner: str,
    start: str,
    due: str,
    criteria: list[dict],
    raci: tuple[list[str], list[str], list[str], list[str]],
    depends_on: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One milestone with its RACI as (responsible, accountable, consulted, informed)."""
    r, a, c, i = raci
    return {
        "id": id,
        "title": title,
        "stage": stage,
        "owner": owner,
        "start": D(start),
        "due": D(due),
        "depends_on": depends_on or [],
        "criteria": criteria,
        "raci": {"responsible": r, "accountable": a, "consulted": c, "informed": i},
        **extra,
    }


def action(text: str, owner: str, due: str, status: str = "planned") -> dict[str, Any]:
    """One recovery action for a goal or milestone that is behind."""
    return {"action": text, "owner": owner, "due": D(due), "status": status}


PROVIDER = [
    person("dana", "Dana Ortiz", "provider", "Customer Success Manager", "dana.ortiz@example.com"),
    person("priya", "Priya Nair", "provider", "Head of Customer Success", "priya.nair@example.com", True),
    person("sam", "Sam Patel", "provider", "Solutions Engineer", "sam.patel@example.com"),
]


def cadence(operator: list[str], weekday: str = "MO") -> list[dict[str, Any]]:
    """The weekly operator update and the monthly executive review."""
    return [
        {
            "ritual": "weekly-update",
            "rrule": f"FREQ=WEEKLY;BYDAY={weekday}",
            "audience": "operator",
            "channel": "email",
            "recipients": operator,
            "time": "09:00",
            "agenda": "Metrics that moved, milestones due in the next two weeks, open client inputs",
        },
        {
            "ritual": "monthly-review",
            "rrule": "FREQ=MONTHLY;BYDAY=1TU",
            "audience": "executive",
            "channel": "meeting",
            "recipients": ["client-executives", "priya", "dana"],
            "time": "15:00",
            "duration_minutes": 45,
            "agenda": "Health, goals, risks and decisions needed",
        },
    ]


ESCALATION = [
    {"level": 1, "contacts": ["dana"], "when": "A milestone is late or a lag metric is off track"},
    {
        "level": 2,
        "contacts": ["priya"],
        "when": "Still unresolved after 5 working days, or a risk with high impact triggers",
    },
]

GLOSSARY = {
    "lead metric": "A forward signal that should move before the outcome it leads",
    "lag metric": "An outcome the client cares about; it moves after the work is done",
    "glide path": "The straight line from baseline to target that says where a metric should be today",
}
