"""The report as a client opens it: chromium, offline, every chart drawn, nothing executed from user data."""

from __future__ import annotations

import pytest
from browser import chromium_or_skip, open_report
from hazards import LEAKS

from csnb.render.exporter import render_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def chromium() -> str:
    return chromium_or_skip()


@pytest.mark.parametrize("static", [False, True], ids=["interactive", "static"])
def test_three_charts_drawn_offline_without_errors(executed, tmp_path, static):
    html_path = tmp_path / "report.html"
    html_path.write_text(render_notebook(executed, title="Acme", static=static), encoding="utf-8")
    page = open_report(html_path, screenshot=tmp_path / "report.png")
    assert page.requests == []
    assert page.console_errors == [] and page.page_errors == []
    assert [c.id for c in page.charts] == ["csnb-chart-1", "csnb-chart-2", "csnb-chart-3"]
    assert page.all_charts_drawn, page.charts
    assert all(c.svg and c.marks > 5 for c in page.charts)
    assert page.screenshot is not None and page.screenshot.stat().st_size > 10_000


def test_user_strings_execute_nothing_and_read_as_text(executed, tmp_path):
    html_path = tmp_path / "report.html"
    html_path.write_text(render_notebook(executed, title="Acme"), encoding="utf-8")
    page = open_report(html_path)
    assert page.dialogs == []
    assert page.requests == []  # the <img src=x> and the tracker image were never requested
    for leak in LEAKS:
        assert leak in page.text  # the DataFrame shows each string as the user typed it


def test_charts_survive_print_media(executed, tmp_path):
    html_path = tmp_path / "report.html"
    html_path.write_text(render_notebook(executed, title="Acme"), encoding="utf-8")
    page = open_report(html_path, print_media=True, screenshot=tmp_path / "print.png")
    assert page.all_charts_drawn and page.requests == []


def test_helper_counts_blocked_requests(tmp_path):
    html_path = tmp_path / "remote.html"
    html_path.write_text(
        '<!DOCTYPE html><html><body><img src="https://example.invalid/a.png">'
        '<script src="http://example.invalid/b.js"></script></body></html>',
        encoding="utf-8",
    )
    page = open_report(html_path, timeout_ms=5_000)
    assert sorted(page.requests) == ["http://example.invalid/b.js", "https://example.invalid/a.png"]
    assert page.charts == [] and not page.all_charts_drawn


@pytest.mark.parametrize("static", [False, True], ids=["interactive", "static"])
def test_charts_fit_a_phone_with_legible_text(executed, tmp_path, static):
    html_path = tmp_path / "report.html"
    html_path.write_text(render_notebook(executed, title="Acme", static=static), encoding="utf-8")
    page = open_report(html_path, width=390, screenshot=tmp_path / "phone.png")
    assert page.all_charts_drawn and page.requests == []
    assert not page.layout.scrolls_sideways, page.layout
    assert page.layout.small_text == []  # drawn for the screen's width, not shrunk to it


def test_helper_sees_text_shrunk_by_an_svg_and_cells_out_of_sight(tmp_path):
    html_path = tmp_path / "small.html"
    html_path.write_text(
        '<!DOCTYPE html><html><body style="margin:0">'
        '<svg width="200" viewBox="0 0 800 100"><text x="0" y="50" font-size="24">tiny</text></svg>'
        '<div style="overflow:hidden;width:300px"><table><thead><tr><th>Name</th><th>Owner</th></tr></thead>'
        '<tbody><tr><td>Go live</td><td style="padding-left:400px">Dana</td></tr></tbody></table></div>'
        '<div style="width:600px">wide</div></body></html>',
        encoding="utf-8",
    )
    layout = open_report(html_path, width=390, timeout_ms=5_000).layout
    assert layout.small_text == ["tiny (6.0 px)"]  # 24 px in a viewBox drawn at a quarter of its size
    assert layout.hidden_cells == ["Owner", "Dana"] and layout.scrolls_sideways
