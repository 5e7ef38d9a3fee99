"""The lead -> lag check: does a lead metric's movement precede its lag metric's movement?

For each lead and each lag it leads, period-over-period changes are correlated at shifts 0..k
(the lead's change in period t against the lag's change in period t+shift), signed so that a
positive r means "the lead improving precedes the lag improving" whatever each metric's direction.
All pairs of a portfolio are computed together with numpy (no Python loop per pair).

The verdict has three answers: ``predicts`` (best r >= the plan's ``lead_min_r``), ``predicts nothing``
and ``cannot tell`` (fewer than ``MIN_POINTS`` paired changes, or a series that does not vary):
too little evidence is not evidence that the lead fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csnb.indicators.periods import ordinal, period_start

MIN_POINTS = 4  # fewer paired changes than this says nothing about prediction
SPAN = 1 << 32  # composite key = pair * SPAN + period ordinal

LEAD_COLUMNS = ["client", "lead", "lag", "shift", "r", "n", "best"]
CHECK_COLUMNS = ["client", "lead", "lag", "best_shift", "best_r", "predicts", "verdict", "reason"]


def _pairs(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(lead key, lag key) of every lead->lag pair in the metric table."""
    index = {(c, m): k for k, (c, m) in enumerate(zip(table["client"], table["metric"], strict=False))}
    lead, lag = [], []
    for k, (client, kind, targets) in enumerate(
        zip(table["client"], table["kind"], table["leads_to"], strict=False)
    ):
        if kind == "lead":
            for t in targets:
                if (client, t) in index:
                    lead.append(k)
                    lag.append(index[(client, t)])
    return np.array(lead, dtype=np.int64), np.array(lag, dtype=np.int64)


def _rows(keys: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pair number, series row) for every series row of each pair's metric key."""
    lens = end[keys] - start[keys]
    pair = np.repeat(np.arange(len(keys)), lens)
    offs = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
    return pair, np.repeat(start[keys], lens) + offs


