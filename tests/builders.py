"""Plans, observations and project folders built in the test, as a plan file or ``csnb init`` spells them.

Unless a test says otherwise a metric is a daily lag metric (aggregate ``last``, direction up,
tolerance 0.10) of the ``files`` source that climbs from 0 on 2026-01-01 to 100 on 2026-01-11: ten
days, so on 2026-01-06 its glide path expects half the way. A plan belongs to client ``acme`` and
has one person, Dana Ortiz (``dana``), who owns every milestone.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from csnb.errors import SourceError
from csnb.plan import Client, Plan
from csnb.project.config import load_config
from csnb.project.scaffold import bundled_notebooks
from csnb.sources import Observations
from csnb.store.runs import Store

DANA = {"id": "dana", "name": "Dana Ortiz", "side": "provider", "role": "CSM"}


# --- plans in memory -------------------------------------------------------------------------------------


def metric(metric_id: str = "adoption", **fields: Any) -> dict[str, Any]:
    """A metric as a plan file would spell it, with the defaults of the module docstring."""
    return {
        "id": metric_id,
        "name": metric_id.replace("_", " "),
        "kind": "lag",
        "source": "files",
        "frequency": "day",
        "aggregate": "last",
        "direction": "up",
        "tolerance": 0.10,
        "baseline": {"value": 0, "date": "2026-01-01"},
        "target": {"value": 100, "date": "2026-01-11"},
        **fields,
    }


def milestone(
    milestone_id: str,
    *criteria: dict[str, Any],
    start: str = "2026-01-01",
    due: str = "2026-01-10",
    **fields: Any,
) -> dict[str, Any]:
    """A milestone owned by Dana, done when every one of ``criteria`` holds."""
    return {
        "id": milestone_id,
        "title": f"Milestone {milestone_id}",
        "stage": "onboarding",
        "owner": "dana",
        "start": start,
        "due": due,
        "criteria": list(criteria),
        **fields,
    }


def at_least(metric_id: str, value: float) -> dict[str, Any]:
    """A criterion: ``metric_id >= value``."""
    return {"metric": metric_id, "op": ">=", "value": value}


def check(text: str, done_on: str | None = None) -> dict[str, Any]:
    """A manual criterion, ticked on ``done_on`` (or not yet)."""
    return {"check": text, "done": done_on is not None, "done_on": done_on}


def plan_data(
    metrics: Iterable[dict] = (),
    milestones: Iterable[dict] = (),
    risks: Iterable[dict] = (),
    *,
    client: str = "acme",
    **engine_settings: Any,
) -> dict[str, Any]:
    """A minimal plan document (a csv source, so no environment variable is needed)."""
    return {
        "client": {"id": client, "name": client.title()},
        "people": [DANA],
        "sources": {"files": {"kind": "csv", "path": "metrics.csv"}},
        "metrics": list(metrics),
        "milestones": list(milestones),
        "risks": list(risks),
        "settings": engine_settings,
    }


def plan(
    metrics: Iterable[dict] = (),
    milestones: Iterable[dict] = (),
    risks: Iterable[dict] = (),
    *,
    client: str = "acme",
    **engine_settings: Any,
) -> Plan:
    """The validated plan of ``plan_data``."""
    return Plan.model_validate(plan_data(metrics, milestones, risks, client=client, **engine_settings))


def plan_in(folder: Path, sources: dict, metrics: list[dict], client: str = "acme", tz: str = "UTC") -> Plan:
    """A plan as if loaded from ``folder/plan.yaml`` (relative source paths start there); the client is
    built unchecked, so ids such as o'brien work."""
    loaded = Plan.model_validate(
        {
            "client": Client.model_construct(id=client, name=client.title(), timezone=tz, industry=None),
            "people": [DANA],
            "sources": sources,
            "metrics": metrics,
        }
    )
    loaded._path = folder / "plan.yaml"
    return loaded


# --- observations ----------------------------------------------------------------------------------------


def observations(*rows: tuple, client: str = "acme") -> pd.DataFrame:
    """The tidy frame the sources return, from (metric, date, value) rows."""
    return pd.DataFrame(
        {
            "client": client,
            "metric": [r[0] for r in rows],
            "date": pd.to_datetime([r[1] for r in rows]),
            "value": [float(r[2]) for r in rows],
        },
        columns=["client", "metric", "date", "value"],
    )


def daily(metric_id: str, values: Iterable[float], first: str | dt.date = "2026-01-01") -> list[tuple]:
    """(metric, date, value) rows of one metric on consecutive days from ``first``."""
    start = dt.date.fromisoformat(first) if isinstance(first, str) else first
    return [(metric_id, start + dt.timedelta(days=i), v) for i, v in enumerate(values)]


def values(obs: Observations, metric_id: str) -> list[float]:
    """The values one metric was pulled with, in date order."""
    return obs.frame.loc[obs.frame["metric"] == metric_id, "value"].tolist()


def error_for(obs: Observations, metric_id: str) -> SourceError:
    """The one error a pull reported for a metric."""
    [err] = [e for e in obs.errors if e.metric == metric_id]
    return err


# --- project folders -------------------------------------------------------------------------------------


def write_project(
    root: Path,
    plans: dict[str, str | dict],
    *,
    as_of: str | None = None,
    timezone: str | None = None,
    settings: str = "",
    files: dict[str, str] | None = None,
    report_notebook: bool = False,
) -> Path:
    """A project folder as csnb reads it, in ``root``.

    ``csnb.toml`` (``as_of`` and ``timezone`` under ``[project]``, then the TOML text ``settings``),
    ``parameters/CLIENT.yaml`` for each plan (YAML text, or data written as YAML), ``files`` by path
    relative to ``root``, and with ``report_notebook`` the bundled ``notebooks/client_report.ipynb``.
    """
    (root / "parameters").mkdir(parents=True)
    project = "".join(
        f'{key} = "{value}"\n' for key, value in (("as_of", as_of), ("timezone", timezone)) if value
    )
    (root / "csnb.toml").write_text(f"[project]\n{project}{settings}", encoding="utf-8")
    for client, text in plans.items():
        if not isinstance(text, str):
            text = yaml.safe_dump(text, sort_keys=False, allow_unicode=True)
        (root / "parameters" / f"{client}.yaml").write_text(text, encoding="utf-8")
    for relative, text in (files or {}).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    if report_notebook:
        copy_report_notebook(root)
    return root


def copy_report_notebook(root: Path) -> Path:
    """The bundled report notebook, copied to the project's ``notebooks/`` folder."""
    (root / "notebooks").mkdir(exist_ok=True)
    return Path(
        shutil.copyfile(
            bundled_notebooks() / "client_report.ipynb", root / "notebooks" / "client_report.ipynb"
        )
    )


def project_store_url(root: Path) -> str:
    """URL of the store of the project in ``root`` (``.csnb/store.db`` unless its csnb.toml names another)."""
    return load_config(root).store_url


def project_store(root: Path) -> Store:
    """The run store of the project in ``root``."""
    return Store(project_store_url(root))
