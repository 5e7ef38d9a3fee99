"""The client report end to end: the demo project, `csnb run` on the command line, the HTML a client opens.

One demo project per session. Each report is made once, the first time a test asks for it, by the
same command a customer success manager types (``csnb run CLIENT --audience ...``, from inside the
project folder); the tests then read the HTML like a reader would, and open it in chromium offline.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import chromium_or_skip, open_report
from bs4 import BeautifulSoup
from builders import copy_report_notebook
from commands import run_csnb
from conftest import new_demo
from pages import assert_no_code_or_parameters, readable, text_of

from csnb.plan import load_plan

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

AS_OF = "2026-10-15"  # pinned in the demo's csnb.toml
EARLIER = "2026-10-01"  # an earlier report of acme, so that the 15 October one has something to compare with
CLIENTS = ("northwind", "acme", "fernhill")
AUDIENCES = ("operator", "executive")
NAMES = {
    "northwind": ("Northwind Contact Services", "Calls handled per agent per day", "Average handle time"),
    "acme": ("Acme Logistics", "Routes planned by the engine", "Manual routing time per day"),
    "fernhill": ("Fernhill Grocers", "Stores with point-of-sale data flowing", "Product newsletter opens"),
}
# The operator report's anatomy, in order (h2, with the h3 each section must hold).
OPERATOR_SECTIONS = [
    ("Summary", ["What changed", "Why it matters", "What comes next", "Needed from you"]),
    ("Metrics", []),
    ("Milestones", ["Acceptance checklist"]),
    ("Risks", []),
    ("Changes and decisions", []),
    ("Who does what (RACI)", []),
    ("Communication cadence", []),
    ("How to read this report", []),
    ("Appendix", ["Data freshness"]),
]
OPERATOR_ONLY = [
    "Milestones",
    "Risks",
    "Changes and decisions",
    "Who does what (RACI)",
    "Communication cadence",
    "How to read this report",
    "Appendix",
]
MB = 1_000_000


class DemoProject:
    """A demo project, and the reports made in it (each made once, on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[tuple, Path] = {}

    def csnb(self, *args: str) -> None:
        """``csnb ARGS`` in the project folder; it must succeed."""
        done = run_csnb(*args, cwd=self.root, timeout=600)
        assert done.returncode == 0, (
            f"csnb {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )

    def report(
        self, client: str, audience: str = "operator", as_of: str = AS_OF, static: bool = False
    ) -> Path:
        """The HTML of ``csnb run CLIENT --audience AUDIENCE [--as-of] [--static]``."""
        key = (client, audience, as_of, static)
        if key not in self._made:
            args = ["run", client, "--audience", audience]
            if as_of != AS_OF:
                args += ["--as-of", as_of]
            out = self.root / ("static-reports" if static else "reports")
            if static:
                args += ["--static", "--out", str(out)]
            self.csnb(*args)
            self._made[key] = out / client / as_of / f"{audience}.html"
        return self._made[key]

    def html(self, *args, **kwargs) -> str:
        return self.report(*args, **kwargs).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> DemoProject:
    """The demo project with the report notebook, and acme's operator report of 1 October already made."""
    root = new_demo(tmp_path_factory.mktemp("demo-project"))
    project = DemoProject(root)
    copy_report_notebook(root)
    project.report("acme", "operator", as_of=EARLIER)  # the store now holds a snapshot to compare with
    for audience in AUDIENCES:  # one batch per audience is quicker than a command per report
        project.csnb("run", "--all", "--audience", audience, "--jobs", "2")
        for client in CLIENTS:
            project._made[(client, audience, AS_OF, False)] = (
                root / "reports" / client / AS_OF / f"{audience}.html"
            )
    return project


def headings(soup: BeautifulSoup, *levels: str) -> list[str]:
    return [text_of(h) for h in soup.find_all(list(levels))]


def chart_ids(soup: BeautifulSoup) -> dict[str, str]:
    """Chart container id -> its accessible label."""
    return {div["id"]: div.get("aria-label", "") for div in soup.select("div.csnb-chart")}


def metric_kinds(soup: BeautifulSoup, plan_path: Path) -> list[str]:
    """LEAD or LAG of each metric block, in the order the report shows them (the plan says which is which:
    the page says it in words, "Leading indicator" or "Outcome", and not at all for a metric without data)."""
    kinds = {m.name: m.kind.upper() for m in load_plan(plan_path).metrics}
    return [kinds[h.contents[0].strip()] for h in soup.select("div.metric h3")]


def badge_of_metric(soup: BeautifulSoup, name: str) -> str:
    h3 = next(h for h in soup.select("div.metric h3") if text_of(h).startswith(name))
    return text_of(h3.select_one(".badge"))


def row_with(soup: BeautifulSoup, first_cell: str):
    return next(
        tr for tr in soup.find_all("tr") if tr.find("td") and text_of(tr.find("td")).startswith(first_cell)
    )


# -- in the browser ---------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("client", CLIENTS)
def test_report_opens_offline_with_every_chart_drawn(project, client, audience, tmp_path):
    chromium_or_skip()
    html_path = project.report(client, audience)
    page = open_report(html_path, screenshot=tmp_path / f"{client}-{audience}.png")
    assert page.requests == []
    assert page.console_errors == [] and page.page_errors == [] and page.dialogs == []
    soup = readable(html_path.read_text(encoding="utf-8"))
    if audience == "executive":  # the one-pager: sparklines, no full chart
        assert page.charts == [] and chart_ids(soup) == {}
        assert page.screenshot is not None and page.screenshot.stat().st_size > 20_000
        return
    assert page.all_charts_drawn, page.charts
    assert [c.id for c in page.charts] == list(chart_ids(soup))
    timeline = [i for i, label in chart_ids(soup).items() if label == "Milestone timeline"]
    assert len(timeline) == 1, "the operator report shows the milestone timeline (Gantt)"
    assert next(c for c in page.charts if c.id == timeline[0]).drawn
    assert page.screenshot is not None and page.screenshot.stat().st_size > 20_000


@pytest.mark.browser
def test_static_report_has_no_script_and_draws_its_charts(project, tmp_path):
    chromium_or_skip()
    html_path = project.report("northwind", "operator", static=True)
    html = html_path.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    # each chart is drawn twice (desktop and phone width); attached to an e-mail, base64 adds a third and
    # the whole message must stay under 1.5 MB
    assert len(html.encode()) <= 0.8 * MB
    page = open_report(html_path, screenshot=tmp_path / "northwind-static.png")
    assert page.requests == [] and page.console_errors == [] and page.page_errors == []
    assert page.all_charts_drawn and all(c.svg for c in page.charts), page.charts
    assert "Milestone timeline" in chart_ids(readable(html)).values()
    assert headings(readable(html), "h2") == headings(readable(project.html("northwind", "operator")), "h2")


# -- what a reader checks in the HTML ---------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
def test_operator_report_has_every_section_in_order(project, client):
    soup = readable(project.html(client, "operator"))
    outline = headings(soup, "h2", "h3")
    position = -1
    for section, subsections in OPERATOR_SECTIONS:
        assert section in outline[position + 1 :], f"{section!r} missing or out of order in {outline}"
        position = outline.index(section, position + 1)
        following = outline[position + 1 :]
        end = next((i for i, h in enumerate(following) if h in dict(OPERATOR_SECTIONS)), len(following))
        for sub in subsections:
            assert sub in following[:end], f"{sub!r} not under {section!r} in {outline}"


@pytest.mark.parametrize("client", CLIENTS)
def test_metrics_show_lead_indicators_before_lag_with_a_chart_each(project, client):
    soup = readable(project.html(client, "operator"))
    kinds = metric_kinds(soup, project.root / "parameters" / f"{client}.yaml")
    assert "LAG" in kinds and kinds == sorted(kinds, key=lambda k: k != "LEAD"), kinds
    charts = [label for label in chart_ids(soup).values() if label != "Milestone timeline"]
    # one chart per metric with data; a metric without data says so instead of drawing an empty chart
    with_data = [
        div.h3.contents[0].strip() for div in soup.select("div.metric") if not div.select_one(".nodata")
    ]
    assert charts == with_data


@pytest.mark.parametrize("client", CLIENTS)
def test_executive_report_is_the_one_pager(project, client):
    soup = readable(project.html(client, "executive"))
    sections = headings(soup, "h2")
    assert sections == ["Summary"], sections
    text = text_of(soup)
    for part in ("Health", "What changed", "Why it matters", "What comes next", "Needed from you"):
        assert part in text, part
    assert chart_ids(soup) == {} and not soup.select("div.metric")  # the full charts are the operator's
    goals = soup.select("table.op-goals tbody tr")
    assert len(goals) == len(load_plan(project.root / "parameters" / f"{client}.yaml").goals) >= 2
    # a sparkline per goal with data (Fernhill's forecast accuracy has none yet, and says so instead)
    sparks = [row.select_one("img.csnb-spark") is not None for row in goals]
    no_data = ["No data yet: expected from" in text_of(row) for row in goals]
    assert all(s or n for s, n in zip(sparks, no_data, strict=True)), (sparks, no_data)
    for absent in [*OPERATOR_ONLY, "Acceptance checklist", "Data freshness", "RACI"]:
        assert absent not in headings(soup, "h2", "h3"), absent
    assert "R responsible" not in text and "Newest data" not in text


@pytest.mark.parametrize("client", CLIENTS)
def test_operator_report_has_checklist_glossary_and_freshness(project, client):
    soup = readable(project.html(client, "operator"))
    checklist = next(t for t in soup.find_all("table") if t.find("th", string="Criteria"))
    assert len(checklist.select("tbody tr")) >= 4 and re.search("[☑☐]", text_of(checklist))
    glossary = text_of(soup.find("h2", string="How to read this report").find_parent("div"))
    for rule in ("Progress", "Expected", "Milestone done", "Risk triggered", "Health", "Green ≥ 75"):
        assert rule in glossary, rule
    freshness = next(t for t in soup.find_all("table") if t.find("th", string="Newest data"))
    assert "15 Oct 2026" in text_of(freshness)


def test_northwind_shows_calls_per_agent_missed(project):
    soup = readable(project.html("northwind", "operator"))
    assert "Missed" in badge_of_metric(soup, "Calls handled per agent per day")
    first_goal = readable(project.html("northwind", "executive")).select_one("table.op-goals tbody tr")
    assert text_of(first_goal).startswith(
        "+15% calls per agent within 30 days of the first campaign ■ Missed"
    )
    assert "Achieved" in badge_of_metric(soup, "Agents live on the platform")


def test_fernhill_shows_the_triggered_risk_and_the_blocked_milestone(project):
    soup = readable(project.html("fernhill", "operator"))
    risk = row_with(soup, "The point-of-sale vendor delays API access")
    assert "Triggered" in text_of(risk)
    milestone = row_with(soup, "Store managers trained and using dashboards")
    assert "Blocked" in text_of(milestone)
    assert "Late" in text_of(row_with(soup, "First wave: 20 stores"))
    summary = text_of(soup.find("h2", string="Summary").find_parent("div"))
    assert "Risk to act on: The point-of-sale vendor delays API access for the remaining stores" in summary
    assert summary.startswith("Summary ■ Red :")


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("client", CLIENTS)
def test_no_code_parameters_tracebacks_or_other_clients(project, client, audience):
    html = project.html(client, audience)
    assert_no_code_or_parameters(html, project.root)
    assert project.root.name not in html
    text = text_of(readable(html))
    assert "Warning" not in text and not re.search(r"\w+Error\b", text)
    for other in CLIENTS:
        if other != client:
            for name in NAMES[other]:
                assert name not in html, f"{other}'s {name!r} in {client}'s report"
    assert NAMES[client][0] in text


@pytest.mark.parametrize("audience", AUDIENCES)
def test_report_sizes(project, audience):
    sizes = {client: project.report(client, audience).stat().st_size for client in CLIENTS}
    assert all(size <= 1.5 * MB for size in sizes.values()), sizes


def test_run_writes_the_executed_notebook_next_to_the_html(project):
    html_path = project.report("northwind", "operator")
    assert html_path.with_suffix(".ipynb").is_file()
    assert not [
        p.name for p in html_path.parent.iterdir() if p.name.startswith(".")
    ]  # no temporary leftovers


def test_second_run_says_what_changed_since_the_previous_report(project):
    earlier = readable(project.html("acme", "operator", as_of=EARLIER))
    assert "first report" in text_of(earlier.find("h1", string="Acme Logistics").find_parent("div"))
    soup = readable(project.html("acme", "operator"))
    header = text_of(soup.find("h1", string="Acme Logistics").find_parent("div"))
    assert "compared with 1 Oct 2026" in header
    changed = soup.find("h3", string="What changed").find_parent("div")
    items = [text_of(li) for li in changed.find_all("li")]
    assert items, text_of(changed)
    assert "first report" not in text_of(changed)


@pytest.mark.browser
def test_operator_report_prints_with_every_chart(project, tmp_path):
    chromium_or_skip()
    page = open_report(
        project.report("fernhill", "operator"), print_media=True, screenshot=tmp_path / "print.png"
    )
    assert page.all_charts_drawn and page.requests == [] and page.console_errors == []
    assert "How to read this report" in page.text
