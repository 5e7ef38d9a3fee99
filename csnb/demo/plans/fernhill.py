"""The Fernhill demo plan."""

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


def fernhill_plan() -> dict[str, Any]:
    """Analytics onboarding at a grocery retailer: 40 stores' point-of-sale data, managers using it."""
    return {
        "client": {
            "id": "fernhill",
            "name": "Fernhill Grocers",
            "timezone": "Europe/London",
            "industry": "Retail",
        },
        "people": PROVIDER
        + [
            person(
                "helen",
                "Helen Park",
                "client",
                "Director of Retail Operations",
                "helen.park@example.co.uk",
                True,
            ),
            person("owen", "Owen Davies", "client", "BI Manager", "owen.davies@example.co.uk"),
            person("nadia", "Nadia Haddad", "client", "Store Operations Lead", "nadia.haddad@example.co.uk"),
        ],
        "goals": [
            {
                "id": "coverage",
                "statement": "Every store's sales data in the platform by the end of October",
                "metrics": ["stores_connected"],
                "why": "Without all stores the chain-wide reports are wrong",
                "recovery": [
                    action(
                        "Load nightly CSV exports from the stores still waiting for the API",
                        "sam",
                        "2026-10-22",
                    ),
                    action(
                        "Escalate API access with the point-of-sale vendor's account team",
                        "helen",
                        "2026-10-19",
                    ),
                ],
            },
            {
                "id": "adoption",
                "statement": "300 store staff use the dashboards every day by the end of November",
                "metrics": ["daily_active_users"],
                "why": "Waste falls only when store managers act on the data",
            },
            {
                "id": "forecasting",
                "statement": "Demand forecasts 85% accurate by the end of the year",
                "metrics": ["forecast_accuracy"],
                "why": "Fresh produce orders follow the forecast",
            },
        ],
        "sources": {"warehouse": {"kind": "sql", "url": WAREHOUSE_URL}},
        "metrics": [
            metric(
                "stores_connected",
                "Stores with point-of-sale data flowing",
                "lag",
                "stores",
                "week",
                "last",
                (3, "2026-09-14"),
                (40, "2026-10-30"),
                "owen",
            ),
            metric(
                "daily_active_users",
                "Store staff using the dashboards",
                "lag",
                "users",
                "day",
                "last",
                (30, "2026-09-14"),
                (300, "2026-11-30"),
                "nadia",
            ),
            metric(
                "newsletter_opens",
                "Product newsletter opens",
                "lead",
                "opens",
                "day",
                "sum",
                (50, "2026-09-14"),
                (120, "2026-11-30"),
                "dana",
                leads=["daily_active_users"],
                description="We expected opens to predict dashboard use; the lead check says whether they do",
            ),
            metric(
                "forecast_accuracy",
                "Demand forecast accuracy",
                "lag",
                "%",
                "week",
                "mean",
                (70, "2026-10-01"),
                (85, "2026-12-31"),
                "owen",
                description="Computed once the point-of-sale feed is connected",
                format={"decimals": 0},
            ),
        ],
        "milestones": [
            milestone(
                "M1",
                "Kick-off and success plan signed",
                "onboarding",
                "dana",
                "2026-09-14",
                "2026-09-18",
                [check("Success plan signed by both sides", "2026-09-16")],
                (["dana"], ["helen"], ["owen"], ["priya"]),
            ),
            milestone(
                "M2",
                "First wave: 20 stores' sales data connected",
                "onboarding",
                "sam",
                "2026-09-21",
                "2026-10-09",
                [crit("stores_connected", ">=", 20)],
                (["sam", "owen"], ["helen"], ["dana"], ["nadia"]),
                ["M1"],
                client_inputs=[
                    {
                        "description": "Point-of-sale vendor API keys for every store",
                        "owner": "owen",
                        "needed_by": D("2026-09-21"),
                        "received_on": D("2026-10-05"),
                    }
                ],
                recovery=[
                    action(
                        "Connect the eight stores whose API keys arrived on 5 October", "sam", "2026-10-21"
                    ),
                ],
            ),
            milestone(
                "M3",
                "Store managers trained and using dashboards",
                "adoption",
                "nadia",
                "2026-10-12",
                "2026-10-30",
                [crit("daily_active_users", ">=", 200), check("Training delivered in all four regions")],
                (["nadia", "dana"], ["helen"], ["owen"], ["priya"]),
                ["M2"],
            ),
            milestone(
                "M4",
                "Demand forecasting live",
                "value",
                "owen",
                "2026-11-09",
                "2026-11-27",
                [crit("forecast_accuracy", ">=", 80)],
                (["owen", "sam"], ["helen"], ["dana"], ["nadia"]),
                ["M3"],
            ),
        ],
        "risks": [
            {
                "id": "R1",
                "description": "The point-of-sale vendor delays API access for the remaining stores",
                "owner": "sam",
                "likelihood": "high",
                "impact": "high",
                "trigger": {"metric": "stores_connected", "op": "<", "value": 20, "after": D("2026-10-01")},
                "contingency": "Load nightly CSV exports from the stores until the API is available",
            },
            {
                "id": "R2",
                "description": "Store managers do not log in after training",
                "owner": "nadia",
                "likelihood": "medium",
                "impact": "medium",
                "trigger": {"metric": "daily_active_users", "op": "<", "value": 60, "after": D("2026-10-15")},
                "contingency": "Put the waste dashboard on the back-office screen in every store",
            },
        ],
        "cadence": cadence(["owen", "nadia", "dana"], "WE"),
        "escalation": ESCALATION,
        "changes": [
            {
                "id": "C1",
                "requested_on": D("2026-10-06"),
                "by": "helen",
                "description": "Add the five franchise stores to the rollout",
                "impact": {"days": 10, "cost": 7500, "scope": "5 more stores in wave two"},
                "status": "assessed",
                "affects": ["stores_connected", "M2"],
            },
        ],
        "decisions": [
            {
                "on": D("2026-10-05"),
                "decision": "Connect stores in waves of five",
                "rationale": "The vendor's API keys arrive in batches",
                "by": ["helen", "dana"],
            },
        ],
        "glossary": GLOSSARY | {"POS": "Point of sale: the tills and the system behind them"},
    }
