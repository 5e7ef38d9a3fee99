"""Reading a report's HTML as its reader does: the visible text, and what must never reach it."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

# What the notebook's cells and parameters say; none of it may reach the client.
CODE_AND_PARAMETERS = [
    "csnb.report",
    "report.show",
    "report.record",
    "prepare(",
    "import csnb",
    "plan_path",
    "store_url",
    "as_of =",
    "audience =",
    "injected-parameters",
    ".yaml",
]


def readable(html: str) -> BeautifulSoup:
    """The page without scripts and styles: what a reader sees."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return soup


def text_of(tag) -> str:
    """The text of ``tag``, its white space folded to single spaces."""
    return re.sub(r"\s+", " ", tag.get_text(" ", strip=True))


def visible_text(html: str) -> str:
    """Everything a reader of the page can read, as one line."""
    return text_of(readable(html))


def assert_no_code_or_parameters(html: str, root: Path) -> None:
    """No cell source, parameter, project path or traceback in a report made in the project ``root``."""
    for leak in CODE_AND_PARAMETERS:
        assert leak not in html, f"{leak!r} in the report"
    assert str(root) not in html and "Traceback" not in html
