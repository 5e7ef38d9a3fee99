"""The Acme Logistics demo plan."""

from __future__ import annotations

from typing import Any

from csnb.demo.plans.common import (
    ESCALATION,
    GLOSSARY,
    PROVIDER,
    WAREHOUSE_URL,
    D,
    action,
    cadence,
    check,
    crit,
    metric,
    milestone,
    person,
)


def acme_plan() -> dict[str, Any]:
    """Routing adoption at a logistics company: reduce manual routing time by 40% within 60 days."""
    return {
        "client": {
            "id": "acme",
            "name": "Acme Logistics",
            "timezone": "America/Chicago",
            "industry": "Logistics",
        },
        "people": PROVIDER
        + [
            person("lee", "Lee Chen", "client", "VP Operations", "lee.chen@example.net", True),
            person("jordan", "Jordan Blake", "client", "Dispatch Manager", "jordan.blake@example.net"),
            person("rosa", "Rosa Alvarez", "client", "IT Lead", "rosa.alvarez@example.net"),
        ],
        "goals": [
            {
                "id": "routing",
                "statement": "Reduce manual routing time by 40% within 60 days",
                "metrics": ["routing_minutes"],
                "why": "Dispatchers spend the morning routing instead of on exceptions",
                "recovery": [
                    action(
                        "Review every manual override with the north depot dispatchers", "dana", "2026-10-20"
                    ),
                    action(
                        "Turn on engine planning for the two remaining routes of the north depot",
                        "jordan",
                        "2026-10-23",
                        "in_progress",
                    ),
                ],
            },
            {
                "id": "on-time",
                "statement": "95% of deliveries on time by the end of the year",
                "metrics": ["on_time_delivery"],
                "why": "Two retail contracts renew on on-time performance",
            },
        ],
        "sources": {"warehouse": {"kind": "sql", "url": WAREHOUSE_URL}},
        "metrics": [
            metric(
                "auto_planned_share",
                "Routes planned by the engine",
                "lead",
                "%",
                "week",
                "mean",
                (15, "2026-08-31"),
                (80, "2026-10-30"),
                "jordan",
                leads=["routing_minutes"],
                description="More routes planned by the engine should mean less manual routing a week later",
            ),
            metric(
                "routing_minutes",
                "Manual routing time per day",
                "lag",
                "minutes",
                "week",
                "mean",
                (600, "2026-08-31"),
                (360, "2026-10-30"),
                "lee",
                direction="down",
            ),
            metric(
                "on_time_delivery",
                "Deliveries on time",
                "lag",
                "%",
                "week",
                "mean",
                (91, "2026-08-31"),
                (95, "2026-12-31"),
                "jordan",
            ),
        ],
        "milestones": [
            milestone(
                "M1",
                "Routing engine connected to the TMS",
                "onboarding",
                "sam",
                "2026-07-06",
                "2026-07-17",
                [
                    check("TMS integration tested end to end", "2026-07-15"),
                    check("Depot master data loaded", "2026-07-10"),
                ],
                (["sam"], ["dana"], ["rosa"], ["lee"]),
            ),
            milestone(
                "M2",
                "Pilot with the north depot team",
                "adoption",
                "dana",
                "2026-07-20",
                "2026-08-28",
                [crit("auto_planned_share", ">=", 10), check("Pilot review signed off", "2026-08-27")],
                (["dana", "jordan"], ["lee"], ["sam"], ["rosa"]),
                ["M1"],
            ),
            milestone(
                "M3",
                "Manual routing time down 25%",
                "value",
                "jordan",
                "2026-08-31",
                "2026-10-20",
                [crit("routing_minutes", "<=", 450)],
                (["jordan"], ["lee"], ["dana"], ["priya"]),
                ["M2"],
            ),
            milestone(
                "M4",
                "Second depot go-live",
                "expansion",
                "dana",
                "2026-11-02",
                "2026-11-27",
                [check("Depot 2 routes imported"), crit("auto_planned_share", ">=", 70)],
                (["dana", "sam"], ["lee"], ["jordan"], ["rosa"]),
                ["M3"],
                client_inputs=[
                    {
                        "description": "Depot 2 address book and vehicle list",
                        "owner": "rosa",
                        "needed_by": D("2026-10-26"),
                    }
                ],
            ),
        ],
        "risks": [
            {
                "id": "R1",
                "description": "Dispatchers override the engine and keep routing by hand",
                "owner": "dana",
                "likelihood": "medium",
                "impact": "high",
                "trigger": {"metric": "auto_planned_share", "op": "<", "value": 40, "after": D("2026-10-01")},
                "contingency": "Pair each dispatcher with a pilot champion for a week",
            },
            {
                "id": "R2",
                "description": "Peak season volume hides the time saved",
                "owner": "jordan",
                "likelihood": "high",
                "impact": "low",
                "contingency": "Report routing minutes per 100 stops as well as per day",
            },
        ],
        "cadence": cadence(["jordan", "rosa", "dana"], "TU"),
        "escalation": ESCALATION,
        "changes": [
            {
                "id": "C1",
                "requested_on": D("2026-09-08"),
                "by": "lee",
                "description": "Include the Saturday shift",
                "impact": {"days": 3, "cost": 0, "scope": "Saturday routes join the engine"},
                "status": "approved",
                "decided_on": D("2026-09-10"),
                "decided_by": "priya",
                "affects": ["M3"],
            },
        ],
        "decisions": [
            {
                "on": D("2026-08-28"),
                "decision": "Roll out to every dispatcher from 31 August",
                "rationale": "The pilot cut routing time without hurting on-time delivery",
                "by": ["lee"],
            },
        ],
        "glossary": GLOSSARY | {"TMS": "Transport management system: orders, vehicles and drivers"},
    }
