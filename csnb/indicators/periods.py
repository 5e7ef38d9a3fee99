"""Calendar periods (day, week from Monday, month) as integer day numbers, vectorised with numpy."""

from __future__ import annotations

import datetime as dt

import numpy as np

EPOCH = dt.date(1970, 1, 1)
PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
FREQ_CODES = {"day": 0, "week": 1, "month": 2}


def day_number(value: dt.date) -> int:
    """Days since 1970-01-01 of a date."""
    return (value - EPOCH).days


def from_day_number(value: float | int) -> dt.date:
    """The date of a day number."""
    return EPOCH + dt.timedelta(days=int(value))


def period_start(days: np.ndarray, freq_code: np.ndarray | int) -> np.ndarray:
    """Day number of the start of the period holding each day (weeks start on Monday)."""
    days = np.asarray(days, dtype=np.int64)
    week = days - (days + 3) % 7  # 1970-01-01 was a Thursday
    month = days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    freq = np.broadcast_to(np.asarray(freq_code), days.shape)
    return np.where(freq == 0, days, np.where(freq == 1, week, month))


def ordinal(days: np.ndarray, freq_code: int) -> np.ndarray:
    """Consecutive period numbers (so that adjacent periods differ by one) for period-start day numbers."""
    days = np.asarray(days, dtype=np.int64)
    if freq_code == 0:
        return days
    if freq_code == 1:
        return (days + 3) // 7
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def period_end(starts: np.ndarray, freq_code: np.ndarray | int) -> np.ndarray:
    """Day number of the last day of the period starting on each period-start day number."""
    starts = np.asarray(starts, dtype=np.int64)
    freq = np.broadcast_to(np.asarray(freq_code), starts.shape)
    months = starts.astype("datetime64[D]").astype("datetime64[M]")
    month_end = (months + 1).astype("datetime64[D]").astype(np.int64) - 1
    return np.where(freq == 0, starts, np.where(freq == 1, starts + 6, month_end))
