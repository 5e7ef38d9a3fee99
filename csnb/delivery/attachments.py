"""What travels with a report e-mail: the full report (static or interactive edition) and the PDF.

Every attached file is a file of the client's report folder (the guard checks it byte for byte), so an
edition made at send time is written there first, beside the report it was made from:

- ``<audience>.static.html``: the report with SVG charts and no JavaScript, rendered from the executed
  notebook; mail clients and their virus scanners treat a page without script kindly, and it is a third
  of the interactive page's size.
- ``executive.pdf``: the executive edition printed by Chromium with its print CSS (``csnb run --pdf``
  writes it; it is printed here when missing or older than its report).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csnb.delivery.smtp import DeliveryError
from csnb.fs import write_atomic
from csnb.render.exporter import render_notebook
from csnb.render.pdf import write_pdf

REPORT_TITLE = "Client success report"  # the title csnb run gives its pages
PDF_AUDIENCE = "executive"


def _fresh(path: Path, *sources: Path) -> bool:
    """True when ``path`` exists and is not older than any of ``sources``."""
    return path.is_file() and all(path.stat().st_mtime >= s.stat().st_mtime for s in sources)


def static_edition(html: Path, notebook: Path, branding: dict[str, Any]) -> Path:
    """The report without JavaScript: ``html`` itself when it was run ``--static``, else one made now."""
    if b"<script" not in html.read_bytes().lower():
        return html
    static = html.with_name(f"{html.stem}.static.html")
    if _fresh(static, html, notebook):
        return static
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    page = render_notebook(nb, title=REPORT_TITLE, static=True, branding=branding or None)
    return write_atomic(static, page)


def full_report(html: Path, notebook: Path, edition: str, branding: dict[str, Any]) -> Path:
    """The file attached as the full report: ``edition`` is ``static`` (default) or ``interactive``."""
    return html if edition == "interactive" else static_edition(html, notebook, branding)


def executive_pdf(client: str, folder: Path) -> Path:
    """The executive edition of this report date as a one-page PDF, printed now unless already fresh."""
    html = folder / f"{PDF_AUDIENCE}.html"
    pdf = html.with_suffix(".pdf")
    if not html.is_file():
        raise DeliveryError(
            f"client {client}: no executive report for {folder.name} to attach as PDF (run `csnb run "
            f"{client} --audience executive --as-of {folder.name} --pdf` first)"
        )
    return pdf if _fresh(pdf, html) else write_pdf(html, pdf)
