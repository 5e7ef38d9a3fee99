"""Load -> pull -> evaluate: one plan's statuses at one date, as reports, retros and notebooks see them."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from csnb.errors import InputError
from csnb.indicators.evaluation import evaluate
from csnb.indicators.snapshot import Snapshot
from csnb.plan.load import load_plan
from csnb.plan.models import Plan
from csnb.project.config import Config, load_config
from csnb.sources import Observations, pull


@dataclass
class Assessment:
    """A plan evaluated at ``as_of``: the data pulled for it and every status."""

    plan: Plan
    as_of: dt.date
    observations: Observations
    snapshot: Snapshot
    config: Config


def to_date(value: str | dt.date | None) -> dt.date | None:
    """An ISO date string or a date as a ``datetime.date`` (None stays None)."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {value!r}") from None


def assess(
    plan: Plan,
    as_of: str | dt.date | None = None,
    *,
    config: Config | None = None,
    observations: Observations | None = None,
) -> Assessment:
    """Pull ``plan``'s data up to ``as_of`` (default: the project's today) unless given, and evaluate it."""
    config = config or load_config(plan.path.parent if plan.path else None)
    day = to_date(as_of) or config.today(plan)
    pulled = observations if observations is not None else pull(plan, end=day)
    return Assessment(plan, day, pulled, evaluate(plan, pulled, day), config)


def assess_file(
    plan_path: str | os.PathLike[str],
    as_of: str | dt.date | None = None,
    project_root: str | os.PathLike[str] | None = None,
) -> Assessment:
    """Load the plan file (its project: ``project_root`` or the plan's folder and parents) and assess it."""
    plan = load_plan(plan_path)
    config = load_config(Path(project_root) if project_root else Path(plan_path).resolve().parent)
    return assess(plan, as_of, config=config)
