"""``pull``: every metric of a plan from its sources, as one tidy frame plus errors and freshness.

pandas is imported inside the functions: validating a plan imports this package for its registry,
and must stay quick.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from csnb.errors import ConfigError, InputError, SourceError
from csnb.plan.claims import binds_client, database, read_claims, shared_message
from csnb.plan.load import in_plans_folder
from csnb.plan.models import Metric, Plan
from csnb.sources.base import MetricSource, first_line
from csnb.sources.registry import registry
from csnb.sources.tidy import checked

if TYPE_CHECKING:
    import pandas as pd

# Bounds bound to ``:start``/``:end`` when the caller gives none; every database accepts them as dates.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9999, 12, 31)


def _typed_empty(columns: dict[str, str]) -> pd.DataFrame:
    """An empty frame with these columns and dtypes, so concatenation keeps the types."""
    import pandas as pd

    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def _empty_frame() -> pd.DataFrame:
    return _typed_empty({"client": "str", "metric": "str", "date": "datetime64[ns]", "value": "float64"})


def _empty_freshness() -> pd.DataFrame:
    return _typed_empty({"source": "str", "metric": "str", "newest": "object", "rows": "int64"})


@dataclass
class Observations:
    """What a pull returns: the tidy frame, the errors of metrics that failed, and data freshness.

    ``frame``: client, metric, date (datetime64[ns], midnight), value (float64), and segment (str)
    when a source provides one; sorted by client, metric, date. ``freshness``: source, metric,
    newest (a ``datetime.date``, None without rows), rows.
    """

    frame: pd.DataFrame = field(default_factory=_empty_frame)
    errors: list[SourceError] = field(default_factory=list)
    freshness: pd.DataFrame = field(default_factory=_empty_freshness)

    @property
    def ok(self) -> bool:
        """True when every metric was pulled without error."""
        return not self.errors


def _clean(err: SourceError, source: MetricSource | None, client: str, metric: str, name: str) -> SourceError:
    """A fresh error with the secrets masked and no chained exception that could still hold them."""
    detail = source.redact(err.detail) if source is not None else err.detail
    return SourceError(detail, client=client, metric=metric, source=name)


def _as_error(exc: Exception, source: MetricSource | None) -> SourceError:
    if isinstance(exc, SourceError):
        return exc
    return SourceError(source.describe(exc) if source is not None else first_line(exc))


def _fetch(source: MetricSource, metric: Metric, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One metric's checked rows between ``start`` and ``end`` inclusive, with client and metric columns."""
    import pandas as pd

    rows = checked(source.fetch(metric, start, end), source.plan.client.timezone, source.quotes_data)
    rows = rows[(rows["date"] >= pd.Timestamp(start)) & (rows["date"] <= pd.Timestamp(end))]
    rows.insert(0, "metric", pd.Series(metric.id, index=rows.index, dtype="str"))
    rows.insert(0, "client", pd.Series(source.plan.client.id, index=rows.index, dtype="str"))
    return rows


def _freshness(name: str, metric: Metric, rows: pd.DataFrame) -> dict:
    newest = rows["date"].max() if len(rows) else None
    return {
        "source": name,
        "metric": metric.id,
        "newest": newest.date() if newest is not None else None,
        "rows": len(rows),
    }


def _open(plan: Plan, name: str, env: Mapping[str, str] | None) -> MetricSource:
    spec = plan.sources.get(name)
    if spec is None:
        raise SourceError(f"the plan has no source named {name!r}; add it under `sources`")
    try:
        cls = registry.get(spec.kind)
    except ConfigError:
        raise SourceError(
            f"unknown source kind {spec.kind!r}; known kinds: {', '.join(registry.kinds())}"
        ) from None
    return cls(name, spec, plan, env)


def _close(source: MetricSource) -> None:
    # the rows are already in hand: a failure to hang up must not turn them into an error
    with contextlib.suppress(Exception):
        source.close()


@dataclass
class _Batch:
    """What the sources of one pull have produced so far."""

    parts: list[pd.DataFrame] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    fresh: list[dict] = field(default_factory=list)


