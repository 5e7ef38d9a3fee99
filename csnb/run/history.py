"""Past report runs from the store, for ``csnb history``: rows for JSON and a table for people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csnb.project.folder import Project
from csnb.store.runs import Store

COLUMNS = ("started", "client", "ritual", "audience", "as_of", "status", "duration", "error")


def past_runs(
    client: str | None = None, limit: int = 50, store_url: str | None = None
) -> list[dict[str, Any]]:
    """The newest ``limit`` runs (of ``client``), as plain dicts; none when the store does not exist yet."""
    from sqlalchemy.engine import make_url

    url = store_url or Project().config.store_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return []  # reading history never creates a store
    store = Store(url)
    try:
        rows = store.runs(client, limit)
    finally:
        store.dispose()
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()} for row in rows]


def runs_table(rows: list[dict[str, Any]]) -> Any:
    """A rich table of runs, newest first; errors cut to their first line."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{len(rows)} runs, newest first" if rows else "no runs recorded yet")
    for name in COLUMNS:
        table.add_column(
            name.replace("_", " "),
            overflow="fold",
            justify="right" if name == "duration" else "left",
            ratio=3 if name == "error" else None,
        )
    style = {"ok": "green", "failed": "red", "interrupted": "red", "running": "yellow"}
    for row in rows:
        cells = [_cell(name, row.get(name)) for name in COLUMNS]
        # Text(...) so plan and error text is never read as rich markup
        table.add_row(
            *(
                Text(c, style=style.get(row.get("status"), "")) if n == "status" else Text(c)
                for n, c in zip(COLUMNS, cells, strict=True)
            )
        )
    return table


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "duration":
        return f"{float(value):.1f} s"
    if name == "started":
        return str(value)[:16].replace("T", " ")
    if name == "error":
        return str(value).strip().splitlines()[0][:120] if str(value).strip() else ""
    return str(value)
