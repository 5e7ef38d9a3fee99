"""The reports folder's layout, known in one place: ``reports/<client>/<as_of>/<audience>.html`` and the rest.

```
reports/index.html                            the portfolio page
reports/lessons/index.html                    the lessons knowledge base
reports/<client>/<client>.ics                 the plan's calendar
reports/<client>/<as_of>/<audience>.html      a report (and its executed <audience>.ipynb)
reports/<client>/<as_of>/<ritual>.eml         a message written by a dry run
reports/<client>/retros/<milestone>.html      a retrospective
```
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ReportsFolder:
    """Every path under one reports folder; plain data, so it travels with a job to a worker."""

    root: Path

    def client(self, client: str) -> Path:
        """``reports/<client>/``."""
        return Path(self.root) / client

    def folder(self, client: str, as_of: dt.date | str) -> Path:
        """``reports/<client>/<as_of>/``: one report date's files."""
        day = as_of.isoformat() if isinstance(as_of, dt.date) else as_of
        return self.client(client) / day

    def report(self, client: str, as_of: dt.date | str, audience: str) -> Path:
        """``reports/<client>/<as_of>/<audience>.html``."""
        return self.folder(client, as_of) / f"{audience}.html"

    def notebook(self, client: str, as_of: dt.date | str, audience: str) -> Path:
        """The executed notebook beside a report (kept for debugging, never sent)."""
        return self.folder(client, as_of) / f"{audience}.ipynb"

    def message(self, client: str, as_of: dt.date | str, name: str) -> Path:
        """``reports/<client>/<as_of>/<name>.eml``: a message written for review."""
        return self.folder(client, as_of) / f"{name}.eml"

    def calendar(self, client: str) -> Path:
        """``reports/<client>/<client>.ics``."""
        return self.client(client) / f"{client}.ics"

    def retros(self, client: str) -> Path:
        """``reports/<client>/retros/``."""
        return self.client(client) / "retros"

    def lessons_page(self) -> Path:
        """``reports/lessons/index.html``."""
        return Path(self.root) / "lessons" / "index.html"

    def index(self) -> Path:
        """``reports/index.html``: the portfolio page."""
        return Path(self.root) / "index.html"

    def report_dates(self, client: str, audience: str | None = None) -> list[dt.date]:
        """The dates that have a report folder for ``client`` (of ``audience``, if given), oldest first."""
        dates = []
        for folder in self.client(client).glob("*"):
            try:
                day = dt.date.fromisoformat(folder.name)
            except ValueError:
                continue
            if audience is None or (folder / f"{audience}.html").is_file():
                dates.append(day)
        return sorted(dates)

    def temp_files(self) -> Iterator[Path]:
        """Temporary files in report folders (``.<name>.<pid>.tmp...``), for sweeping after a crash."""
        return Path(self.root).glob("*/*/.*.tmp*")
