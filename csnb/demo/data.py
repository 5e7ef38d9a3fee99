"""Deterministic synthetic metric data: the demo clients' daily observations and benchmark generators.

The demo series are designed against the status rules so that, at ``AS_OF``, the demo plans show
every metric and milestone status. Weekly metrics get noise that is centred within each week, so
their weekly means follow the designed path exactly whatever the seed; only the day-to-day texture
and the lead/lag noise change with the seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd

AS_OF = dt.date(2026, 10, 15)  # the demo's "today": a Thursday, so the current week is partial
# `make demo` reports on these Thursdays, oldest first, so that each report compares with the one a week
# before it: the series below move between them (a lead turns at risk, a milestone completes, a goal is
# missed, a milestone goes late), so the last week's "what changed" has real news for every client.
REPORT_WEEKS = tuple(AS_OF - dt.timedelta(weeks=n) for n in (3, 2, 1, 0))
HISTORY_START = dt.date(2026, 6, 1)
SYNTHETIC_START = dt.date(2025, 1, 1)

Series = tuple[str, str, np.ndarray, np.ndarray]  # client, metric, days (datetime64[D]), values


def days_between(start: dt.date, end: dt.date = AS_OF) -> np.ndarray:
    """Every calendar day from ``start`` to ``end`` inclusive, as ``datetime64[D]``."""
    return np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)


def steps(days: np.ndarray, points: dict[dt.date, float]) -> np.ndarray:
    """A step function: on each day, the value of the latest point at or before it."""
    at = np.array(sorted(points), dtype="datetime64[D]")
    values = np.array([points[d] for d in sorted(points)], dtype=float)
    return values[np.clip(np.searchsorted(at, days, side="right") - 1, 0, None)]


def ramp(days: np.ndarray, points: dict[dt.date, float]) -> np.ndarray:
    """Linear interpolation between dated points, flat before the first and after the last."""
    at = np.array(sorted(points), dtype="datetime64[D]").astype(np.int64)
    values = [points[d] for d in sorted(points)]
    return np.interp(days.astype(np.int64), at, values)


def week_of(days: np.ndarray) -> np.ndarray:
    """The Monday starting each day's week, as ``datetime64[D]``."""
    n = days.astype(np.int64)
    return (n - (n + 3) % 7).astype("datetime64[D]")  # 1970-01-01 was a Thursday


def weekly(rng: np.random.Generator, days: np.ndarray, levels: dict[dt.date, float], sd: float) -> np.ndarray:
    """Daily values whose mean over each Monday-week is exactly that week's level (noise centred per week)."""
    level = steps(days, levels)
    noise = rng.normal(0.0, sd, len(days))
    weeks = week_of(days)
    _, group = np.unique(weeks, return_inverse=True)
    centred = noise - (np.bincount(group, noise) / np.bincount(group))[group]
    return level + centred


def _monday(start: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(weeks=i) for i in range(n)]


def northwind(rng: np.random.Generator) -> Iterator[Series]:
    """Cloud call-centre rollout at a BPO: numbers, agents trained -> live (2 days later), campaigns, KPIs."""
    c, days = "northwind", days_between(dt.date(2026, 9, 7))
    yield from _northwind_agents(rng, c, days)
    campaign_days = days_between(dt.date(2026, 9, 14))
    on_campaign = np.round(
        ramp(
            campaign_days,
            {
                dt.date(2026, 9, 14): 12,
                dt.date(2026, 9, 20): 20,
                dt.date(2026, 10, 2): 101,
                dt.date(2026, 10, 15): 104,
            },
        )
    )
    yield c, "agents_on_campaign", campaign_days, on_campaign
    weeks = _monday(dt.date(2026, 9, 14), 5)
    # weekly levels (the last is the current, partial week) and the day-to-day noise around them
    for metric, levels, sd in (
        ("calls_per_agent", [40.5, 41.5, 42.5, 43.5, 44.0], 1.5),
        ("service_level", [72, 74, 76.5, 78.5, 80], 2),
        ("avg_handle_time", [418, 410, 403, 397, 393.5], 6),
    ):
        yield c, metric, campaign_days, weekly(rng, campaign_days, dict(zip(weeks, levels, strict=True)), sd)


