"""``--out URL``: finished reports copied to any fsspec location (``s3://``, ``gs://``, ``file://``, ...).

Reports are always written to the project's reports folder first: the store records those paths, the
portfolio page links them and ``csnb send`` attaches them. Each successful report's HTML (and any PDF
edition beside it) is then copied to the URL under the same layout, ``<client>/<as_of>/<file>``, and
after the batch the portfolio page to ``index.html``. The executed notebook stays local: it holds
code and parameters, and a client-facing location must not. Credentials come from fsspec's own
configuration (environment variables, ``~/.aws``, ...), never from the URL.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from csnb.errors import ConfigError
from csnb.run.job import Result

COPIED_SUFFIXES = (".html", ".pdf")


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise ConfigError("--out URL needs fsspec: pip install 'fsspec>=2023.1'") from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:  # an unknown protocol, or its package is not installed
        raise ConfigError(f"--out {_shown(url)}: {exc}") from None


def _shown(url: str) -> str:
    """``url`` without any user or password it carries."""
    scheme, sep, rest = url.partition("://")
    return scheme + sep + rest.rsplit("@", 1)[-1] if sep else url


class Publisher:
    """Copies the files of finished reports from one reports folder to one fsspec URL."""

    def __init__(
        self,
        url: str,
        reports: str | os.PathLike[str],
        on_failed: Callable[[Result], None] | None = None,
    ):
        self.url = url
        self.reports = Path(reports)
        self.fs, self.root = _filesystem(url)
        self._copied: dict[int, Result] = {}  # id of an executor's result -> the result after copying
        self.on_failed = on_failed  # told of each report a failed copy made failed (the store records it)

    def wrap(self, done: Callable[[Result], None]) -> Callable[[Result], None]:
        """``done`` that first copies each finished report, so copies overlap the batch's other reports."""

        def copy_then(result: Result) -> None:
            copied = self._copied[id(result)] = self.result(result)
            done(copied)

        return copy_then

    def copied(self, results: list[Result]) -> list[Result]:
        """An executor's results as they stand after copying (a failed copy is a failed report)."""
        return [self._copied.get(id(r), r) for r in results]

    def target(self, local: Path) -> str:
        """Where a file of the reports folder goes under the URL (the same relative path)."""
        rel = Path(local).resolve().relative_to(self.reports.resolve()).as_posix()
        return f"{self.root.rstrip('/')}/{rel}"

    def put(self, local: Path) -> str:
        """Copy one file; return its location (the URL's protocol included)."""
        target = self.target(local)
        parent = target.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        self.fs.put_file(str(local), target)
        protocol = self.fs.protocol[0] if isinstance(self.fs.protocol, (tuple, list)) else self.fs.protocol
        return f"{protocol}://{target.lstrip('/')}" if protocol != "file" else f"file://{target}"

    def files(self, result: Result) -> list[Path]:
        """The files of a successful report to copy: its HTML and any PDF edition beside it."""
        if result.status != "ok" or not result.html:
            return []
        html = Path(result.html)
        pdfs = sorted(html.parent.glob("*.pdf"))
        return [html, *pdfs]

    def result(self, result: Result) -> Result:
        """Copy a finished report; a copy that fails turns the result into a failure saying where."""
        try:
            for path in self.files(result):
                self.put(path)
        except Exception as exc:  # noqa: BLE001 - every fsspec backend raises its own errors
            first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            where = _shown(self.url)
            error = f"client {result.client}: the report was written but not copied to {where}: {first}"
            failed = replace(result, status="failed", error=error)
            if self.on_failed:
                self.on_failed(failed)
            return failed
        return result

    def index(self, page: str | os.PathLike[str] | None) -> str | None:
        """Copy the portfolio page; return an error message when it cannot be copied."""
        if not page or not Path(page).is_file():
            return None
        try:
            self.put(Path(page))
        except Exception as exc:  # noqa: BLE001 - every fsspec backend raises its own errors
            return (
                f"the portfolio page was not copied to {_shown(self.url)}: {str(exc).splitlines()[0][:300]}"
            )
        return None


def publisher(
    url: str | None,
    reports: str | os.PathLike[str],
    store_url: str | None = None,
    run_keys: Callable[[Result], str | None] | None = None,
) -> Publisher | None:
    """A publisher for ``--out URL`` (None without one); an unusable URL is a ``ConfigError`` (exit 2).

    With ``store_url`` and ``run_keys`` (a finished report's run key), a report whose copy fails is
    marked failed in the store too, so the next run makes and copies it again without ``--force``.
    """
    if not url:
        return None
    if not (store_url and run_keys):
        return Publisher(url, reports)

    def unrecord(result: Result) -> None:
        from csnb.store.runs import Store

        key = run_keys(result)
        if key:
            store = Store(store_url)
            try:
                store.fail_run(key, result.error or "")
            finally:
                store.dispose()

    return Publisher(url, reports, on_failed=unrecord)