def shared_database(plan: Plan, name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The other plan file of the project whose sql source reads the same database as source ``name``.

    Only the plan's own folder (``parameters/``) is searched, and a file is parsed only when the URL as
    written appears in it, so this is quick even in a large project.
    """
    spec = plan.sources.get(name)
    if (
        spec is None
        or spec.kind != "sql"
        or not spec.url
        or plan.path is None
        or not in_plans_folder(plan.path)
    ):
        return None
    env = os.environ if env is None else env
    keys = database(spec.url, env)
    for other in sorted(plan.path.parent.glob("*.y*ml")):
        try:
            if other.resolve() == plan.path or spec.url not in other.read_text("utf-8", errors="replace"):
                continue
        except OSError:
            continue
        if any(keys & database(use.url, env) for use in read_claims(other).sql):
            return other.name
    return None


def local_files(plan: Plan) -> list[Path]:
    """The local files ``plan``'s sources read, and the other plan files reading the same SQL database.

    A worker that cannot see the project folder gets these with its job; a source on a server is
    reached by the worker itself. A source that cannot say (a bad path) fails there with its own message.
    """
    found: list[Path] = []
    for name in plan.sources:
        with contextlib.suppress(Exception):
            found += _open(plan, name, None).files()
        other = shared_database(plan, name)
        if other and plan.path is not None:
            found.append(plan.path.parent / other)
    return found


def _unscoped(
    plan: Plan, name: str, metrics: list[Metric], env: Mapping[str, str] | None
) -> tuple[list[Metric], str]:
    """The metrics whose query could return other clients' rows (no ``:client`` on a shared database),
    and the plan file that shares it."""
    spec = plan.sources.get(name)
    bare = [m for m in metrics if not binds_client(m.query or "")]
    other = shared_database(plan, name, env) if bare and spec is not None and not spec.dedicated else None
    return (bare, other) if other else ([], "")


def _pull_source(
    plan: Plan,
    name: str,
    metrics: list[Metric],
    span: tuple[dt.date, dt.date],
    env: Mapping[str, str] | None,
    batch: _Batch,
) -> None:
    """Pull every metric of one source over one connection; failures become errors in ``batch``."""
    client, source = plan.client.id, None
    unscoped, other = _unscoped(plan, name, metrics, env)
    if unscoped:
        batch.errors.extend(
            SourceError(shared_message(name, other), client=client, metric=m.id, source=name)
            for m in unscoped
        )
        metrics = [m for m in metrics if m not in unscoped]
        if not metrics:
            return
    try:
        source = _open(plan, name, env)
        source.open()
    except Exception as exc:  # noqa: BLE001 - a broken source must not stop the others
        err = _as_error(exc, source)
        batch.errors.extend(_clean(err, source, client, m.id, name) for m in metrics)
        if source is not None:
            _close(source)
        return
    try:
        for metric in metrics:
            try:
                rows = _fetch(source, metric, *span)
            except Exception as exc:  # noqa: BLE001 - one metric's failure must not stop the others
                batch.errors.append(_clean(_as_error(exc, source), source, client, metric.id, name))
                continue
            batch.parts.append(rows)
            batch.fresh.append(_freshness(name, metric, rows))
    finally:
        _close(source)


def _assemble(parts: list[pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_frame()
    frame = pd.concat(parts, ignore_index=True)
    keys = ["client", "metric", "date"] + (["segment"] if "segment" in frame else [])
    return frame.sort_values(keys, kind="stable", ignore_index=True)


def pull(
    plan: Plan,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    env: Mapping[str, str] | None = None,
) -> Observations:
    """Pull every metric of ``plan`` between ``start`` and ``end`` (inclusive) from its sources."""
    import pandas as pd

    span = (start or EARLIEST, end or LATEST)
    if span[0] > span[1]:
        raise InputError(f"the start date {span[0]} is after the end date {span[1]}")
    by_source: dict[str, list[Metric]] = {}
    for metric in plan.metrics:
        by_source.setdefault(metric.source, []).append(metric)
    batch = _Batch()
    for name, metrics in by_source.items():
        _pull_source(plan, name, metrics, span, env, batch)
    freshness = (
        pd.DataFrame(batch.fresh, columns=["source", "metric", "newest", "rows"])
        if batch.fresh
        else _empty_freshness()
    )
    return Observations(
        _assemble(batch.parts), batch.errors, freshness.astype({"source": "str", "metric": "str"})
    )