def _northwind_agents(rng: np.random.Generator, c: str, days: np.ndarray) -> Iterator[Series]:
    """Numbers provisioned, and agents trained, then live two days later, less a few leavers."""
    yield (
        c,
        "numbers_provisioned",
        days,
        steps(
            days,
            {
                dt.date(2026, 9, 7): 40,
                dt.date(2026, 9, 8): 90,
                dt.date(2026, 9, 9): 120,
                dt.date(2026, 10, 1): 130,
            },
        ),
    )
    # training in batches on days 4-8, then new hires now and then
    trained = steps(
        days,
        {
            dt.date(2026, 9, 7): 0,
            dt.date(2026, 9, 10): 15,
            dt.date(2026, 9, 11): 40,
            dt.date(2026, 9, 12): 70,
            dt.date(2026, 9, 13): 95,
            dt.date(2026, 9, 14): 104,
        },
    )
    hires = np.where(
        (days > np.datetime64("2026-09-14")) & (rng.random(len(days)) < 0.25),
        rng.integers(1, 4, len(days)),
        0,
    )
    trained = trained + np.cumsum(hires)
    yield c, "agents_trained", days, trained
    # an agent goes live two days after training; a few leave along the way
    leavers = np.cumsum(np.where(rng.random(len(days)) < 0.12, 1, 0) * (days > np.datetime64("2026-09-18")))
    live = np.r_[0.0, 0.0, trained[:-2]] - leavers
    yield c, "agents_live", days, live


def _increments(rng: np.random.Generator, n: int, total: float) -> np.ndarray:
    """``n`` irregular positive steps that add up to exactly ``total``."""
    raw = rng.uniform(0.3, 1.7, n)
    return raw / raw.sum() * total


def acme(rng: np.random.Generator) -> Iterator[Series]:
    """Routing adoption at a logistics company: auto-planned share leads manual routing time by one week."""
    c = "acme"
    lead_weeks = _monday(dt.date(2026, 7, 13), 14)  # engine connected on 13 July; current week is 12 Oct
    share = np.r_[0.0, np.cumsum(np.r_[_increments(rng, 7, 15.0), _increments(rng, 6, 38.0)])]
    days = days_between(lead_weeks[0])
    yield c, "auto_planned_share", days, weekly(rng, days, dict(zip(lead_weeks, share, strict=True)), 1.0)
    history = days_between(HISTORY_START)
    all_weeks = _monday(HISTORY_START, len(lead_weeks) + 6)
    previous_share = np.r_[np.zeros(7), share[:-1]]  # the share one week earlier, 0 before the engine
    minutes = 640 - 2.5 * previous_share + rng.normal(0, 2.5, len(all_weeks))
    yield c, "routing_minutes", history, weekly(rng, history, dict(zip(all_weeks, minutes, strict=True)), 12)
    on_time = np.r_[np.full(13, 91.0), np.linspace(91.2, 92.8, 7)] + rng.normal(0, 0.2, len(all_weeks))
    on_time[-1] = 92.8  # the current week is pinned so the status holds for any seed
    on_time_levels = dict(zip(all_weeks, on_time, strict=True))
    yield c, "on_time_delivery", history, weekly(rng, history, on_time_levels, 0.8)


