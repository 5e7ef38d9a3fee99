"""The ``csv`` and ``parquet`` sources: one file per source, read once per pull, filtered per metric."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from csnb.errors import SourceError
from csnb.plan.models import Metric
from csnb.sources.base import MetricSource, first_line
from csnb.sources.tidy import pick_columns


class FileSource(MetricSource):
    """A table in a file; rows are filtered to the plan's client and each metric's series."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._rows: pd.DataFrame | None = None

    def file(self) -> Path:
        """The resolved file path; relative paths start at the plan's folder."""
        if not self.spec.path:
            raise SourceError(f"a {self.kind} source needs `path`, the file relative to the plan's folder")
        path = Path(self.resolve(self.spec.path)).expanduser()
        path = path if path.is_absolute() else self.plan_folder() / path
        if not path.is_file():
            raise SourceError(f"file not found: {self.spec.path} (relative paths start at the plan's folder)")
        return path

    def read(self, path: Path) -> pd.DataFrame:
        """Every row of the file, as the file's own columns."""
        raise NotImplementedError

    def open(self) -> None:
        """Read the file once; every metric of the source is a filter on these rows."""
        path = self.file()
        try:
            raw = self.read(path)
        except Exception as exc:  # noqa: BLE001 - parsers raise many kinds; all mean "unreadable"
            raise SourceError(f"cannot read {self.spec.path} as {self.kind}: {first_line(exc)}") from None
        self._rows = pick_columns(
            raw,
            self.spec.columns,
            ("date", "value"),
            ("client", "metric", "segment"),
            f"the file {self.spec.path}",
        )

    def fetch(self, metric: Metric, start: dt.date, end: dt.date) -> pd.DataFrame:
        """The rows of this metric (and this plan's client, when the file names clients)."""
        rows = self._rows
        if "client" in rows:
            rows = rows[rows["client"].astype("str") == self.plan.client.id]
        if "metric" in rows:
            rows = rows[rows["metric"].astype("str") == self.series(metric)]
        return rows.drop(columns=[c for c in ("client", "metric") if c in rows]).reset_index(drop=True)

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
