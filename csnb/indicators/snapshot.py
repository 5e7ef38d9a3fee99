"""``Snapshot``: every status of one plan at one ``as_of``, as frames; and the diff of two snapshots.

Frames (one row per item; dates are ``datetime.date``; missing numbers are NaN):

``metrics``   client, metric, name, kind (lead|lag), unit, direction (up|down), frequency, aggregate,
              baseline, baseline_date, target, target_date, tolerance, owner, max_age (days),
              current (value of the latest period that counts), current_date (last observation in
              that period), newest_date (newest observation at or before ``as_of``), age_days
              (``as_of`` - newest_date), stale (age_days > max_age), previous (period before),
              delta (current - previous), progress, expected (glide path at current_date), status
              (achieved|on_track|at_risk|off_track|missed|no_data|error), error (the source's message),
              trend (slope per period, in units), forecast_date (date the trend reaches target, on or
              after ``as_of`` unless achieved; None when it does not), periods (count)
``series``    client, metric, date (period start), observed (its last observation), value — aggregated to
              each metric's frequency; the periods that count at ``as_of`` only (no partial sum or count)
``leads``     client, lead, lag, shift (periods), r, n, best (bool) — every shift tried
``lead_checks`` client, lead, lag, best_shift, best_r, predicts (True, False = "predicts nothing", None =
              "cannot tell"), verdict (predicts|predicts nothing|cannot tell), reason
``milestones`` client, milestone, title, stage, owner, start, due, status
              (done|late|blocked|at_risk|not_started|on_track), achieved_on, slip_days, critical (bool),
              leap (bool), depends_on (tuple), blocked_by (tuple), criteria_met, criteria_total
``criteria``  client, milestone, index, label, kind (metric|check), metric, op, value, current, holds (bool)
``risks``     client, risk, description, owner, likelihood, impact, metric, op, value, after, current,
              status (triggered|clear), contingency
``inputs``    client, milestone, description, owner, needed_by, received_on, status
              (received|overdue|open), days_overdue, milestone_done (bool)
``goals``     client, goal, statement, metrics (tuple), status (worst status of its metrics)
``health``    a ``Health``: score (0-100 or None), band (green|amber|red|unknown), components frame
              (input, kind: lag|lead|milestone, status, points, weight, missing: ""|no_data|stale|error),
              ``missing`` (inputs left out of the score) and ``capped_by`` (the goals that keep it from green)
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
    capped_by: tuple[dict[str, str], ...] = ()  # goal, statement, metric, name, status


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
    inputs: pd.DataFrame = field(default_factory=pd.DataFrame)
