"""A report as PDF: Chromium prints the page with its print CSS, offline.

Playwright drives the system's Chromium (``/usr/bin/chromium`` when it exists, else ``CSNB_CHROMIUM``,
else Playwright's own browser) with every network request refused: the report is self-contained, so a
request could only be a leak. The page is printed with ``@media print`` rules in A4, its backgrounds
kept, so the executive edition prints as the one page its print CSS lays out.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from csnb.errors import InputError
from csnb.fs import write_atomic
from csnb.render.vega import RenderError

SYSTEM_CHROMIUM = "/usr/bin/chromium"
PAGE_FORMAT = "A4"
LOAD_TIMEOUT_MS = 60_000
# charts are drawn by vega-embed after load; printing before that would print empty boxes
CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('.csnb-chart'))
  .every((el) => el.querySelector('svg, canvas') !== null)"""
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


class PdfUnavailableError(InputError):
    """PDF output needs Playwright and Chromium, and one of them is missing: exit status 2."""


def chromium_path() -> str | None:
    """The Chromium to drive: ``CSNB_CHROMIUM``, else the system's, else None (Playwright's own)."""
    chosen = os.environ.get("CSNB_CHROMIUM") or SYSTEM_CHROMIUM
    return chosen if Path(chosen).exists() else None


def _sync_playwright():  # noqa: ANN202 - playwright is optional; its types are not importable without it
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise PdfUnavailableError(
            "PDF output needs Playwright: pip install 'csnb[pdf]', and Chromium "
            "(apt-get install chromium, or: playwright install chromium)"
        ) from None
    return sync_playwright


def require_pdf() -> None:
    """Raise ``PdfUnavailableError`` (exit status 2) unless Playwright and a Chromium are installed."""
    sync_playwright = _sync_playwright()
    if chromium_path() is not None:
        return
    with sync_playwright() as p:  # no system Chromium: Playwright's own browser must be installed
        bundled = p.chromium.executable_path
    if not bundled or not Path(bundled).exists():
        raise PdfUnavailableError(
            f"PDF output needs Chromium: apt-get install chromium (or set CSNB_CHROMIUM), "
            f"or: playwright install chromium; none at {SYSTEM_CHROMIUM}"
        )


def write_pdf(html: Path, pdf: Path) -> Path:
    """Print the report ``html`` to ``pdf`` (A4, print CSS, no network) and return the PDF's path."""
    html, pdf = Path(html), Path(pdf)
    if not html.is_file():
        raise RenderError(f"no report to print at {html}")
    sync_playwright = _sync_playwright()
    from playwright.sync_api import Error as PlaywrightError

    page_url = html.resolve().as_uri()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
            try:
                page = browser.new_page()
                # the report itself is the only thing the page may load
                page.route("**/*", lambda r: r.continue_() if r.request.url == page_url else r.abort())
                page.goto(page_url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
                page.wait_for_function(CHARTS_DRAWN, timeout=LOAD_TIMEOUT_MS)
                page.emulate_media(media="print")
                data = page.pdf(format=PAGE_FORMAT, print_background=True, prefer_css_page_size=True)
            finally:
                browser.close()
    except PlaywrightError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if "Executable doesn't exist" in str(exc) or "executable" in first.lower():
            raise PdfUnavailableError(
                f"PDF output needs Chromium: apt-get install chromium, or: playwright install chromium "
                f"({first[:200]})"
            ) from None
        raise RenderError(f"could not print {html.name} to PDF: {first[:300]}") from None
    return write_atomic(pdf, data)


def page_count(pdf: Path) -> int:
    """How many pages a PDF has (its page objects; Chromium writes them uncompressed)."""
    return len(PAGE_OBJECT.findall(Path(pdf).read_bytes()))
