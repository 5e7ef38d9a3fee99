"""``reports/index.html``: every client at a glance, worst first, in words, offline, escaped, any screen."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from batchkit import PLAN
from browser import CHROMIUM_ARGS, LAYOUT_JS, chromium_or_skip
from pages import readable, visible_text

from csnb.plan import load_plan
from csnb.render.portfolio import sparkline, write_index
from csnb.store.runs import Store
from csnb.store.trends import HealthPoint, Trends

EVIL = '<script>alert("x")</script> & Co'


def _summary(as_of: str, score: float, band: str, milestone: str, metric: str = "on_track") -> dict:
    return {
        "as_of": as_of,
        "health": {"score": score, "band": band},
        "metrics": {"handle_time": {"status": metric, "name": "Average handle time"}},
        "milestones": {"M1": {"status": milestone, "title": "Agents trained"}},
    }


def _plans(folder: Path, clients: list[tuple[str, str]]) -> dict:
    plans = {}
    for client, name in clients:
        (folder / f"{client}.yaml").write_text(PLAN.format(client=client, name=name.replace('"', '\\"')))
        plans[client] = load_plan(folder / f"{client}.yaml")
    return plans


def _run(store: Store, key: str, client: str, as_of: str, status: str, **values) -> None:
    run = store.start_run(key, client=client, ritual="", audience="operator", as_of=as_of)
    store.finish_run(run, status, **values)


def _rows(page: str) -> list[str]:
    """The visible text of each client row, top to bottom."""
    return [re.sub(r"\s+", " ", tr.get_text(" ", strip=True)) for tr in readable(page).select("tbody tr")]


@pytest.fixture
def portfolio(tmp_path: Path, sqlite_url: str) -> tuple[Path, str]:
    """Four clients: one whose run failed, one red, one amber with four weekly reports, one green."""
    plans = _plans(
        tmp_path,
        [("acme", EVIL), ("zeta", "Zeta Foods"), ("rook", "Rook Retail"), ("gale", "Gale Freight")],
    )
    reports = tmp_path / "reports"
    html = reports / "acme" / "2026-10-15" / "operator.html"
    html.parent.mkdir(parents=True)
    html.write_text("<html></html>")
    store = Store(sqlite_url)
    for as_of, score in [("2026-09-24", 50), ("2026-10-01", 55), ("2026-10-08", 60), ("2026-10-15", 72.5)]:
        store.record_snapshot(
            "acme", "operator", dt.date.fromisoformat(as_of), _summary(as_of, score, "amber", "at_risk")
        )
    store.record_snapshot(
        "rook", "operator", dt.date(2026, 10, 15), _summary("2026-10-15", 40, "red", "late", "off_track")
    )
    # green by score, capped at amber: its goal's lag metric missed its target
    store.record_snapshot(
        "gale", "executive", dt.date(2026, 10, 15), _summary("2026-10-15", 90, "amber", "done", "missed")
    )
    _run(store, "a", "acme", "2026-10-15", "ok", outputs={"html": str(html)})
    _run(
        store,
        "z",
        "zeta",
        "2026-10-15",
        "failed",
        error="client zeta: cell 4 raised KeyError: '<b>routing</b>'",
    )
    store.dispose()
    return write_index(None, sqlite_url, plans, reports), sqlite_url


def test_failed_runs_are_named_in_a_banner_and_everything_is_escaped(portfolio):
    page = portfolio[0].read_text(encoding="utf-8")
    banner = page.split('class="banner"')[1].split("</div>")[0]
    assert "Zeta Foods (zeta), report of 15 Oct 2026" in banner and "&lt;b&gt;routing&lt;/b&gt;" in banner
    assert "acme" not in banner
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in page
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "the page must not reach the network"
    assert 'href="acme/2026-10-15/operator.html"' in page


def test_clients_are_listed_worst_first(portfolio):
    rows = _rows(portfolio[0].read_text(encoding="utf-8"))
    names = [next(n for n in ("Zeta Foods", "Rook Retail", "& Co", "Gale Freight") if n in r) for r in rows]
    # a failed run, then red, then amber (lower health first), and no green band at all here
    assert names == ["Zeta Foods", "Rook Retail", "& Co", "Gale Freight"]


def test_rows_speak_in_words_with_a_mark_per_status(portfolio):
    page = portfolio[0].read_text(encoding="utf-8")
    acme, rook = _rows(page)[2], _rows(page)[1]
    assert "◆ 72 · Amber" in acme and "↑ up 12.5 points since 8 Oct 2026" in acme
    assert "◆ 1 at risk" in acme and "● 1 on track" in acme and "as of 15 Oct 2026" in acme
    assert "Agents trained due 30 Oct 2026 · ◆ At risk" in acme
    assert "Succeeded report of 15 Oct 2026" in acme and "Operator edition" in acme
    assert "■ 40 · Red" in rook and "■ 1 off track" in rook and "■ 1 late" in rook
    assert "No earlier report" in rook and "Never run" in rook
    text = visible_text(page)
    assert not re.search(r"\w_\w", text), "a raw token (at_risk, on_track, ...) reached the page"
    assert not re.search(r"\d{4}-\d\d-\d\d", text), "dates read as 15 Oct 2026"
    assert ": 1" not in text


def test_a_capped_band_says_which_goal_caps_it(portfolio):
    gale = _rows(portfolio[0].read_text(encoding="utf-8"))[3]
    assert "◆ 90 · Amber" in gale
    assert "Capped at amber: goal “Answer calls faster” is missed (Average handle time)" in gale


def test_health_sparkline_draws_every_past_report(portfolio):
    page = portfolio[0].read_text(encoding="utf-8")
    svgs = readable(page).select("svg.spark")
    assert len(svgs) == 1, "only the client with more than one report has a course to draw"
    label = svgs[0]["aria-label"]
    assert label == "Health over the last 4 reports, 24 Sep 2026 to 15 Oct 2026: 50, 55, 60, 72"
    points = [tuple(map(float, p.split(","))) for p in svgs[0].polyline["points"].split()]
    xs, ys = zip(*points, strict=True)
    assert len(points) == 4 and list(xs) == sorted(xs)
    assert ys[0] > ys[1] > ys[2] > ys[3], "health rose every week, so the line climbs (SVG y points down)"


def test_sparkline_scales_health_into_its_box():
    days = [dt.date(2026, 10, 1), dt.date(2026, 10, 8)]
    spark = sparkline([HealthPoint(days[0], 0, "red"), HealthPoint(days[1], 100, "green")])
    assert spark is not None
    # 3 px of padding in a 120 x 36 box: 0 sits on the bottom edge, 100 on the top one
    assert spark["points"] == "3.0,33.0 117.0,3.0" and spark["tone"] == "good"
    # 60 -> 70 on a scale from 45 (50 less 5) to 80 (75 and 5), 30 px tall: y = 3 + (80 - score) / 35 * 30
    close = sparkline([HealthPoint(days[0], 60, "amber"), HealthPoint(days[1], 70, "amber")])
    assert close is not None and close["points"] == "3.0,20.1 117.0,11.6"
    assert close["bands"] == {"green": 7.3, "amber": 28.7}
    assert sparkline([HealthPoint(days[0], 50, "amber")]) is None
    assert sparkline([HealthPoint(days[0], None, None), HealthPoint(days[1], 60, "amber")]) is None


def test_trends_take_the_operator_edition_of_a_date_and_keep_the_newest(sqlite_url):
    store = Store(sqlite_url)
    for week in range(5):
        as_of = dt.date(2026, 9, 17) + dt.timedelta(weeks=week)
        store.record_snapshot(
            "acme", "executive", as_of, _summary(as_of.isoformat(), 10 + week, "red", "late")
        )
    # the operator edition of the newest date stands for it (both are evaluated from the same data)
    store.record_snapshot(
        "acme", "operator", dt.date(2026, 10, 15), _summary("2026-10-15", 80, "green", "done")
    )
    store.dispose()
    trends = Trends(sqlite_url)
    try:
        history = trends.health(["acme", "nobody"], limit=3)
        newest = trends.newest(["acme"])
    finally:
        trends.dispose()
    assert list(history) == ["acme"]
    assert [(p.as_of.isoformat(), p.score, p.band) for p in history["acme"]] == [
        ("2026-10-01", 12.0, "red"),
        ("2026-10-08", 13.0, "red"),
        ("2026-10-15", 80.0, "green"),
    ]
    assert newest["acme"]["health"] == {"score": 80, "band": "green"}


def test_trends_of_a_store_without_reports_are_empty(sqlite_url):
    trends = Trends(sqlite_url)  # never migrated: no snapshots table yet
    try:
        assert trends.health() == {} and trends.newest() == {}
    finally:
        trends.dispose()


MIN_FONT_JS = """() => {
  let min = 1000, where = "";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.nodeValue.trim() || !el || el.closest("style, title")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    if (!Array.from(range.getClientRects()).some((r) => r.width > 0 && r.height > 0)) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    if (px < min) { min = px; where = node.nodeValue.trim().slice(0, 40); }
  }
  return {min: min, where: where};
}"""


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_the_page_fits_the_screen_and_reads_at_14_px(portfolio, width, tmp_path):
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith("file:")
                    else (requests.append(route.request.url), route.abort())
                ),
            )
            page.goto(portfolio[0].resolve().as_uri(), wait_until="load")
            layout, font = page.evaluate(LAYOUT_JS), page.evaluate(MIN_FONT_JS)
            page.screenshot(path=str(tmp_path / f"portfolio-{width}.png"), full_page=True)
        finally:
            browser.close()
    assert requests == []
    assert layout["scrollWidth"] <= layout["clientWidth"], "the page scrolls sideways"
    assert layout["hidden"] == [], f"columns out of sight: {layout['hidden']}"
    assert font["min"] >= 14, f"text under 14 px: {font}"
    assert (tmp_path / f"portfolio-{width}.png").stat().st_size > 10_000
