"""Turning a source's raw rows into checked, typed observations (date, value, optional segment)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from csnb.errors import SourceError

TIDY = ("client", "metric", "date", "value", "segment")


def pick_columns(
    raw: pd.DataFrame,
    mapping: Mapping[str, str],
    required: Iterable[str],
    optional: Iterable[str],
    origin: str,
    quote: bool = True,
) -> pd.DataFrame:
    """The tidy columns of ``raw``, renamed; ``mapping`` is tidy name -> column name in the source.

    With ``quote`` False a missing column's message counts the columns instead of naming them.
    """
    by_lower = {str(c).lower(): c for c in raw.columns}
    picked: dict[str, str] = {}
    for name in (*required, *optional):
        wanted = mapping.get(name, name)
        # databases differ in the case they return unquoted aliases in (PostgreSQL folds to lower)
        found = wanted if wanted in raw.columns else by_lower.get(str(wanted).lower())
        if found is not None:
            picked[name] = found
        elif name in required or name in mapping:
            has = ", ".join(map(str, raw.columns)) or "no columns"
            has = has if quote else f"{len(raw.columns)} column{'s' if len(raw.columns) != 1 else ''}"
            hint = (
                f"name it {name!r} or map it in the source's `columns`"
                if name not in mapping
                else "fix the source's `columns`"
            )
            raise SourceError(f"{origin} has no column {wanted!r} for {name} (it has: {has}); {hint}")
    return pd.DataFrame({name: raw[col].to_numpy(dtype=object) for name, col in picked.items()})


def _sample(values: pd.Series, quote: bool = True) -> str:
    rows = f"{len(values)} row{'s' if len(values) != 1 else ''}"
    if not quote:  # by place only: the rows' content may not be shown
        places = ", ".join(str(i + 1) for i in values.index[:3] if isinstance(i, int))
        return f"{rows} (data row {places}{', ...' if len(values) > 3 else ''})" if places else rows
    shown = ", ".join(repr(v)[:40] for v in values.drop_duplicates().head(3))
    return f"{rows}, e.g. {shown}"


def parse_dates(values: pd.Series, timezone: str) -> pd.Series:
    """Calendar dates in the plan's time zone, as midnight ``datetime64[ns]``; unparseable ones are NaT."""
    try:
        parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
    except (ValueError, TypeError):
        # mixed UTC offsets cannot share one column until they are converted to one zone
        parsed = pd.to_datetime(values, errors="coerce", format="ISO8601", utc=True)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
    return parsed.dt.normalize().astype("datetime64[ns]")


def check_dates(frame: pd.DataFrame, timezone: str, quote: bool = True) -> pd.Series:
    """The ``date`` column parsed; ``SourceError`` when any date is missing or unparseable."""
    dates = parse_dates(frame["date"], timezone)
    bad = frame.loc[dates.isna(), "date"]
    if len(bad):
        raise SourceError(
            f"unparseable or missing dates in {_sample(bad, quote)}; return dates as YYYY-MM-DD"
        )
    return dates


def check_values(frame: pd.DataFrame, quote: bool = True) -> pd.Series:
    """The ``value`` column as float64; ``SourceError`` when a present value is not a number."""
    raw = frame["value"]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = raw[values.isna() & raw.notna()]
    if len(bad):
        raise SourceError(f"non-numeric values in {_sample(bad, quote)}; return numbers in `value`")
    return values


def check_duplicates(frame: pd.DataFrame) -> None:
    """``SourceError`` when a date (per segment, if any) holds more than one value."""
    keys = ["date", "segment"] if "segment" in frame else ["date"]
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        dates = frame.loc[dup, "date"].dt.strftime("%Y-%m-%d")
        per = " and segment" if "segment" in frame else ""
        raise SourceError(
            f"more than one value per date{per} in {_sample(dates)}; aggregate to one row per "
            f"day{per} in the source, or add a `segment` column"
        )


def checked(raw: pd.DataFrame, timezone: str, quote: bool = True) -> pd.DataFrame:
    """Rows with ``date`` (datetime64[ns]), ``value`` (float64) and optional ``segment`` (str), checked.

    Rows without a value are dropped: a missing value is not an observation. With ``quote`` False, a
    bad row is named by its place, never by its content.
    """
    frame = pd.DataFrame({"date": check_dates(raw, timezone, quote), "value": check_values(raw, quote)})
    if "segment" in raw:
        frame["segment"] = raw["segment"].astype("str")
    frame = frame[frame["value"].notna()]
    check_duplicates(frame)
    return frame.reset_index(drop=True)