def fernhill(rng: np.random.Generator) -> Iterator[Series]:
    """Analytics onboarding at a grocery retailer: stores connect slowly; newsletter opens predict nothing."""
    c = "fernhill"
    days = days_between(dt.date(2026, 7, 1))  # three pilot stores since July
    yield (
        c,
        "stores_connected",
        days,
        steps(
            days,
            {
                dt.date(2026, 7, 1): 3,
                dt.date(2026, 9, 23): 5,
                dt.date(2026, 9, 30): 8,
                dt.date(2026, 10, 7): 10,
                dt.date(2026, 10, 13): 12,
            },
        ),
    )
    trend = ramp(days, {dt.date(2026, 7, 1): 26, dt.date(2026, 9, 14): 30, dt.date(2026, 10, 15): 128})
    yield c, "daily_active_users", days, np.round(trend + rng.normal(0, 4, len(days)))
    yield c, "newsletter_opens", days, rng.poisson(45, len(days)).astype(float)
    # forecast_accuracy has no rows: it needs the POS feed, which is not connected yet


DEMO_CLIENTS = (northwind, acme, fernhill)


def demo_series(seed: int = 7) -> list[Series]:
    """Every demo series, in a fixed order, rounded to 2 decimals so files are identical across platforms."""
    rng = np.random.default_rng(seed)
    out = []
    for client in DEMO_CLIENTS:
        for name, metric, days, values in client(rng):
            out.append((name, metric, days, np.round(np.asarray(values, dtype=float), 2)))
    return out


def demo_observations(seed: int = 7) -> pd.DataFrame:
    """The demo series as one tidy frame: client, metric, date, value."""
    parts = [
        pd.DataFrame({"client": c, "metric": m, "date": d.astype("datetime64[ns]"), "value": v})
        for c, m, d, v in demo_series(seed)
    ]
    return pd.concat(parts, ignore_index=True)


# -- benchmark generators ---------------------------------------------------------------------------
# synthetic_plan(i) and synthetic_observations(n) share these shapes, so plan i evaluates on its rows.


def synthetic_client(index: int) -> str:
    """The client id of synthetic plan ``index``."""
    return f"client-{index:05d}"


def synthetic_metric(j: int) -> str:
    """The id of synthetic metric ``j``."""
    return f"m{j:02d}"


def _base(j: int) -> float:
    return 100.0 + 50.0 * j


def _direction(j: int) -> int:
    return -1 if j % 4 == 3 else 1


def synthetic_observations(
    n_clients: int, n_metrics: int = 10, days: int = 730, seed: int = 7
) -> pd.DataFrame:
    """Daily observations of every synthetic client and metric (tidy; client and metric are categoricals)."""
    rng = np.random.default_rng(seed)
    sign = np.array([_direction(j) for j in range(n_metrics)], dtype=float)
    base = np.array([_base(j) for j in range(n_metrics)])
    # growth per year, towards the metric's better side for most clients, the wrong way for a few
    growth = rng.uniform(-0.1, 0.5, (n_clients, n_metrics)) * sign
    t = np.arange(days, dtype=float) / 365.0
    noise = rng.standard_normal((n_clients, n_metrics, days)) * (0.03 * base)[None, :, None]
    values = base[None, :, None] * (1.0 + growth[:, :, None] * t[None, None, :]) + noise
    clients = pd.Categorical.from_codes(
        np.repeat(np.arange(n_clients), n_metrics * days),
        categories=[synthetic_client(i) for i in range(n_clients)],
    )
    metrics = pd.Categorical.from_codes(
        np.tile(np.repeat(np.arange(n_metrics), days), n_clients),
        categories=[synthetic_metric(j) for j in range(n_metrics)],
    )
    dates = np.datetime64(SYNTHETIC_START, "D") + np.arange(days)
    return pd.DataFrame(
        {
            "client": clients,
            "metric": metrics,
            "date": np.tile(dates, n_clients * n_metrics).astype("datetime64[ns]"),
            "value": values.ravel(),
        }
    )


