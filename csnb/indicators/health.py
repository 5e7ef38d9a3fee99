"""The health score: 0-100 from metric and milestone statuses, with missing inputs left out, not zeroed.

A metric with no data, a failed source or stale data is *missing*: it carries no weight, the others
are re-weighted, and it is named. The band is never green while a goal's lag metric is missed or off
track: a good average must not hide the outcome the client bought.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csnb.indicators.snapshot import Health

# Points per status; a status not listed (no_data, error) is a *missing* input: its weight is redistributed.
METRIC_POINTS = {"achieved": 100, "on_track": 100, "at_risk": 50, "off_track": 0, "missed": 0}
MILESTONE_POINTS = {"done": 100, "on_track": 100, "at_risk": 50, "blocked": 25, "late": 0}
WEIGHTS = {"lag": 2.0, "lead": 1.0, "milestone": 1.0}  # outcomes weigh more than forward signals
GREEN, AMBER = 75, 50
CAPPING = ("missed", "off_track")  # a goal's lag metric in one of these keeps the band below green
COMPONENT_COLUMNS = ["client", "input", "kind", "status", "points", "weight", "missing"]


def band(score: float | None) -> str:
    """green >= 75, amber >= 50, red below; unknown without inputs."""
    if score is None or np.isnan(score):
        return "unknown"
    return "green" if score >= GREEN else "amber" if score >= AMBER else "red"


def _missing_reason(metrics: pd.DataFrame) -> np.ndarray:
    """Why a metric is left out of the score: ``error``, ``no_data`` or ``stale`` ("" when it counts)."""
    status = metrics["status"].to_numpy(dtype=object)
    stale = metrics["stale"].to_numpy(dtype=bool) if "stale" in metrics else np.zeros(len(metrics), bool)
    return np.select(
        [status == "error", status == "no_data", stale], ["error", "no_data", "stale"], default=""
    ).astype(object)


def components(metrics: pd.DataFrame, milestones: pd.DataFrame) -> pd.DataFrame:
    """One row per health input: its status, points, weight (0 when not counted) and why it is missing."""
    m = pd.DataFrame(
        {
            "client": metrics["client"],
            "input": metrics["metric"],
            "kind": metrics["kind"],
            "status": metrics["status"],
            "missing": _missing_reason(metrics),
        }
    )
    m["points"] = m["status"].map(METRIC_POINTS).astype(float).where(m["missing"] == "")
    # not_started milestones are not evidence either way: they carry no weight and are not "missing"
    ms = pd.DataFrame(
        {
            "client": milestones["client"],
            "input": milestones["milestone"],
            "kind": "milestone",
            "status": milestones["status"],
            "missing": "",
        }
    )
    ms = ms[~milestones["leap"].astype(bool)] if "leap" in milestones else ms
    ms["points"] = ms["status"].map(MILESTONE_POINTS).astype(float)
    both = pd.concat([m, ms], ignore_index=True) if len(ms) and len(m) else (ms if len(ms) else m)
    both["weight"] = np.where(both["points"].isna(), 0.0, both["kind"].map(WEIGHTS).astype(float))
    return both[COMPONENT_COLUMNS]


def health_by_client(
    comp: pd.DataFrame, clients: list[str]
) -> dict[str, tuple[float | None, str, tuple[str, ...]]]:
    """(score, band before any cap, missing inputs) of each client from the portfolio's components."""
    wp = (comp["weight"] * comp["points"].fillna(0)).to_numpy(float)
    codes, uniq = pd.factorize(comp["client"])
    wsum = np.bincount(codes, comp["weight"].to_numpy(float), len(uniq)) if len(comp) else np.zeros(0)
    psum = np.bincount(codes, wp, len(uniq)) if len(comp) else np.zeros(0)
    pos = dict(zip(uniq, range(len(uniq)), strict=False))
    miss = comp[comp["missing"].astype(bool)] if len(comp) else comp
    missing: dict[str, list[str]] = {}
    for client, name in zip(miss["client"], miss["input"], strict=False):
        missing.setdefault(client, []).append(name)
    out = {}
    for client in clients:
        i = pos.get(client)
        score = round(float(psum[i] / wsum[i]), 1) if i is not None and wsum[i] > 0 else None
        out[client] = (score, band(score), tuple(missing.get(client, ())))
    return out


def caps(goals: pd.DataFrame, metrics: pd.DataFrame) -> tuple[dict[str, str], ...]:
    """The goals whose lag metric is missed or off track, worst first: each keeps the band below green."""
    lag = metrics[(metrics["kind"] == "lag") & metrics["status"].isin(CAPPING)] if len(metrics) else metrics
    if not len(lag) or not len(goals):
        return ()
    found = {m: (s, n) for m, s, n in zip(lag["metric"], lag["status"], lag["name"], strict=True)}
    out = []
    for goal, statement, ids in zip(goals["goal"], goals["statement"], goals["metrics"], strict=True):
        for metric in ids:
            if metric in found:
                status, name = found[metric]
                out.append(
                    {"goal": goal, "statement": statement, "metric": metric, "name": name, "status": status}
                )
    return tuple(sorted(out, key=lambda c: CAPPING.index(c["status"])))


def cap_reason(cap: dict[str, str]) -> str:
    """The sentence that says why the band is capped: 'goal "..." is missed (Calls per agent)'."""
    return f"goal “{cap['statement']}” is {cap['status'].replace('_', ' ')} ({cap['name']})"


def health(
    parts: tuple[float | None, str, tuple[str, ...]],
    comp: pd.DataFrame,
    goals: pd.DataFrame | None = None,
    metrics: pd.DataFrame | None = None,
) -> Health:
    """A client's ``Health`` from its (score, band, missing), components, and the goals that cap the band."""
    score, colour, missing = parts
    capped = caps(goals, metrics) if goals is not None and metrics is not None else ()
    if colour == "green" and capped:
        colour = "amber"
    else:
        capped = ()  # only a cap that changed the band is reported as one
    return Health(
        score=score,
        band=colour,
        components=comp.reset_index(drop=True),
        missing=missing,
        capped_by=capped,
    )
