"""Tables that display in a notebook: statuses, the health breakdown; user text always escaped."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from csnb.indicators.snapshot import Snapshot

if TYPE_CHECKING:
    pass


STATUS_COLUMNS = ["item", "id", "name", "status", "current", "target", "progress", "expected", "due"]
# What a what-if may change, and where the value lives in the plan document.


def display_value(value: Any) -> Any:
    """A value as a table cell: tuples as comma lists, floats with a few significant digits."""
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return "—" if pd.isna(value) else f"{value:,.4g}"
    return "—" if value is None or value is pd.NaT else value


def html_table(frame: pd.DataFrame) -> str:
    """``frame`` as an HTML table with every header and cell escaped."""
    shown = frame.map(display_value) if len(frame) else frame
    return shown.to_html(index=False, escape=True, border=0, na_rep="—", classes="csnb-explore")


def titled_block(title: str, body: str, note: str = "") -> str:
    """A titled block of HTML with an optional note, the title and note escaped."""
    text = f"<p>{html.escape(note)}</p>" if note else ""
    return f"<div><h4>{html.escape(title)}</h4>{text}{body}</div>"


@dataclass(frozen=True)
class Table:
    """A titled frame that a notebook shows as an escaped HTML table."""

    title: str
    frame: pd.DataFrame
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame (a copy: change it freely)."""
        return self.frame.copy()

    def __len__(self) -> int:
        return len(self.frame)

    def _repr_html_(self) -> str:
        return titled_block(self.title, html_table(self.frame), self.note)

    def __repr__(self) -> str:
        return f"{self.title}\n{self.frame.to_string(index=False)}"


def status_table(snap: Snapshot) -> pd.DataFrame:
    """One row per metric, milestone and risk, plus health: the statuses a report prints."""
    m, ms, r = snap.metrics, snap.milestones, snap.risks
    parts = [
        pd.DataFrame(
            {
                "item": "health",
                "id": ["health"],
                "name": ["Health"],
                "status": [snap.health.band],
                "current": [snap.health.score],
            }
        ),
        pd.DataFrame(
            {
                "item": "metric",
                "id": m["metric"],
                "name": m["name"],
                "status": m["status"],
                "current": m["current"],
                "target": m["target"],
                "progress": m["progress"],
                "expected": m["expected"],
                "due": m["target_date"],
            }
        ),
        pd.DataFrame(
            {
                "item": "milestone",
                "id": ms.get("milestone", []),
                "name": ms.get("title", []),
                "status": ms.get("status", []),
                "due": ms.get("due", []),
            }
        ),
        pd.DataFrame(
            {
                "item": "risk",
                "id": r["risk"],
                "name": r["description"],
                "status": r["status"],
                "current": r["current"],
            }
        ),
    ]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True).reindex(columns=STATUS_COLUMNS)


def _names(snap: Snapshot) -> dict[str, str]:
    names = dict(zip(snap.metrics["metric"], snap.metrics["name"], strict=True))
    names.update(zip(snap.milestones.get("milestone", []), snap.milestones.get("title", []), strict=True))
    return names


def breakdown(snap: Snapshot) -> pd.DataFrame:
    """Each health input with the points it cost: ``lost`` adds up to ``100 - score``, worst first."""
    comp = snap.health.components
    counted = comp["weight"].where(comp["points"].notna(), 0.0)
    total = counted.sum()
    lost = counted * (100 - comp["points"].fillna(100)) / total if total else counted * 0.0
    names = _names(snap)
    out = pd.DataFrame(
        {
            "input": comp["input"],
            "name": comp["input"].map(names).fillna(comp["input"]),
            "kind": comp["kind"],
            "status": comp["status"],
            "points": comp["points"],
            "weight": comp["weight"],
            "lost": lost,
        }
    )
    return out.sort_values(["lost", "weight"], ascending=[False, False], kind="stable", ignore_index=True)