def _synthetic_metrics(rng: np.random.Generator, n_metrics: int) -> list[dict]:
    out = []
    for j in range(n_metrics):
        start = SYNTHETIC_START + dt.timedelta(days=int(30 + rng.integers(0, 60)))
        sign, base = _direction(j), _base(j)
        is_lead = j % 3 == 2
        out.append(
            {
                "id": synthetic_metric(j),
                "name": f"Metric {j}",
                "kind": "lead" if is_lead else "lag",
                "leads": [synthetic_metric(j - 1)] if is_lead else [],
                "unit": "units",
                "direction": "up" if sign > 0 else "down",
                "source": "warehouse",
                "query": "SELECT date, value FROM observations WHERE client = :client AND metric = :metric "
                "AND date BETWEEN :start AND :end",
                "aggregate": ("mean", "last", "mean", "max", "mean")[j % 5],
                "frequency": ("week", "day", "week", "month", "week")[j % 5],
                "baseline": {"value": base, "date": start},
                "target": {
                    "value": round(base * (1 + sign * float(rng.uniform(0.1, 0.4))), 2),
                    "date": start + dt.timedelta(days=int(rng.integers(180, 400))),
                },
                "tolerance": 0.1,
                "owner": "csm",
            }
        )
    return out


def _synthetic_milestones(n_milestones: int, n_metrics: int) -> list[dict]:
    out = []
    for k in range(n_milestones):
        j = (3 * k) % n_metrics
        start = SYNTHETIC_START + dt.timedelta(days=30 + 60 * k)
        criteria: list[dict] = [
            {
                "metric": synthetic_metric(j),
                "op": ">=" if _direction(j) > 0 else "<=",
                "value": round(_base(j) * (1 + _direction(j) * 0.04 * (k + 1)), 2),
            }
        ]
        if k % 2 == 0:
            criteria.append(
                {"check": "Sign-off by the client", "done": True, "done_on": start + dt.timedelta(days=10)}
            )
        out.append(
            {
                "id": f"M{k + 1}",
                "title": f"Milestone {k + 1}",
                "stage": ("onboarding", "adoption", "value", "renewal", "expansion")[min(k, 4)],
                "owner": "csm",
                "start": start,
                "due": start + dt.timedelta(days=45),
                "depends_on": [f"M{k}"] if k else [],
                "criteria": criteria,
                "raci": {"responsible": ["csm"], "accountable": ["sponsor"]},
            }
        )
    return out


def synthetic_plan(index: int, seed: int = 7, n_metrics: int = 10, n_milestones: int = 6) -> dict:
    """A valid plan (as a dict) for synthetic client ``index``, matching ``synthetic_observations`` ids."""
    rng = np.random.default_rng([seed, index])
    metrics = _synthetic_metrics(rng, n_metrics)
    lags = [m["id"] for m in metrics if m["kind"] == "lag"]
    plan: dict = {
        "client": {"id": synthetic_client(index), "name": f"Synthetic Client {index}"},
        "people": [
            {
                "id": "csm",
                "name": "Casey Morgan",
                "side": "provider",
                "role": "Customer Success Manager",
                "email": "casey.morgan@example.com",
            },
            {
                "id": "sponsor",
                "name": "Robin Shaw",
                "side": "client",
                "role": "Executive Sponsor",
                "email": "robin.shaw@example.org",
                "executive": True,
            },
        ],
        "goals": [
            {"id": "outcomes", "statement": "Move every outcome metric to its target", "metrics": lags}
        ],
        "sources": {"warehouse": {"kind": "sql", "url": "${CSNB_WAREHOUSE_URL:-sqlite:///warehouse.db}"}},
        "metrics": metrics,
        "milestones": _synthetic_milestones(n_milestones, n_metrics),
        "risks": [
            {
                "id": "R1",
                "description": "The first outcome stalls",
                "owner": "csm",
                "likelihood": "medium",
                "impact": "high",
                "trigger": {
                    "metric": lags[0],
                    "op": "<" if _direction(0) > 0 else ">",
                    "value": _base(0),
                    "after": dt.date(2025, 6, 1),
                },
                "contingency": "Weekly working session with the client team",
            }
        ],
        "cadence": [
            {
                "ritual": "weekly-update",
                "rrule": "FREQ=WEEKLY;BYDAY=MO",
                "audience": "operator",
                "recipients": ["sponsor"],
            }
        ],
    }
    return plan
