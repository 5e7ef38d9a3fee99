"""Executed notebook -> one self-contained HTML file; and the portfolio page."""

from __future__ import annotations

from csnb.render.exporter import ReportExporter, render_notebook, write_html

__all__ = ["ReportExporter", "render_notebook", "write_html"]
