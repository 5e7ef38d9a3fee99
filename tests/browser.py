"""Open a report in Debian's chromium with the network blocked, and say what a reader would see.

Usage in a test::

    from tests.browser import open_report
    page = open_report(html_path, screenshot=tmp_path / "report.png")
    assert page.requests == [] and page.console_errors == [] and page.all_charts_drawn

``open_report(..., width=390)`` opens the page as a phone does and measures what a reader of a small
screen meets: sideways scrolling, text too small to read, table cells out of sight (``page.layout``).
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


# What a reader of a given screen meets: sideways scroll, text under 10 px (SVG text at the size its
# transforms draw it), page text under 14 px, table cells hidden or out of view (a phone's cards must
# label each cell with its column: a header row hidden for cards counts as shown when every heading
# labels a visible cell).
LAYOUT_JS = """() => {
  const root = document.documentElement;
  const vw = root.clientWidth;
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || r.left < -1 || r.right > vw + 1) return false;
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.display === "none" || s.visibility === "hidden" || s.opacity === "0") return false;
      if (a !== el && s.overflowX !== "visible") {
        const box = a.getBoundingClientRect();
        if (r.right > box.right + 1 || r.left < box.left - 1) return false;
      }
    }
    return true;
  };
  const small = [];
  const body = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.trim();
    const el = node.parentElement;
    if (!text || !el || el.closest("script, style, noscript, title")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    if (!Array.from(range.getClientRects()).some((r) => r.width > 0 && r.height > 0)) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.opacity === "0") continue;
    let px = parseFloat(style.fontSize);
    if (el instanceof SVGElement) {
      const ctm = (el.closest("text") || el).getScreenCTM();
      if (ctm) px *= Math.sqrt(Math.abs(ctm.a * ctm.d - ctm.b * ctm.c));
    }
    const seen = text.slice(0, 60) + " (" + px.toFixed(1) + " px)";
    if (px < 10) small.push(seen);
    else if (px < 14 && !(el instanceof SVGElement)) body.push(seen);
  }
  const hidden = [];
  for (const table of document.querySelectorAll("table")) {
    if (!table.getClientRects().length) continue;
    const own = (c) => c.closest("table") === table;
    const head = table.tHead;
    const headBox = head ? head.getBoundingClientRect() : null;
    const headShown = headBox && headBox.width > 2 && headBox.height > 2;  // not hidden for cards
    const labels = new Set(Array.from(table.querySelectorAll("[data-label]"))
      .filter((c) => own(c) && shown(c)).map((c) => c.dataset.label.trim()));
    for (const cell of table.querySelectorAll("th, td")) {
      const text = cell.innerText.trim();
      if (!own(cell) || !text) continue;
      if (head && head.contains(cell) && !headShown) {
        if (!labels.has(text)) hidden.push(text.slice(0, 60) + " (heading)");
      } else if (!shown(cell)) {
        hidden.push(text.slice(0, 60));
      }
    }
  }
  return {scrollWidth: Math.max(root.scrollWidth, document.body.scrollWidth), clientWidth: vw,
          height: root.scrollHeight, small: small, body: body, hidden: hidden};
}"""


@dataclass
class Layout:
    """How the page sits on the screen it was opened on."""

    scroll_width: int
    client_width: int
    height: int
    small_text: list[str]  # any text under 10 px, charts included
    small_body_text: list[str]  # page text (not chart text) under 14 px
    hidden_cells: list[str]

    @property
    def scrolls_sideways(self) -> bool:
        """True when the page is wider than the screen (a reader must scroll sideways)."""
        return self.scroll_width > self.client_width


@dataclass
class PageResult:
    """What happened when the report was opened."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)  # Vega's "Infinite extent" is a warning
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    text: str = ""
    screenshot: Path | None = None
    layout: Layout | None = None

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
    width: int = 1200,
    height: int = 900,
) -> PageResult:
    """Load ``html_path`` from file:// with all network blocked; wait for charts; report what happened.

    ``width`` and ``height`` are the screen's CSS pixels (390 is a phone); ``layout`` says how it fits.
    """
    from playwright.sync_api import sync_playwright

    result = PageResult()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route("**/*", lambda route: _only_local(route, result))
            page.on("console", lambda msg: _console(msg, result))
            page.on("pageerror", lambda exc: result.page_errors.append(str(exc)))
            page.on("dialog", lambda dialog: (result.dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(Path(html_path).resolve().as_uri(), wait_until="load", timeout=timeout_ms)
            _wait_for_charts(page, timeout_ms)
            if print_media:
                page.emulate_media(media="print")
            result.charts = [Chart(**c) for c in page.evaluate(CHARTS_JS, CHART_SELECTOR)]
            result.text = page.inner_text("body")
            found = page.evaluate(LAYOUT_JS)
            result.layout = Layout(
                scroll_width=found["scrollWidth"],
                client_width=found["clientWidth"],
                height=found["height"],
                small_text=found["small"],
                small_body_text=found["body"],
                hidden_cells=found["hidden"],
            )
            if screenshot:
                result.screenshot = Path(screenshot)
                result.screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(result.screenshot), full_page=True)
        finally:
            browser.close()
    return result


def _console(msg, result: PageResult) -> None:
    """Keep the page's console errors and warnings."""
    if msg.type == "error":
        result.console_errors.append(msg.text)
    elif msg.type == "warning":
        result.console_warnings.append(msg.text)


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


def printed_pages(html_path: str | os.PathLike, paper: str = "A4") -> int:
    """How many pages ``html_path`` prints on (``paper``: A4 or Letter), with the page's print CSS."""
    import re

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: _only_local(route, PageResult()))
            page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
            _wait_for_charts(page, 20_000)
            pdf = page.pdf(format=paper, print_background=True, prefer_css_page_size=True)
        finally:
            browser.close()
    # Chromium writes one "/Type /Page" object per page (and one "/Type /Pages" tree)
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
