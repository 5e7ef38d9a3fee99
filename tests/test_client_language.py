"""What a client reads is in the client's words: every report edition and every e-mail body of the demo.

Analyst detail (correlations, shifts, metric ids) stays in the exploration notebook; a client reads no
``r =``, no metric id, no token with an underscore, no "(s)" plural and one date format (``15 Oct 2026``).
The portfolio page is the team's, not a client's, so it is not checked here.
"""

from __future__ import annotations

import re

import pytest
from browser import chromium_or_skip, open_report
from pages import AUDIENCES, DEMO_CLIENTS, EDITIONS, DemoPages, email_parts, shared_demo_pages

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# Any date written another way than "15 Oct 2026" (or a part of it, such as "15 Oct" on a chart's axis).
OTHER_DATES = {
    "ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "month before day": re.compile(rf"\b{MONTH}[a-z]* \d{{1,2}}\b(?! \d{{4}})"),
    "numeric date": re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"),
}
REPORTS = [(c, a, e) for c in DEMO_CLIENTS for a in AUDIENCES for e in EDITIONS]


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory: pytest.TempPathFactory) -> DemoPages:
    chromium_or_skip()
    return shared_demo_pages(tmp_path_factory)


def analyst_words(text: str, metric_ids: list[str]) -> list[str]:
    """Everything in ``text`` a client should not have to read, each with a little context."""

    def around(match: re.Match) -> str:
        return text[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ")

    found = [f"correlation: {around(m)}" for m in re.finditer(r"\br\s*=", text)]
    found += [f"'(s)' plural: {around(m)}" for m in re.finditer(r"\(s\)", text)]
    found += [f"underscore token: {around(m)}" for m in re.finditer(r"\w*_\w*", text)]
    for metric in metric_ids:
        found += [
            f"metric id {metric}: {around(m)}"
            for m in re.finditer(rf"(?<![\w-]){re.escape(metric)}(?![\w-])", text)
        ]
    for name, pattern in OTHER_DATES.items():
        found += [f"{name}: {around(m)}" for m in pattern.finditer(text)]
    return sorted(set(found))


def test_the_checks_catch_analyst_words():
    text = "moves Agents live 0 period(s) later (r = 0.98); routing_minutes <= 450 on 2026-10-15, Oct 12"
    found = analyst_words(text, ["routing_minutes"])
    kinds = {f.split(":")[0] for f in found}
    assert kinds == {
        "correlation",
        "'(s)' plural",
        "underscore token",
        "metric id routing_minutes",
        "ISO date",
        "month before day",
    }
    assert (
        analyst_words(
            "Manual routing time at or below 450 minutes by 15 Oct 2026 (12 Oct)", ["routing_minutes"]
        )
        == []
    )


@pytest.mark.parametrize(("client", "audience", "edition"), REPORTS, ids=["-".join(r) for r in REPORTS])
def test_report_reads_in_the_clients_words(demo_pages, client, audience, edition):
    page = open_report(demo_pages.reports[(client, audience, edition)])
    assert page.text.strip()
    assert analyst_words(page.text, demo_pages.metric_ids(client)) == []


@pytest.mark.parametrize("client", DEMO_CLIENTS)
def test_email_reads_in_the_clients_words(demo_pages, client, tmp_path):
    assert demo_pages.emails[client], f"csnb send --dry-run wrote no message for {client}"
    for number, eml in enumerate(demo_pages.emails[client]):
        html, plain = email_parts(eml)
        body = tmp_path / f"{client}-{number}.html"
        body.write_text(html, encoding="utf-8")
        page = open_report(body)
        assert page.text.strip() and plain.strip(), eml.name
        assert analyst_words(page.text, demo_pages.metric_ids(client)) == [], eml.name
        assert analyst_words(plain, demo_pages.metric_ids(client)) == [], f"{eml.name}, plain text"
