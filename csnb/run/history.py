"""Past report runs from the store, for ``csnb history``, as plain rows."""

from __future__ import annotations

from typing import Any

from csnb.project.folder import Project
from csnb.store.db import store_exists
from csnb.store.runs import Store


def past_runs(
    client: str | None = None, limit: int = 50, store_url: str | None = None
) -> list[dict[str, Any]]:
    """The newest ``limit`` runs (of ``client``), as plain dicts; none when the store does not exist yet."""
    url = store_url or Project().config.store_url
    if not store_exists(url):
        return []  # reading history never creates a store
    store = Store(url)
    try:
        rows = store.runs(client, limit)
    finally:
        store.dispose()
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()} for row in rows]
