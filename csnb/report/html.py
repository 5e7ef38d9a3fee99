"""HTML of the report's sections, from autoescaping Jinja templates (everything a user typed is escaped)."""

from __future__ import annotations

from typing import Any

from csnb.templating import STATUS_LABELS, STATUS_SYMBOLS, day, fmt, pct
from csnb.templating import render as render_template

__all__ = ["STATUS_LABELS", "STATUS_SYMBOLS", "day", "fmt", "pct", "render"]


def render(name: str, **context: Any) -> str:
    """Render the section template ``sections/<name>.html.j2`` with ``context``."""
    return render_template(f"sections/{name}.html.j2", **context)
