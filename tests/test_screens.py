"""Every page the demo sends a client, on a desktop (1280 px) and a phone (390 px), in Chromium, offline.

A reader never scrolls sideways, never meets text under 10 px (chart text included, at the size its SVG
is drawn) or page text under 14 px, never loses a table column, and the page asks nothing of the
network; the executive edition fits one desktop screen and a half (1,400 px) and prints on one page.
Screenshots go to build/screens/<client>-<audience>-<width>.png (``-static`` for the static edition,
``-email`` for the message body), for people to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import chromium_or_skip, open_report, printed_pages
from conftest import REPO
from pages import AUDIENCES, DEMO_CLIENTS, EDITIONS, DemoPages, email_parts, shared_demo_pages

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCREENS = REPO / "build" / "screens"
WIDTHS = (1280, 390)
EXECUTIVE_HEIGHT = 1_400  # px at 1280 px wide, for up to five goals
REPORTS = [(c, a, e) for c in DEMO_CLIENTS for a in AUDIENCES for e in EDITIONS]


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory: pytest.TempPathFactory) -> DemoPages:
    chromium_or_skip()
    return shared_demo_pages(tmp_path_factory)


def problems(path: Path, width: int, shot: str, body_text: bool = True) -> tuple[list[str], int]:
    """What a reader of ``path`` on a ``width`` px screen would meet, and the page's height.

    ``body_text``: hold the page's text (not its charts') to 14 px, as the report's stylesheet does; an
    e-mail's fine print (the footer) is only held to the 10 px every text must reach.
    """
    page = open_report(path, width=width, screenshot=SCREENS / f"{shot}-{width}.png")
    layout = page.layout
    assert page.screenshot is not None and page.screenshot.stat().st_size > 5_000
    found = [f"request to {url}" for url in page.requests]
    found += [f"console error: {e}" for e in page.console_errors + page.page_errors]
    found += [f"console warning: {w}" for w in page.console_warnings if "extent" in w.lower()]
    if layout.scrolls_sideways:
        found.append(f"scrolls sideways: {layout.scroll_width} px wide on a {layout.client_width} px screen")
    found += [f"text under 10 px: {t}" for t in layout.small_text]
    found += [f"body text under 14 px: {t}" for t in layout.small_body_text if body_text]
    found += [f"table cell out of sight: {t}" for t in layout.hidden_cells]
    return found, layout.height


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("client", "audience", "edition"), REPORTS, ids=["-".join(r) for r in REPORTS])
def test_report_reads_on_any_screen(demo_pages, client, audience, edition, width):
    shot = f"{client}-{audience}" + ("-static" if edition == "static" else "")
    found, height = problems(demo_pages.reports[(client, audience, edition)], width, shot)
    if audience == "executive" and width == 1280 and height > EXECUTIVE_HEIGHT:
        found.append(f"executive edition {height} px tall (at most {EXECUTIVE_HEIGHT})")
    assert found == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("client", DEMO_CLIENTS)
def test_email_body_reads_on_any_screen(demo_pages, client, width, tmp_path):
    assert demo_pages.emails[client], f"csnb send --dry-run wrote no message for {client}"
    for number, eml in enumerate(demo_pages.emails[client]):
        body = tmp_path / f"{client}-{number}.html"
        body.write_text(email_parts(eml)[0], encoding="utf-8")
        shot = f"{client}-email" + (f"-{number}" if number else "")
        found, _ = problems(body, width, shot, body_text=False)
        assert found == [], eml.name


@pytest.mark.parametrize("width", WIDTHS)
def test_portfolio_page_reads_on_any_screen(demo_pages, width):
    found, _ = problems(demo_pages.portfolio, width, "portfolio")
    assert found == []


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("client", DEMO_CLIENTS)
def test_executive_edition_prints_on_one_page(demo_pages, client, paper):
    assert printed_pages(demo_pages.reports[(client, "executive", "static")], paper) == 1