def _changes(
    pair: np.ndarray, days: np.ndarray, values: np.ndarray, freq: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Composite key (pair, ordinal) and change from the previous period, re-bucketed to ``freq``."""
    if not len(days):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=float)
    bucket = period_start(days, freq)
    last = np.r_[(bucket[1:] != bucket[:-1]) | (pair[1:] != pair[:-1]), True]  # keep each bucket's last value
    pair, bucket, values, freq = pair[last], bucket[last], values[last], freq[last]
    ords = np.zeros(len(bucket), dtype=np.int64)
    for code in (0, 1, 2):
        sel = freq == code
        ords[sel] = ordinal(bucket[sel], code)
    ok = (np.diff(ords) == 1) & (pair[1:] == pair[:-1])
    return (pair[1:] * SPAN + ords[1:])[ok], np.diff(values)[ok]


def _pearson(pair: np.ndarray, x: np.ndarray, y: np.ndarray, n_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-pair Pearson r from grouped sums; NaN under MIN_POINTS or without variance."""
    n = np.bincount(pair, minlength=n_pairs).astype(float)
    sx, sy = np.bincount(pair, x, n_pairs), np.bincount(pair, y, n_pairs)
    sxx, syy, sxy = (
        np.bincount(pair, x * x, n_pairs),
        np.bincount(pair, y * y, n_pairs),
        np.bincount(pair, x * y, n_pairs),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        vx, vy = sxx - sx * sx / n, syy - sy * sy / n
        r = (sxy - sx * sy / n) / np.sqrt(vx * vy)
    scale = np.maximum(np.abs(sxx), 1.0) * 1e-12  # variance below float noise is no variance
    return np.where((n >= MIN_POINTS) & (vx > scale) & (vy > scale), np.clip(r, -1, 1), np.nan), n


def lead_checks(series: pd.DataFrame, table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every shift tried for every lead->lag pair, and per pair the best shift, r and whether it predicts."""
    lead, lag = _pairs(table)
    if not len(lead):
        return pd.DataFrame(columns=LEAD_COLUMNS), pd.DataFrame(columns=CHECK_COLUMNS)
    keys = series["key"].to_numpy()
    days, values = series["period"].to_numpy(), series["value"].to_numpy(float)
    start = np.searchsorted(keys, np.arange(len(table)), "left")
    end = np.searchsorted(keys, np.arange(len(table)), "right")
    freq = table["freq_code"].to_numpy()[lag]
    p, rows = _rows(lead, start, end)
    lead_key, lead_d = _changes(p, days[rows], values[rows], freq[p])
    p, rows = _rows(lag, start, end)
    lag_key, lag_d = _changes(p, days[rows], values[rows], freq[p])
    better = table["better"].to_numpy()
    sign = better[lead] * better[lag]
    max_shift = table["lead_max_shift"].to_numpy()[lead]
    results = []
    for shift in range(int(max_shift.max()) + 1):
        idx = np.searchsorted(lag_key, lead_key + shift)
        idx = np.minimum(idx, len(lag_key) - 1)
        hit = (lag_key[idx] == lead_key + shift) if len(lag_key) else np.zeros(len(lead_key), bool)
        r, n = _pearson(lead_key[hit] // SPAN, lead_d[hit], lag_d[idx[hit]], len(lead))
        results.append(np.where(shift <= max_shift, r * sign, np.nan))
        results.append(n)
    r_all = np.vstack(results[0::2])  # shifts x pairs
    n_all = np.vstack(results[1::2])
    return _frames(table, lead, lag, r_all, n_all, max_shift)


def _frames(
    table: pd.DataFrame,
    lead: np.ndarray,
    lag: np.ndarray,
    r_all: np.ndarray,
    n_all: np.ndarray,
    max_shift: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long frame of every shift tried and the per-pair verdict."""
    client, metric = table["client"].to_numpy(), table["metric"].to_numpy()
    any_r = np.isfinite(r_all).any(axis=0)
    best = np.where(any_r, np.nanargmax(np.where(np.isfinite(r_all), r_all, -np.inf), axis=0), -1)
    best_r = np.where(any_r, r_all[np.maximum(best, 0), np.arange(len(lead))], np.nan)
    min_r = table["lead_min_r"].to_numpy()[lead]
    predicts = [None if not ok else bool(r >= m) for ok, r, m in zip(any_r, best_r, min_r, strict=False)]
    most = n_all.max(axis=0) if n_all.size else np.zeros(len(lead))
    verdict = ["cannot tell" if p is None else "predicts" if p else "predicts nothing" for p in predicts]
    reason = [
        (f"{int(k)} paired changes; at least {MIN_POINTS} are needed" if k < MIN_POINTS else "no variation")
        if p is None
        else f"best r = {r:.2f} at shift {int(b)} (threshold {m:.2f})"
        for p, k, r, b, m in zip(predicts, most, best_r, best, min_r, strict=True)
    ]
    checks = pd.DataFrame(
        {
            "client": client[lead],
            "lead": metric[lead],
            "lag": metric[lag],
            "best_shift": pd.array(np.where(best >= 0, best, 0), dtype="Int64"),
            "best_r": best_r,
            "predicts": predicts,
            "verdict": verdict,
            "reason": reason,
        },
        columns=CHECK_COLUMNS,
    )
    checks.loc[best < 0, "best_shift"] = pd.NA
    shifts, pairs = np.nonzero(np.arange(r_all.shape[0])[:, None] <= max_shift[None, :])
    order = np.lexsort((shifts, pairs))
    shifts, pairs = shifts[order], pairs[order]
    tried = pd.DataFrame(
        {
            "client": client[lead][pairs],
            "lead": metric[lead][pairs],
            "lag": metric[lag][pairs],
            "shift": shifts,
            "r": r_all[shifts, pairs],
            "n": n_all[shifts, pairs].astype(int),
            "best": shifts == best[pairs],
        },
        columns=LEAD_COLUMNS,
    )
    return tried, checks
