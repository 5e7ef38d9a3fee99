"""Open a report in Debian's chromium with the network blocked, and say what a reader would see.

Usage in a test::

    from tests.browser import open_report
    page = open_report(html_path, screenshot=tmp_path / "report.png")
    assert page.requests == [] and page.console_errors == [] and page.all_charts_drawn
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CSNB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
CHART_SELECTOR = ".csnb-chart, .vega-embed"
# A chart is drawn when its svg/canvas holds marks (vega draws groups with class "mark-*").
CHARTS_JS = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter((el) => !el.parentElement.closest(selector))
  .map((el) => {
    const svg = el.querySelector("svg");
    const canvas = el.querySelector("canvas");
    const marks = svg ? svg.querySelectorAll("[class*='mark-'] path, [class*='mark-'] rect, "
      + "[class*='mark-'] line, [class*='mark-'] circle, [class*='mark-'] text").length : 0;
    return {id: el.id, svg: !!svg, canvas: !!canvas, marks: marks,
            drawn: marks > 0 || (!!canvas && canvas.width > 0)};
  })"""


@dataclass
class Chart:
    """One chart container and what it holds once the page settled."""

    id: str
    svg: bool
    canvas: bool
    marks: int
    drawn: bool


@dataclass
class PageResult:
    """What happened when the report was opened."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    text: str = ""
    screenshot: Path | None = None

    @property
    def all_charts_drawn(self) -> bool:
        """True when there is at least one chart and every chart has marks."""
        return bool(self.charts) and all(c.drawn for c in self.charts)


def chromium_or_skip() -> str:
    """Path of chromium; skip the test without it (fail under CSNB_REQUIRE_SERVICES=1)."""
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            _skip("the playwright package is not installed (pip install 'csnb[test]')")
        return CHROMIUM
    _skip(f"chromium not found at {CHROMIUM} (apt-get install chromium, or set CSNB_CHROMIUM)")
    return CHROMIUM


def _skip(reason: str) -> None:
    if os.environ.get("CSNB_REQUIRE_SERVICES") == "1":
        pytest.fail(reason + " (CSNB_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


def open_report(
    html_path: str | os.PathLike,
    *,
    screenshot: str | os.PathLike | None = None,
    timeout_ms: int = 20_000,
    print_media: bool = False,
) -> PageResult:
    """Load ``html_path`` from file:// with all network blocked; wait for charts; report what happened."""
    from playwright.sync_api import sync_playwright

    result = PageResult()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.route("**/*", lambda route: _only_local(route, result))
            page.on("console", lambda msg: msg.type == "error" and result.console_errors.append(msg.text))
            page.on("pageerror", lambda exc: result.page_errors.append(str(exc)))
            page.on("dialog", lambda dialog: (result.dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(Path(html_path).resolve().as_uri(), wait_until="load", timeout=timeout_ms)
            _wait_for_charts(page, timeout_ms)
            if print_media:
                page.emulate_media(media="print")
            result.charts = [Chart(**c) for c in page.evaluate(CHARTS_JS, CHART_SELECTOR)]
            result.text = page.inner_text("body")
            if screenshot:
                result.screenshot = Path(screenshot)
                page.screenshot(path=str(result.screenshot), full_page=True)
        finally:
            browser.close()
    return result


def _only_local(route, result: PageResult) -> None:
    """Let file: and data: loads through; count and abort everything else."""
    url = route.request.url
    if url.startswith(("file:", "data:")):
        route.continue_()
    else:
        result.requests.append(url)
        route.abort()


def _wait_for_charts(page, timeout_ms: int) -> None:
    """Wait until every chart container has an svg or canvas, or the time is up (then report as is)."""
    script = f"""() => Array.from(document.querySelectorAll("{CHART_SELECTOR}"))
      .every((el) => el.querySelector("svg, canvas"))"""
    try:
        page.wait_for_function(script, timeout=timeout_ms)
        page.wait_for_timeout(200)  # vega draws asynchronously after creating the svg element
    except Exception:  # noqa: BLE001 - a timeout is reported through the charts' state instead
        pass
