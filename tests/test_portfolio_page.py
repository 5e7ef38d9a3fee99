"""``reports/index.html``: every client at a glance, offline, escaped, with failed clients flagged."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from batchkit import PLAN

from csnb.plan import load_plan
from csnb.render.portfolio import write_index
from csnb.store.runs import Store

EVIL = '<script>alert("x")</script> & Co'


def _summary(as_of: str, score: float, band: str, milestone: str) -> dict:
    return {
        "as_of": as_of,
        "health": {"score": score, "band": band},
        "metrics": {"handle_time": {"status": "on_track"}},
        "milestones": {"M1": {"status": milestone}},
    }


def test_portfolio_page_shows_health_trend_and_failures_offline(tmp_path: Path, sqlite_url: str) -> None:
    plans = {}
    for client, name in [("acme", EVIL), ("zeta", "Zeta Foods")]:
        (tmp_path / f"{client}.yaml").write_text(PLAN.format(client=client, name=name.replace('"', '\\"')))
        plans[client] = load_plan(tmp_path / f"{client}.yaml")
    reports = tmp_path / "reports"
    html = reports / "acme" / "2026-10-12" / "operator.html"
    html.parent.mkdir(parents=True)
    html.write_text("<html></html>")
    store = Store(sqlite_url)
    store.record_snapshot(
        "acme", "operator", dt.date(2026, 10, 5), _summary("2026-10-05", 60, "amber", "on_track")
    )
    store.record_snapshot(
        "acme", "operator", dt.date(2026, 10, 12), _summary("2026-10-12", 72.5, "amber", "at_risk")
    )
    store.finish_run(
        store.start_run("a", client="acme", ritual="", audience="operator", as_of="2026-10-12"),
        "ok",
        outputs={"html": str(html)},
    )
    store.finish_run(
        store.start_run("z", client="zeta", ritual="", audience="operator", as_of="2026-10-12"),
        "failed",
        error="client zeta: cell 4 raised KeyError: '<b>routing</b>'",
    )

    page = write_index(None, sqlite_url, plans, reports).read_text(encoding="utf-8")

    banner = page.split('class="banner"')[1].split("</div>")[0]
    assert "Zeta Foods (zeta)" in banner and "&lt;b&gt;routing&lt;/b&gt;" in banner and "acme" not in banner
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in page
    assert "+12.5" in page and "72 amber" in page and "at_risk: 1" in page
    assert 'href="acme/2026-10-12/operator.html"' in page
    assert "Agents trained" in page and "due 2026-10-30" in page  # next milestone
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "the page must not reach the network"
