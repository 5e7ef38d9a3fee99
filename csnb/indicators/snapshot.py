"""``Snapshot``: every status of one plan at one ``as_of``, as frames; and the diff of two snapshots.

Frames (one row per item; dates are ``datetime.date``; missing numbers are NaN):

``metrics``   client, metric, name, kind (lead|lag), unit, direction (up|down), frequency, aggregate,
              baseline, baseline_date, target, target_date, tolerance, owner,
              current, current_date (start of the period holding ``current``), previous (period before),
              delta (current - previous), progress, expected, status
              (achieved|on_track|at_risk|off_track|missed|no_data), trend (slope per period, in units),
              forecast_date (date the trend reaches target, NaT/None when it does not), periods (count)
``series``    client, metric, date (period start), value — aggregated to each metric's frequency,
              periods at or before ``as_of`` only
``leads``     client, lead, lag, shift (periods), r, best (bool) — every shift tried
``lead_checks`` client, lead, lag, best_shift, best_r, predicts (bool; False = "predicts nothing")
``milestones`` client, milestone, title, stage, owner, start, due, status
              (done|late|blocked|at_risk|not_started|on_track), achieved_on, slip_days, critical (bool),
              leap (bool), depends_on (tuple), blocked_by (tuple), criteria_met, criteria_total
``criteria``  client, milestone, index, label, kind (metric|check), metric, op, value, current, holds (bool)
``risks``     client, risk, description, owner, likelihood, impact, metric, op, value, after, current,
              status (triggered|clear), contingency
``goals``     client, goal, statement, metrics (tuple), status (worst status of its metrics)
``health``    a ``Health``: score (0-100 or None), band (green|amber|red|unknown), components frame
              (input, kind: lag|lead|milestone, status, points, weight) and ``missing`` (inputs with no data)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Health:
    """The 0-100 health score, its band and the inputs it was computed from."""

    score: float | None
    band: str
    components: pd.DataFrame
    missing: tuple[str, ...] = ()


@dataclass
class Snapshot:
    """All statuses of one plan at ``as_of``."""

    client: str
    as_of: dt.date
    metrics: pd.DataFrame
    series: pd.DataFrame
    leads: pd.DataFrame
    lead_checks: pd.DataFrame
    milestones: pd.DataFrame
    criteria: pd.DataFrame
    risks: pd.DataFrame
    goals: pd.DataFrame
    health: Health
    source_errors: list = field(default_factory=list)
