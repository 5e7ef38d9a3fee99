"""The demo with history: four weekly reports per client, so the last week says what really changed.

Builds the demo in a folder of its own and runs the reports as ``make demo`` does (every client, both
editions, the oldest week first), then reads the last week's reports and the portfolio page as their
readers do.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from commands import run_csnb
from conftest import new_demo
from pages import readable, text_of

from csnb.demo.data import AS_OF, REPORT_WEEKS
from csnb.plan import load_plan

# What moved in the demo's last week (csnb/demo/data.py and the plans' dates), per client:
# (metric or milestone id, status the week before, status now)
LAST_WEEK_MOVES = {
    "northwind": [("calls_per_agent", "On track", "Missed"), ("avg_handle_time", "On track", "At risk")],
    "acme": [("M3", "On track", "At risk")],
    "fernhill": [("M2", "At risk", "Late"), ("M3", "Not started", "Blocked")],
}
EDITIONS = ("operator", "executive")
# eight batches in fresh processes, all paid by the first test that asks for the history
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project after four weekly batches of each edition."""
    root = new_demo(tmp_path_factory.mktemp("history"))
    for week in REPORT_WEEKS:
        for audience in EDITIONS:
            done = run_csnb(
                "run", "--all", "--audience", audience, "--as-of", week.isoformat(), cwd=root, timeout=600
            )
            assert done.returncode == 0, done.stdout + done.stderr
    return root


def _name(root: Path, client: str, item: str) -> str:
    plan = load_plan(root / "parameters" / f"{client}.yaml", env={})
    names = {m.id: m.name for m in plan.metrics} | {m.id: m.title for m in plan.milestones}
    return names[item]


def _what_changed(html: str) -> list[str]:
    """The items listed under the "What changed" heading."""
    soup = readable(html)
    heading = next(h for h in soup.find_all(["h2", "h3"]) if text_of(h) == "What changed")
    return [text_of(li) for li in heading.find_next("ul").find_all("li")]


def test_every_week_has_its_reports(history: Path):
    for client in LAST_WEEK_MOVES:
        for week in REPORT_WEEKS:
            for audience in EDITIONS:
                assert (history / "reports" / client / week.isoformat() / f"{audience}.html").is_file()


@pytest.mark.parametrize("audience", EDITIONS)
@pytest.mark.parametrize("client", sorted(LAST_WEEK_MOVES))
def test_last_week_lists_what_really_changed(history: Path, client: str, audience: str):
    html = (history / "reports" / client / AS_OF.isoformat() / f"{audience}.html").read_text(encoding="utf-8")
    changed = _what_changed(html)
    page = text_of(readable(html))
    assert "first report" not in page.lower() and not any(
        line.startswith("Nothing moved") for line in changed
    )
    for item, before, after in LAST_WEEK_MOVES[client]:
        expected = f"{_name(history, client, item)}: {before} → {after}."
        assert expected in changed, f"{expected!r} not under 'What changed' in {changed}"


def test_portfolio_shows_each_clients_course_over_the_four_weeks(history: Path):
    page = readable((history / "reports" / "index.html").read_text(encoding="utf-8"))
    rows = page.select("tbody tr")
    assert len(rows) == len(LAST_WEEK_MOVES)
    previous = REPORT_WEEKS[-2].strftime("%-d %b %Y")
    for row in rows:
        trend = text_of(row.select_one('td[data-label="Trend since last run"]'))
        assert re.fullmatch(
            rf"[↑↓→] (up [\d.]+ points|down [\d.]+ points|no change) since {previous}", trend
        ), trend
        spark = row.select_one("svg.spark")
        assert spark is not None and len(spark.polyline["points"].split()) == len(REPORT_WEEKS)
    scores = [int(re.search(r"(\d+) · ", text_of(row)).group(1)) for row in rows]
    bands = [text_of(row.select_one(".band")).split("· ")[1] for row in rows]
    # Fernhill turned red in the last week; Acme (62) and Northwind (83, capped by a missed goal) are amber
    assert bands == ["Red", "Amber", "Amber"] and scores == sorted(scores)
    assert "Capped at amber" in text_of(rows[2]) and "Northwind" in text_of(rows[2])
