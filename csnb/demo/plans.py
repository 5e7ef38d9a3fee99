"""The demo success plans (three clients) as plain data, designed together with ``csnb.demodata``."""

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
) -> dict[str, Any]:
    """One demo metric read from the warehouse, keys in the order a person reads them."""
    out: dict[str, Any] = {"id": id, "name": name, "kind": kind}
    if leads:
        out["leads"] = leads
    out |= {
        "unit": unit,
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


def northwind_plan() -> dict[str, Any]:
    """Cloud call-centre platform rollout at a BPO: 100 agents live in 7 days, +15% calls per agent in 30."""
    r = (["dana"], ["grace"], ["sam"], ["tomas"])
    return {
        "client": {
            "id": "northwind",
            "name": "Northwind Contact Services",
            "timezone": "Europe/Dublin",
            "industry": "Business process outsourcing",
        },
        "people": PROVIDER
        + [
            person(
                "grace", "Grace Okafor", "client", "Chief Operating Officer", "grace.okafor@example.org", True
            ),
            person("tomas", "Tomas Reyes", "client", "Contact Centre Manager", "tomas.reyes@example.org"),
            person("mei", "Mei Lin", "client", "Workforce Planning Lead", "mei.lin@example.org"),
        ],
        "goals": [
            {
                "id": "agents-live",
                "statement": "100 agents live on the new platform within 7 days",
                "metrics": ["agents_live"],
                "why": "The old contract ends on 30 September; every agent must move",
            },
            {
                "id": "productivity",
                "statement": "+15% calls per agent within 30 days of the first campaign",
                "metrics": ["calls_per_agent", "avg_handle_time"],
                "why": "Pays for the platform: the same team handles the new retail client's volume",
            },
            {
                "id": "service",
                "statement": "85% of calls answered within 20 seconds by early November",
                "metrics": ["service_level"],
                "why": "The service level agreement with Northwind's own clients",
            },
        ],
        "sources": {"warehouse": {"kind": "sql", "url": WAREHOUSE_URL}},
        "metrics": [
            metric(
                "numbers_provisioned",
                "Phone numbers provisioned",
                "lag",
                "numbers",
                "day",
                "last",
                (0, "2026-09-07"),
                (120, "2026-09-09"),
                "sam",
            ),
            metric(
                "agents_trained",
                "Agents who completed platform training",
                "lead",
                "agents",
                "day",
                "last",
                (0, "2026-09-07"),
                (100, "2026-09-13"),
                "dana",
                leads=["agents_live"],
                description="Trained agents go live about two days later",
            ),
            metric(
                "agents_live",
                "Agents live on the platform",
                "lag",
                "agents",
                "day",
                "last",
                (0, "2026-09-07"),
                (100, "2026-09-13"),
                "tomas",
            ),
            metric(
                "agents_on_campaign",
                "Agents taking calls in live campaigns",
                "lag",
                "agents",
                "day",
                "last",
                (0, "2026-09-14"),
                (100, "2026-10-06"),
                "tomas",
            ),
            metric(
                "calls_per_agent",
                "Calls handled per agent per day",
                "lag",
                "calls",
                "week",
                "mean",
                (40, "2026-09-14"),
                (46, "2026-10-14"),
                "tomas",
                description="Baseline from the old platform's last month",
            ),
            metric(
                "avg_handle_time",
                "Average handle time",
                "lag",
                "seconds",
                "week",
                "mean",
                (420, "2026-09-14"),
                (360, "2026-11-05"),
                "mei",
                direction="down",
            ),
            metric(
                "service_level",
                "Calls answered within 20 seconds",
                "lag",
                "%",
                "week",
                "mean",
                (70, "2026-09-14"),
                (85, "2026-11-05"),
                "mei",
            ),
        ],
        "milestones": [
            milestone(
                "M1",
                "Account setup and number provisioning",
                "onboarding",
                "sam",
                "2026-09-07",
                "2026-09-09",
                [
                    crit("numbers_provisioned", ">=", 120),
                    check("Admin accounts and single sign-on configured", "2026-09-08"),
                ],
                (["sam"], ["dana"], ["tomas"], ["grace"]),
            ),
            milestone(
                "M2",
                "Agent onboarding and training",
                "onboarding",
                "dana",
                "2026-09-10",
                "2026-09-13",
                [crit("agents_trained", ">=", 100)],
                r,
                ["M1"],
            ),
            milestone(
                "M3",
                "First campaign with 10-20 agents",
                "adoption",
                "tomas",
                "2026-09-14",
                "2026-09-20",
                [
                    crit("agents_on_campaign", ">=", 10),
                    check("Campaign script and IVR flow signed off", "2026-09-15"),
                ],
                (["tomas"], ["grace"], ["dana", "sam"], ["mei"]),
                ["M2"],
            ),
            milestone(
                "M4",
                "Scale to the full team",
                "adoption",
                "tomas",
                "2026-09-21",
                "2026-10-06",
                [crit("agents_on_campaign", ">=", 100)],
                (["tomas"], ["grace"], ["dana"], ["mei"]),
                ["M3"],
            ),
            milestone(
                "M5",
                "Optimise: routing, scripts and staffing",
                "value",
                "dana",
                "2026-10-07",
                "2026-11-05",
                [
                    crit("calls_per_agent", ">=", 46),
                    crit("service_level", ">=", 85),
                    crit("avg_handle_time", "<=", 370),
                ],
                (["dana", "mei"], ["grace"], ["sam"], ["tomas"]),
                ["M4"],
            ),
        ],
        "risks": [
            {
                "id": "R1",
                "description": "Agents not trained before the old contract ends",
                "owner": "dana",
                "likelihood": "medium",
                "impact": "high",
                "trigger": {"metric": "agents_trained", "op": "<", "value": 80, "after": D("2026-09-13")},
                "contingency": "Run a second training shift in the evening and train team leads first",
            },
            {
                "id": "R2",
                "description": "Carrier delays porting the existing numbers",
                "owner": "sam",
                "likelihood": "low",
                "impact": "high",
                "trigger": {
                    "metric": "numbers_provisioned",
                    "op": "<",
                    "value": 120,
                    "after": D("2026-09-09"),
                },
                "contingency": "Provision temporary numbers and forward the old ones",
            },
            {
                "id": "R3",
                "description": "Handle time stays high after go-live",
                "owner": "mei",
                "likelihood": "medium",
                "impact": "medium",
                "trigger": {"metric": "avg_handle_time", "op": ">", "value": 405, "after": D("2026-10-05")},
                "contingency": "Coach the ten slowest agents; shorten the wrap-up form",
            },
        ],
        "cadence": cadence(["tomas", "mei", "dana"]),
        "escalation": ESCALATION,
        "changes": [
            {
                "id": "C1",
                "requested_on": D("2026-09-22"),
                "by": "grace",
                "description": "Add a Spanish IVR menu",
                "impact": {"days": 5, "cost": 2000, "scope": "10 extra numbers, one IVR flow"},
                "status": "approved",
                "decided_on": D("2026-09-24"),
                "decided_by": "priya",
                "affects": ["M5", "numbers_provisioned"],
            },
        ],
        "decisions": [
            {
                "on": D("2026-09-14"),
                "decision": "Start the first campaign with 12 agents",
                "rationale": "M2 met a day late; a small first campaign limits the blast radius",
                "by": ["grace", "dana"],
            },
            {
                "on": D("2026-10-07"),
                "decision": "Move to the optimise phase",
                "rationale": "M4 met: the full team takes calls on the new platform",
                "by": ["grace"],
            },
        ],
        "glossary": GLOSSARY
        | {
            "service level": "Share of calls answered within 20 seconds",
            "handle time": "Talk time plus hold plus wrap-up, per call",
        },
    }


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


DEMO_PLANS = {"northwind": northwind_plan, "acme": acme_plan, "fernhill": fernhill_plan}
