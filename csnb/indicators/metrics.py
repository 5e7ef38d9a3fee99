"""Lead/lag indicators: aggregation, current, progress, glide path, freshness, status, trend, forecast.

A metric is judged at the date of its own latest data (``current_date``), not at ``as_of``: a value
from last Wednesday is compared with where the glide path was last Wednesday, so the status agrees
with the chart and does not move while no data arrives. Data older than the metric's freshness limit
is flagged ``stale`` rather than judged again.

Everything works on whole-portfolio frames with numpy so a thousand clients compute in seconds; a
plan's metrics are rows of the *metric table* and its observations are the tidy frame
``client, metric, date, value`` that the sources return.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from csnb.indicators.periods import (
    FREQ_CODES,
    PERIOD_DAYS,
    day_number,
    from_day_number,
    ordinal,
    period_end,
    period_start,
)
from csnb.plan.models import Metric, Plan

METRIC_STATUSES = ("achieved", "on_track", "at_risk", "off_track", "missed", "no_data", "error")
EPS = 1e-9  # progress exactly on a boundary counts as reaching it (float error must not flip a status)
AGG_CODES = {"sum": 0, "mean": 1, "last": 2, "min": 3, "max": 4, "count": 5}
PARTIAL_NOT_COMPARABLE = (AGG_CODES["sum"], AGG_CODES["count"])  # a part-week sum is not a week's sum
# Days after which a metric's newest data is stale, unless the plan sets ``freshness_days``: a weekly
# metric may miss one delivery (7 days) plus a weekend before its data is called old.
DEFAULT_MAX_AGE = {"day": 2, "week": 10, "month": 35}


TABLE_COLUMNS = [
    "client",
    "metric",
    "name",
    "kind",
    "unit",
    "direction",
    "better",
    "frequency",
    "freq_code",
    "aggregate",
    "agg_code",
    "baseline",
    "baseline_date",
    "target",
    "target_date",
    "tolerance",
    "owner",
    "leads_to",
    "trend_periods",
    "lead_max_shift",
    "lead_min_r",
    "max_age",
]


def max_age(metric: Metric) -> int:
    """Days after which the metric's newest data is stale: ``freshness_days`` or the frequency's default."""
    return metric.freshness_days if metric.freshness_days is not None else DEFAULT_MAX_AGE[metric.frequency]


def metric_table(plans: Iterable[Plan]) -> pd.DataFrame:
    """One row per (client, metric) with every setting the engine needs; row number is the metric key."""
    rows = []
    for plan in plans:
        s = plan.settings
        for m in plan.metrics:
            rows.append(
                {
                    "client": plan.client.id,
                    "metric": m.id,
                    "name": m.name,
                    "kind": m.kind,
                    "unit": m.unit,
                    "direction": m.direction,
                    "better": m.better,
                    "frequency": m.frequency,
                    "freq_code": FREQ_CODES[m.frequency],
                    "aggregate": m.aggregate,
                    "agg_code": AGG_CODES[m.aggregate],
                    "baseline": m.baseline.value,
                    "baseline_date": m.baseline.date,
                    "target": m.target.value,
                    "target_date": m.target.date,
                    "tolerance": m.tolerance,
                    "owner": m.owner,
                    "leads_to": tuple(m.leads),
                    "trend_periods": s.trend_periods,
                    "lead_max_shift": s.lead_max_shift,
                    "lead_min_r": s.lead_min_r,
                    "max_age": max_age(m),
                }
            )
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    if table.empty:
        numeric = {
            c: np.int64
            for c in ("better", "freq_code", "agg_code", "trend_periods", "lead_max_shift", "max_age")
        }
        numeric.update({c: float for c in ("baseline", "target", "tolerance", "lead_min_r")})
        return table.astype(numeric).assign(
            baseline_day=pd.Series(dtype=np.int64), target_day=pd.Series(dtype=np.int64)
        )
    table["baseline_day"] = [day_number(d) for d in table["baseline_date"]]
    table["target_day"] = [day_number(d) for d in table["target_date"]]
    return table


def _keys(obs: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """The metric-table row of each observation (-1 when the plan has no such metric)."""
    c_codes, c_uniq = pd.factorize(obs["client"])
    m_codes, m_uniq = pd.factorize(obs["metric"])
    c_pos = pd.Index(c_uniq).get_indexer(table["client"])
    m_pos = pd.Index(m_uniq).get_indexer(table["metric"])
    lookup = np.full(len(c_uniq) * max(len(m_uniq), 1), -1, dtype=np.int64)
    ok = (c_pos >= 0) & (m_pos >= 0)
    lookup[c_pos[ok] * len(m_uniq) + m_pos[ok]] = np.flatnonzero(ok)
    return lookup[c_codes * len(m_uniq) + m_codes] if len(obs) else np.empty(0, dtype=np.int64)


SERIES_COLUMNS = {"key": np.int64, "period": np.int64, "value": float, "observed": np.int64}


def _empty_series() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in SERIES_COLUMNS.items()})


def aggregate_series(
    obs: pd.DataFrame, table: pd.DataFrame, as_of: dt.date
) -> tuple[pd.DataFrame, np.ndarray]:
    """The series of periods that count at ``as_of``, and each metric's newest observation day (-1: none).

    Series columns: key (metric-table row), period (start day number), value (the metric's aggregate),
    observed (day number of the period's last observation). For ``sum`` and ``count`` the period that
    holds ``as_of`` counts only once complete; its observations still make the data fresh.
    """
    newest = np.full(len(table), -1, dtype=np.int64)
    if obs is None or obs.empty or table.empty:
        return _empty_series(), newest
    days = obs["date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    values = obs["value"].to_numpy(dtype=float)
    keys = _keys(obs, table)
    keep = (keys >= 0) & (days <= day_number(as_of)) & ~np.isnan(values)
    keys, days, values = keys[keep], days[keep], values[keep]
    if not len(keys):
        return _empty_series(), newest
    freq = table["freq_code"].to_numpy()[keys]
    periods = period_start(days, freq)
    # only a sum or count period that starts within a month of as_of can still be incomplete
    today = day_number(as_of)
    partial = np.isin(table["agg_code"].to_numpy(), PARTIAL_NOT_COMPARABLE)[keys] & (periods > today - 31)
    counts = np.ones(len(keys), dtype=bool)
    counts[partial] = period_end(periods[partial], freq[partial]) <= today
    np.maximum.at(newest, keys[~counts], days[~counts])  # a partial period's data is still fresh data
    keys, days, values, periods = keys[counts], days[counts], values[counts], periods[counts]
    if not len(keys):
        return _empty_series(), newest
    series = _buckets(keys, days, values, periods, table["agg_code"].to_numpy())
    # per bucket, not per row: one maximum per period keeps a 7-million-row portfolio fast
    np.maximum.at(newest, series["key"].to_numpy(), series["observed"].to_numpy())
    return series, newest


def _buckets(
    keys: np.ndarray, days: np.ndarray, values: np.ndarray, periods: np.ndarray, agg_codes: np.ndarray
) -> pd.DataFrame:
    """One row per (metric, period) with the metric's aggregate and the period's last observation day."""
    gid = keys * (1 << 24) + (periods - periods.min())
    order = np.lexsort((days, gid))  # within a bucket, by date, so "last" is the latest observation
    gid, values, keys, periods, days = gid[order], values[order], keys[order], periods[order], days[order]
    starts = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]])
    ends = np.r_[starts[1:], len(gid)]
    count = (ends - starts).astype(float)
    total = np.add.reduceat(values, starts)
    stats = np.vstack(
        [
            total,
            total / count,
            values[ends - 1],
            np.minimum.reduceat(values, starts),
            np.maximum.reduceat(values, starts),
            count,
        ]
    )
    agg = agg_codes[keys[starts]]
    return pd.DataFrame(
        {
            "key": keys[starts],
            "period": periods[starts],
            "value": stats[agg, np.arange(len(starts))],
            "observed": days[ends - 1],
        }
    )


def aggregate(obs: pd.DataFrame, table: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Each metric's series bucketed by frequency with its aggregate: the periods that count at ``as_of``."""
    return aggregate_series(obs, table, as_of)[0]


def _group_bounds(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end index of each key's run in a key-sorted array (empty runs where absent)."""
    start = np.searchsorted(keys, np.arange(n), side="left")
    end = np.searchsorted(keys, np.arange(n), side="right")
    return start, end


def _trend(series: pd.DataFrame, table: pd.DataFrame, end: np.ndarray) -> np.ndarray:
    """Least-squares slope (units per period) over each metric's last N periods; NaN under 2 periods."""
    n = len(table)
    keys = series["key"].to_numpy()
    if not len(keys):
        return np.full(n, np.nan)
    from_end = end[keys] - 1 - np.arange(len(keys))
    use = from_end < table["trend_periods"].to_numpy()[keys]
    k, days, y = keys[use], series["period"].to_numpy()[use], series["value"].to_numpy()[use]
    freq = table["freq_code"].to_numpy()[k]
    x = np.zeros(len(k), dtype=float)
    for code in (0, 1, 2):  # period numbers, so a short February is still one period
        sel = freq == code
        x[sel] = ordinal(days[sel], code)
    sn = np.bincount(k, minlength=n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        # centred sums: raw day numbers are large and uncentred sums lose precision to cancellation
        dx = x - (np.bincount(k, x, n) / sn)[k]
        dy = y - (np.bincount(k, y, n) / sn)[k]
        sxx, sxy = np.bincount(k, dx * dx, n), np.bincount(k, dx * dy, n)
        slope = sxy / sxx
    return np.where((sn >= 2) & (sxx > EPS), slope, np.nan)


def classify(
    progress: np.ndarray, expected: np.ndarray, tolerance: np.ndarray, past_target: np.ndarray
) -> np.ndarray:
    """Metric status by DESIGN's rules; NaN progress is ``no_data``."""
    progress = np.asarray(progress, dtype=float)
    return np.select(
        [
            np.isnan(progress),
            progress >= 1 - EPS,
            past_target,
            progress >= expected - tolerance - EPS,
            progress >= expected - 2 * tolerance - EPS,
        ],
        ["no_data", "achieved", "missed", "on_track", "at_risk"],
        default="off_track",
    )


def _dates(days: np.ndarray) -> list[dt.date | None]:
    return [from_day_number(d) if d >= 0 else None for d in days]


def metric_status(
    series: pd.DataFrame, table: pd.DataFrame, as_of: dt.date, newest: np.ndarray | None = None
) -> pd.DataFrame:
    """Current value, progress, expected, freshness, status, delta, trend and forecast of every metric.

    ``newest``: each metric's newest observation day (``aggregate_series``); without it, the last
    observation of the latest period that counts.
    """
    n = len(table)
    out = table.copy()
    keys = series["key"].to_numpy()
    start, end = _group_bounds(keys, n)
    has = end > start
    last, prev = np.where(has, end - 1, 0), np.where(end - start >= 2, end - 2, 0)
    vals, seen = series["value"].to_numpy(), series["observed"].to_numpy()
    current = np.where(has, vals[last] if len(vals) else np.nan, np.nan)
    previous = np.where(end - start >= 2, vals[prev] if len(vals) else np.nan, np.nan)
    current_day = np.where(has, seen[last] if len(seen) else 0, -1)
    newest = current_day if newest is None else np.asarray(newest)
    base, targ = table["baseline"].to_numpy(float), table["target"].to_numpy(float)
    b_day, t_day = table["baseline_day"].to_numpy(), table["target_day"].to_numpy()
    today = day_number(as_of)
    progress = (current - base) / (targ - base)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the glide path at the data's own date: old data is compared with where the path was then
        expected = np.clip((current_day - b_day) / (t_day - b_day), 0, 1)
    age = np.where(newest >= 0, today - newest, -1)
    out["current"] = current
    out["current_date"] = _dates(current_day)
    out["newest_date"] = _dates(newest)
    out["age_days"] = pd.array(np.where(newest >= 0, age, 0), dtype="Int64")
    out.loc[newest < 0, "age_days"] = pd.NA
    out["stale"] = (newest >= 0) & (age > table["max_age"].to_numpy())
    out["previous"] = previous
    out["delta"] = current - previous
    out["progress"] = progress
    out["expected"] = np.where(has, expected, np.nan)
    out["status"] = classify(progress, expected, table["tolerance"].to_numpy(float), today > t_day)
    out["trend"] = slope = _trend(series, table, end)
    out["periods"] = end - start
    out["forecast_date"] = _forecast(table, current, current_day, progress, slope, today)
    out["error"] = None
    return out


def _forecast(
    table: pd.DataFrame,
    current: np.ndarray,
    current_day: np.ndarray,
    progress: np.ndarray,
    slope: np.ndarray,
    today: int,
) -> list[dt.date | None]:
    """The day the trend from the current value reaches target: on or after ``current_date`` and, for a
    metric not achieved, never before ``as_of`` (a date already past would promise what did not happen)."""
    targ = table["target"].to_numpy(float)
    step = np.array([PERIOD_DAYS[f] for f in ("day", "week", "month")])[table["freq_code"].to_numpy()]
    with np.errstate(invalid="ignore", divide="ignore"):
        periods_needed = (targ - current) / slope
    reach = (periods_needed >= 0) & np.isfinite(periods_needed) & (periods_needed < 3650 / step)
    day = np.floor(np.nan_to_num(current_day + periods_needed * step, nan=-1) + 1e-6)  # 20.9999999 is 21
    achieved = progress >= 1 - EPS
    day = np.where(achieved, current_day, np.where(reach & (day >= today), day, -1))
    return _dates(np.where(current_day >= 0, day, -1).astype(np.int64))


def mark_errors(metrics: pd.DataFrame, errors: Iterable[object]) -> pd.DataFrame:
    """Metrics whose source failed get status ``error`` and its message: a failure is not "no data"."""
    failed = {(getattr(e, "client", ""), getattr(e, "metric", "")): str(e) for e in errors}
    if not failed or not len(metrics):
        return metrics
    keys = list(zip(metrics["client"], metrics["metric"], strict=True))
    hit = np.array([k in failed for k in keys], dtype=bool)
    out = metrics.copy()
    out.loc[hit, "status"] = "error"
    out.loc[hit, "error"] = [failed[k] for k, h in zip(keys, hit, strict=True) if h]
    return out


def value_at(metric_row: pd.Series, on: dt.date) -> float:
    """The metric's value forecast for ``on`` by its trend (current value when there is no trend)."""
    current, slope = metric_row["current"], metric_row["trend"]
    if pd.isna(current) or metric_row["current_date"] is None:
        return float("nan")
    if pd.isna(slope):
        return float(current)
    periods = (on - metric_row["current_date"]).days / PERIOD_DAYS[metric_row["frequency"]]
    return float(current + slope * periods)
