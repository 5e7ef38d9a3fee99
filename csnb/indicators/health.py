"""The health score: 0-100 from metric and milestone statuses, with missing inputs left out, not zeroed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from csnb.indicators.snapshot import Health

# Points per status; a status not listed (no_data) is a *missing* input: its weight is redistributed.
METRIC_POINTS = {"achieved": 100, "on_track": 100, "at_risk": 50, "off_track": 0, "missed": 0}
MILESTONE_POINTS = {"done": 100, "on_track": 100, "at_risk": 50, "blocked": 25, "late": 0}
WEIGHTS = {"lag": 2.0, "lead": 1.0, "milestone": 1.0}  # outcomes weigh more than forward signals
GREEN, AMBER = 75, 50
COMPONENT_COLUMNS = ["client", "input", "kind", "status", "points", "weight"]


def band(score: float | None) -> str:
    """green >= 75, amber >= 50, red below; unknown without inputs."""
    if score is None or np.isnan(score):
        return "unknown"
    return "green" if score >= GREEN else "amber" if score >= AMBER else "red"


def components(metrics: pd.DataFrame, milestones: pd.DataFrame) -> pd.DataFrame:
    """One row per health input: metric or milestone, its status, points and weight (0 when not counted)."""
    m = pd.DataFrame(
        {
            "client": metrics["client"],
            "input": metrics["metric"],
            "kind": metrics["kind"],
            "status": metrics["status"],
        }
    )
    m["points"] = m["status"].map(METRIC_POINTS).astype(float)
    # not_started milestones are not evidence either way: they carry no weight and are not "missing"
    ms = pd.DataFrame(
        {
            "client": milestones["client"],
            "input": milestones["milestone"],
            "kind": "milestone",
            "status": milestones["status"],
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
    """(score, band, missing inputs) of each client from the portfolio's components."""
    wp = (comp["weight"] * comp["points"].fillna(0)).to_numpy(float)
    codes, uniq = pd.factorize(comp["client"])
    wsum = np.bincount(codes, comp["weight"].to_numpy(float), len(uniq)) if len(comp) else np.zeros(0)
    psum = np.bincount(codes, wp, len(uniq)) if len(comp) else np.zeros(0)
    pos = dict(zip(uniq, range(len(uniq)), strict=False))
    miss = comp[(comp["kind"] != "milestone") & comp["points"].isna()]
    missing: dict[str, list[str]] = {}
    for client, name in zip(miss["client"], miss["input"], strict=False):
        missing.setdefault(client, []).append(name)
    out = {}
    for client in clients:
        i = pos.get(client)
        score = round(float(psum[i] / wsum[i]), 1) if i is not None and wsum[i] > 0 else None
        out[client] = (score, band(score), tuple(missing.get(client, ())))
    return out


def health(parts: tuple[float | None, str, tuple[str, ...]], comp: pd.DataFrame) -> Health:
    """A client's ``Health`` from its (score, band, missing) and its component rows."""
    score, colour, missing = parts
    return Health(score=score, band=colour, components=comp.reset_index(drop=True), missing=missing)
