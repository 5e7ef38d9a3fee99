"""The deterministic demo: a synthetic SQLite warehouse, three demo plans and a ``csnb.toml``.

``build_demo`` writes everything ``csnb demo`` needs; the same seed always gives byte-identical
files, and the demo's ``as_of`` is pinned in ``csnb.toml`` so its statuses never drift with the
calendar. ``synthetic_plan`` and ``synthetic_observations`` generate benchmark portfolios.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path
from typing import Any

from csnb.demo.data import AS_OF, demo_series, synthetic_observations, synthetic_plan
from csnb.demo.plans import DEMO_PLANS
from csnb.demo.retros import write_demo_retros
from csnb.fs import atomic_path, write_atomic
from csnb.plan.load import load_plan
from csnb.project.config import CONFIG_FILE
from csnb.project.folder import display_path

__all__ = [
    "AS_OF",
    "build_demo",
    "build_warehouse",
    "plan_yaml",
    "synthetic_observations",
    "synthetic_plan",
    "to_yaml",
    "write_plans",
]

WAREHOUSE = Path(".csnb") / "demo" / "warehouse.db"
PROVIDER = "Cobalt Cloud Partners"
SCHEMA = """
CREATE TABLE observations (
    client TEXT NOT NULL,
    metric TEXT NOT NULL,
    date   TEXT NOT NULL,  -- YYYY-MM-DD, a calendar day in the client's time zone
    value  REAL
);
"""
INDEX = "CREATE INDEX observations_client_metric_date ON observations (client, metric, date)"

CONFIG_TEXT = f"""\
# csnb project settings.
# The demo pins as_of so that its statuses never drift with the calendar; delete the line to report
# on today's date (in `timezone`).
[project]
as_of = "{AS_OF.isoformat()}"
timezone = "Europe/London"

[branding]
provider = "{PROVIDER}"
accent = "#1f5f8b"

# How client pages write money and numbers: an ISO 4217 currency and a locale (separators, currency sign).
[report]
currency = "GBP"
locale = "en_GB"
"""

STORIES = {
    "northwind": "A cloud call-centre rollout: agents went live two days after training (a lead that\n"
    "predicts), calls per agent missed its 30-day target, handle time is at risk and the\n"
    "service level is on track.",
    "acme": "Routing adoption: the share of routes planned by the engine leads manual routing time by a\n"
    "week; routing time is off its glide path, so the 25% milestone is at risk and the second\n"
    "depot waits.",
    "fernhill": "An analytics onboarding held up by the point-of-sale vendor: the first wave of stores is\n"
    "late, training is blocked behind it, a risk has triggered, forecast accuracy has no data\n"
    "yet, and newsletter opens turn out to predict nothing.",
}
SECTION_COMMENTS = {
    "people": "Provider and client side; executives receive the monthly review.",
    "goals": "The client's goals in their own words, each measured by metrics below.",
    "sources": "Where metric data comes from. Relative SQLite paths start at this file's folder.",
    "metrics": "lead = forward signal, lag = outcome. Baseline -> target draws the glide path;\n"
    "tolerance is how far below it a metric may fall and still be on track.",
    "milestones": "A milestone is done once all its criteria held at once; checks hold from done_on.",
    "risks": "A risk triggers when its metric's current value meets the trigger after the `after` date.",
    "cadence": "Communication rituals (RFC 5545 recurrence rules).",
    "escalation": "Who to call, and when, if things go wrong.",
    "changes": "Change requests: request -> impact -> approval -> documentation.",
    "decisions": "Decisions taken, and why.",
    "glossary": "Terms used in the reports.",
}

# -- a small YAML writer: stable key order, flow style for short leaves, comments between sections ---

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 _./()'&+%,;=@-]*$")
_RESERVED = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}
WIDTH = 110


def _scalar(value: Any, flow: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    plain = (
        _PLAIN.match(text)
        and text.lower() not in _RESERVED
        and text == text.strip()
        and not (flow and "," in text)
    )
    return text if plain else json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string


def _is_leaf(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _flow(value: Any) -> str | None:
    """``value`` on one line, or None when it nests too deep to read that way."""
    if _is_leaf(value):
        return _scalar(value, flow=True)
    if isinstance(value, list) and all(_is_leaf(v) for v in value):
        return "[" + ", ".join(_scalar(v, flow=True) for v in value) + "]"
    if isinstance(value, dict) and all(
        _is_leaf(v) or isinstance(v, list) and all(map(_is_leaf, v)) for v in value.values()
    ):
        return "{" + ", ".join(f"{_scalar(k, True)}: {_flow(v)}" for k, v in value.items()) + "}"
    return None


def _mapping(data: dict, indent: int) -> list[str]:
    lines, pad = [], " " * indent
    for key, value in data.items():
        head = f"{pad}{_scalar(key)}:"
        if _is_leaf(value):
            lines.append(f"{head} {_scalar(value)}")
            continue
        flow = _flow(value)
        if not value or (flow is not None and len(head) + len(flow) < WIDTH):
            lines.append(f"{head} {flow}")
        else:
            nested = _mapping(value, indent + 2) if isinstance(value, dict) else _sequence(value, indent + 2)
            lines += [head, *nested]
    return lines


def _sequence(items: list, indent: int) -> list[str]:
    lines, pad = [], " " * indent
    for item in items:
        flow = _flow(item)
        if flow is not None and indent + 2 + len(flow) < WIDTH:
            lines.append(f"{pad}- {flow}")
        elif isinstance(item, dict):
            body = _mapping(item, indent + 2)
            lines += [f"{pad}- {body[0].lstrip()}"] + body[1:]
        else:
            raise TypeError("the demo YAML writer does not nest lists in lists")
    return lines


def to_yaml(data: dict, comments: dict[str, str] | None = None, header: str = "") -> str:
    """Readable YAML of ``data``: block style, short leaves in flow style, a comment before each section."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for key, value in data.items():
        if lines:
            lines.append("")
        lines += [f"# {line}" for line in (comments or {}).get(key, "").splitlines()]
        lines += _mapping({key: value}, 0)
    return "\n".join(lines) + "\n"


