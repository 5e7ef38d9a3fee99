"""Sanitising what reaches a report: HTML outputs reduced to safe tags, CSS and JSON that cannot escape."""

from __future__ import annotations

import json
import re
from typing import Any

SAFE_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)
SAFE_ATTRIBUTES = {
    "class",
    "id",
    "title",
    "colspan",
    "rowspan",
    "align",
    "alt",
    "width",
    "height",
    "style",
    "data-label",  # a cell's column heading, shown beside it when a narrow screen turns rows into cards
}
IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\bsrc=)[^>]*>", re.I)
UNSAFE_ELEMENTS = re.compile(r"<(script|style|template|iframe|object|noscript)\b.*?</\1\s*>", re.S | re.I)


def _safe_attribute(tag: str, name: str, value: str) -> bool:
    """Whether an attribute may stay: links to the web or anchors, images only inline (no requests)."""
    if name == "href":
        return tag == "a" and value.startswith(("http://", "https://", "mailto:", "#"))
    if name == "src":
        return tag == "img" and value.startswith("data:image/")
    return name in SAFE_ATTRIBUTES


def clean_html(html: str) -> str:
    """HTML from outputs and markdown with every script, style, remote load and handler removed."""
    import bleach
    from bleach.css_sanitizer import CSSSanitizer

    # bleach keeps the text of elements it strips; these elements' text is code, so drop it whole.
    html = UNSAFE_ELEMENTS.sub("", str(html))
    html = bleach.clean(
        html,
        tags=SAFE_TAGS,
        attributes=_safe_attribute,
        protocols={"http", "https", "mailto", "data"},
        strip=True,
        css_sanitizer=CSSSanitizer(),
    )
    return IMG_WITHOUT_SRC.sub("", html)  # an image whose remote source was removed is just a broken icon


def label_cells(html: str) -> str:
    """Every body cell of a table with a header row gets its column's heading as ``data-label``.

    On a narrow screen the report's CSS turns table rows into cards and prints each cell's label before
    it, so no column is lost. Cells that already carry a label keep it.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for table in soup.find_all("table"):
        labels = _column_labels(table)
        if not labels:
            continue
        for row in table.find_all("tr"):
            if row.find_parent("table") is not table or row.find_parent("thead") is not None:
                continue
            column = 0
            for cell in row.find_all(["td", "th"], recursive=False):
                if column < len(labels) and labels[column] and not cell.has_attr("data-label"):
                    cell["data-label"] = labels[column]
                column += _span(cell)
    return str(soup)


def _column_labels(table: Any) -> list[str]:
    """The heading of each column (a heading spanning columns labels each of them), from the last
    header row of the table's ``thead``; empty without one."""
    head = table.find("thead")
    rows = head.find_all("tr") if head is not None and head.find_parent("table") is table else []
    if not rows:
        return []
    labels: list[str] = []
    for cell in rows[-1].find_all(["th", "td"], recursive=False):
        labels += [cell.get_text(" ", strip=True)] * _span(cell)
    return labels


def _span(cell: Any) -> int:
    """How many columns a cell spans (1 when its colspan is missing or not a number)."""
    try:
        return max(1, int(cell.get("colspan", 1)))
    except (TypeError, ValueError):
        return 1


STYLE_ELEMENT = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S | re.I)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def strip_css_comments(html: str) -> str:
    """Drop comments from <style> elements: lab's CSS credits web pages there, and they only add bytes."""
    return STYLE_ELEMENT.sub(lambda m: m.group(1) + CSS_COMMENT.sub("", m.group(2)) + m.group(3), html)


def script_json(value: Any) -> str:
    """JSON that is safe inside a <script type="application/json"> element."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
