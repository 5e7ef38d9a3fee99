"""Compare the visible text of two reports folders, file by file (a refactoring must not change a word).

    python benchmarks/compare_reports.py OLD/reports NEW/reports

Visible text is every text node a browser shows (script, style and template contents left out),
whitespace collapsed. Time stamps of when a page was generated are masked. Prints one line per
HTML file and a summary; exits 1 when a file differs or is missing on one side.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

HIDDEN = {"script", "style", "template", "head"}
GENERATED = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}( UTC)?\b")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.depth += tag in HIDDEN

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in HIDDEN and self.depth > 0

    def handle_data(self, data: str) -> None:
        if not self.depth and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(path: Path) -> list[str]:
    """The text nodes of an HTML file a reader sees, generation time stamps masked."""
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return [GENERATED.sub("<generated>", part) for part in parser.parts]


def main() -> int:
    """Compare every HTML file under the two folders; print what differs."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("old", type=Path)
    args.add_argument("new", type=Path)
    ns = args.parse_args()
    names = sorted(
        {p.relative_to(ns.old) for p in ns.old.rglob("*.html")}
        | {p.relative_to(ns.new) for p in ns.new.rglob("*.html")}
    )
    differ = 0
    for name in names:
        old, new = ns.old / name, ns.new / name
        if not (old.is_file() and new.is_file()):
            print(f"{name}: only in {'old' if old.is_file() else 'new'}")
            differ += 1
            continue
        a, b = visible_text(old), visible_text(new)
        same = a == b
        differ += not same
        print(f"{name}: {len(a)} text nodes, {'identical' if same else 'DIFFERENT'}")
        if not same:
            sys.stdout.writelines(line + "\n" for line in list(difflib.unified_diff(a, b, lineterm=""))[:40])
    print(f"{len(names)} files compared, {len(names) - differ} identical, {differ} different")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