def plan_yaml(client: str) -> str:
    """The text of the demo plan of ``client``."""
    header = (
        f"Demo success plan: generated by `csnb demo`; edit it freely.\n"
        f"At the demo's as_of ({AS_OF.isoformat()}, pinned in csnb.toml):\n{STORIES[client]}"
    )
    return to_yaml(DEMO_PLANS[client](), SECTION_COMMENTS, header)


# -- files --------------------------------------------------------------------------------------------


def build_warehouse(path: str | os.PathLike[str], seed: int = 7) -> int:
    """Write the demo warehouse (SQLite, table ``observations``) to ``path``; return the number of rows."""
    rows = 0

    def write(tmp: Path) -> None:
        nonlocal rows
        con = sqlite3.connect(tmp)
        try:
            con.executescript(SCHEMA)
            for client, metric, days, values in demo_series(seed):
                dates = days.astype(str).tolist()
                con.executemany(
                    "INSERT INTO observations VALUES (?, ?, ?, ?)",
                    zip(repeat(client), repeat(metric), dates, values.tolist()),
                )
                rows += len(values)
            con.execute(INDEX)  # after the inserts: faster, and the same pages every time
            con.commit()
            con.execute("VACUUM")  # compacts the file so that the same rows give the same bytes
        finally:
            con.close()

    with atomic_path(path) as tmp:
        write(tmp)
    return rows


def _write_text(path: Path, text: str) -> None:
    write_atomic(path, text)


def write_plans(folder: str | os.PathLike[str]) -> list[Path]:
    """Write every demo plan to ``<folder>/parameters/<client>.yaml``; return the paths."""
    paths = []
    for client in DEMO_PLANS:
        path = Path(folder) / "parameters" / f"{client}.yaml"
        _write_text(path, plan_yaml(client))
        paths.append(path)
    return paths


def build_demo(folder: str | os.PathLike[str] = ".", seed: int = 7) -> Iterator[str]:
    """Write the demo warehouse, plans and (if absent) ``csnb.toml`` into ``folder``; yield what was done."""

    root = Path(folder)
    warehouse = root / WAREHOUSE
    rows = build_warehouse(warehouse, seed)
    size = warehouse.stat().st_size // 1024
    yield f"wrote {display_path(warehouse)}: {rows} observations, {size} KB (seed {seed})"
    for path in write_plans(root):
        plan = load_plan(path, env={}, display=display_path(path))  # the demo needs no environment variables
        yield (
            f"ok {display_path(path)}: {plan.client.id} — {len(plan.metrics)} metrics, "
            f"{len(plan.milestones)} milestones, {len(plan.risks)} risks"
        )

    for path in write_demo_retros(root):  # the team's retro input; `csnb retro` turns it into lessons
        yield f"wrote {display_path(path)}"
    config = root / CONFIG_FILE
    if config.exists():
        yield f"kept {display_path(config)} (already present; the demo's as_of is {AS_OF.isoformat()})"
    else:
        _write_text(config, CONFIG_TEXT)
        yield f"wrote {display_path(config)}: as_of {AS_OF.isoformat()}"
