"""Synthetic portfolios of any size, made a chunk of clients at a time so memory stays bounded.

Each client's observations come from a generator seeded by (seed, client index) alone, so a client's
rows are the same whatever chunk it is generated in, and a chunk never needs the others. Ids and
plans are those of ``csnb.demo.data`` (``synthetic_plan``), so a chunk evaluates against its plans.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from csnb.demo.data import SYNTHETIC_START, synthetic_client, synthetic_metric

BASE = 100.0  # metric j starts near BASE + STEP * j
STEP = 50.0


def _signs(n_metrics: int) -> np.ndarray:
    # every fourth metric is better when smaller, as in the synthetic plans
    return np.array([-1.0 if j % 4 == 3 else 1.0 for j in range(n_metrics)])


def client_values(index: int, n_metrics: int = 10, days: int = 730, seed: int = 7) -> np.ndarray:
    """One client's daily values, shape (metrics, days): a trend towards (or away from) target plus noise."""
    rng = np.random.default_rng([seed, index])
    base = BASE + STEP * np.arange(n_metrics)
    growth = rng.uniform(-0.1, 0.5, n_metrics) * _signs(n_metrics)  # per year; a few go the wrong way
    t = np.arange(days, dtype=float) / 365.0
    noise = rng.standard_normal((n_metrics, days)) * (0.03 * base)[:, None]
    return base[:, None] * (1.0 + growth[:, None] * t[None, :]) + noise


def chunk_observations(
    indices: Sequence[int], n_metrics: int = 10, days: int = 730, seed: int = 7
) -> pd.DataFrame:
    """Tidy daily observations of the synthetic clients ``indices`` (client and metric as categoricals)."""
    n = len(indices)
    values = np.empty((n, n_metrics, days))
    for row, index in enumerate(indices):
        values[row] = client_values(index, n_metrics, days, seed)
    clients = pd.Categorical.from_codes(
        np.repeat(np.arange(n), n_metrics * days), categories=[synthetic_client(i) for i in indices]
    )
    metrics = pd.Categorical.from_codes(
        np.tile(np.repeat(np.arange(n_metrics), days), n),
        categories=[synthetic_metric(j) for j in range(n_metrics)],
    )
    dates = (np.datetime64(SYNTHETIC_START, "D") + np.arange(days)).astype("datetime64[ns]")
    return pd.DataFrame(
        {"client": clients, "metric": metrics, "date": np.tile(dates, n * n_metrics), "value": values.ravel()}
    )


def chunks(n_clients: int, size: int) -> Iterator[range]:
    """The client indices ``0..n_clients`` in consecutive ranges of at most ``size``."""
    for start in range(0, n_clients, size):
        yield range(start, min(start + size, n_clients))
