"""The ``csv`` and ``parquet`` sources: one file per source, read once per pull, filtered per metric."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from csnb.errors import SourceError
from csnb.plan.models import Metric
from csnb.sources.base import MetricSource
from csnb.sources.tidy import pick_columns


def unreadable(exc: Exception) -> str:
    """Why a file could not be read, never quoting it (a parser's message may hold a line of the file)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (invalid byte at offset {exc.start})"
    name = type(exc).__name__
    line = re.search(r"\bline (\d+)", str(exc))
    return {
        "EmptyDataError": "the file is empty",
        "ParserError": "malformed CSV"
        + (f" at line {line.group(1)}" if line else "")
        + " (check the delimiter, quoting and the number of fields per row)",
        "ArrowInvalid": "not a valid Parquet file",
        "ArrowIOError": "not a valid Parquet file",
    }.get(name, f"{name} (its message is not shown, as it may quote the file)")


class FileSource(MetricSource):
    """A table in a file; rows are filtered to the plan's client and each metric's series.

    The file must be inside the project folder, and no message quotes what the file holds.
    """

    quotes_data = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._rows: pd.DataFrame | None = None

    def file(self) -> Path:
        """The resolved file path (relative to the plan's folder), which must be inside the project folder."""
        if not self.spec.path:
            raise SourceError(f"a {self.kind} source needs `path`, the file relative to the plan's folder")
        path = (self.plan_folder() / self.resolve(self.spec.path)).resolve()
        root = self.project_folder().resolve()
        if not path.is_relative_to(root):
            raise SourceError(
                f"refused: {self.spec.path} is outside the project folder (after following links); keep "
                "data files inside the project and write a relative path such as ../data/metrics.csv"
            )
        if not path.is_file():
            raise SourceError(f"file not found: {self.spec.path} (relative paths start at the plan's folder)")
        return path

    def read(self, path: Path) -> pd.DataFrame:
        """Every row of the file, as the file's own columns."""
        raise NotImplementedError

    def files(self) -> list[Path]:
        """The file this source reads."""
        return [self.file()]

    def open(self) -> None:
        """Read the file once; every metric of the source is a filter on these rows."""
        path = self.file()
        try:
            raw = self.read(path)
        except Exception as exc:  # noqa: BLE001 - parsers raise many kinds; all mean "unreadable"
            raise SourceError(f"cannot read {self.spec.path} as {self.kind}: {unreadable(exc)}") from None
        self._rows = pick_columns(
            raw,
            self.spec.columns,
            ("date", "value"),
            ("client", "metric", "segment"),
            f"the file {self.spec.path}",
            quote=False,
        )

    def fetch(self, metric: Metric, start: dt.date, end: dt.date) -> pd.DataFrame:
        """The rows of this metric (and this plan's client, when the file names clients)."""
        rows = self._rows
        if "client" in rows:
            rows = rows[rows["client"].astype("str") == self.plan.client.id]
        if "metric" in rows:
            rows = rows[rows["metric"].astype("str") == self.series(metric)]
        # the index stays the row's place in the file, so a problem can be shown by row, never by content
        return rows.drop(columns=[c for c in ("client", "metric") if c in rows])

    def close(self) -> None:
        """Forget the rows read."""
        self._rows = None


class CsvSource(FileSource):
    """A CSV file with a header row; ``options.sep`` sets another delimiter."""

    kind = "csv"

    def read(self, path: Path) -> pd.DataFrame:
        """Every cell as text, so client ids like ``007`` keep their zeros; numbers are parsed later."""
        sep = str(self.spec.options.get("sep", ","))
        # utf-8-sig drops the byte-order mark spreadsheet programs put before the first header
        return pd.read_csv(path, dtype="str", sep=sep, encoding="utf-8-sig")


class ParquetSource(FileSource):
    """A Parquet file (read with pyarrow)."""

    kind = "parquet"

    def read(self, path: Path) -> pd.DataFrame:
        """Every row of the Parquet file."""
        return pd.read_parquet(path)
