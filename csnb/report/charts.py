"""The report's charts as Vega-Lite specs: plain dicts built from snapshot frames, in the client's words.

Each builder is a pure function of snapshot frames (see ``csnb.indicators.snapshot``) returning a
``ChartSpec``. Specs are written directly, not through Altair: importing Altair loads jsonschema and its
format checkers (seconds in a fresh kernel) and ``to_dict()`` validates every spec against the Vega-Lite
schema on each call. tests/test_charts.py validates every builder's output against that schema once.

Every user string (metric names, milestone titles, owners) travels in the chart's data or title, which
Vega draws as text, never as HTML. Charts embed at most ``MAX_POINTS`` points per series, however long
the raw series is, so a report stays small. What a reader sees is plain: dates as ``15 Oct 2026``,
numbers in the metric's own format (the same text as the report's captions), statuses as words.

Charts take the width of their container (``width: "container"``), so they fit a phone and a desktop;
the static edition draws them at fixed widths instead (see ``csnb.render.exporter``). Colours are
Okabe-Ito (safe for colour-blind readers); statuses also differ by point shape and lines by dash, so a
greyscale print still tells them apart.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from csnb.report.formats import DEFAULT_LOCALE, NumberStyle, day, number
from csnb.templating import STATUS_LABELS

VEGALITE_VERSION = "v6.4.1"  # the Vega-Lite schema the specs follow (Altair 6's); the bundle matches it
MAX_POINTS = 400
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GREY = "#7F7F7F"
STATUS_COLOURS = {
    "achieved": "#009E73",
    "done": "#009E73",
    "on_track": "#0072B2",
    "at_risk": "#E69F00",
    "off_track": "#D55E00",
    "late": "#D55E00",
    "missed": "#D55E00",
    "blocked": "#CC79A7",
    "not_started": "#BBBBBB",
    "no_data": "#BBBBBB",
}
# One shape per status. Bands match the one-pager's marks (green ●, amber ◆, red ■); nothing amber is
# an upward triangle, which reads as "up".
STATUS_SHAPES = {
    "achieved": "circle",
    "done": "circle",
    "on_track": "triangle-right",
    "at_risk": "diamond",
    "off_track": "square",
    "late": "square",
    "missed": "square",
    "blocked": "cross",
    "not_started": "wedge",
    "no_data": "wedge",
}
# Line roles of a metric chart: colour for the screen, dash for paper.
LINES = {"Actual": ("#0072B2", [1, 0]), "Glide path": (GREY, [2, 2]), "Forecast": ("#E69F00", [6, 3])}
FREQ_RULES = {"day": "D", "week": "W-MON", "month": "MS"}
COARSER = ("W-MON", "MS", "QS", "YS")
AGGREGATES = {"sum": "sum", "mean": "mean", "last": "last", "min": "min", "max": "max", "count": "count"}
AXIS_DATE = "%-d %b"  # tick labels; full dates (15 Oct 2026) in tooltips and captions
TEXT_SIZE = 12  # every chart text: legible on a phone without scaling (the static phone variant too)
CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"continuousHeight": 240, "stroke": None},
    "range": {"category": OKABE_ITO},
    "axis": {
        "labelColor": "#333333",
        "titleColor": "#333333",
        "gridColor": "#E5E5E5",
        "domainColor": "#888888",
        "tickColor": "#888888",
        "labelFontSize": TEXT_SIZE,
        "titleFontSize": TEXT_SIZE,
        "titleFontWeight": "normal",
        "labelOverlap": True,
    },
    "legend": {
        "orient": "bottom",
        "direction": "horizontal",
        "columns": 3,  # wraps on a phone instead of running off the chart
        "labelColor": "#333333",
        "titleColor": "#333333",
        "labelFontSize": TEXT_SIZE,
        "titleFontSize": TEXT_SIZE,
        "labelLimit": 220,
    },
    "title": {"anchor": "start", "fontSize": 15, "subtitleFontSize": TEXT_SIZE, "color": "#111111"},
    "text": {"fontSize": TEXT_SIZE},
    "line": {"strokeWidth": 2},
    "point": {"size": 40},
}


@dataclass
class ChartSpec:
    """A Vega-Lite spec as a plain dict; Jupyter draws it, and ``to_altair()`` hands it to Altair."""

    spec: dict[str, Any]
    label: str = "chart"
    empty: bool = False  # no data to draw: the report shows "no data yet" instead of the chart

    def to_dict(self) -> dict[str, Any]:
        """The Vega-Lite spec (a copy: changing it leaves the chart as it is)."""
        import copy

        return copy.deepcopy(self.spec)

    def to_altair(self) -> Any:
        """The chart as an Altair chart, for an analyst who wants to change it (imports Altair)."""
        import altair as alt

        _register_theme(alt)
        kind = alt.LayerChart if "layer" in self.spec else alt.Chart
        return kind.from_dict(self.to_dict(), validate=False)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """How an analyst's notebook shows the chart: through Altair's active renderer, as an Altair chart
        would show (the report never goes this way: ``display_chart`` writes the spec itself)."""
        return self.to_altair()._repr_mimebundle_(include, exclude)


def vegalite_mimetype() -> str:
    """The Jupyter MIME type for the Vega-Lite major version of the specs (``...v6+json``)."""
    return f"application/vnd.vegalite.{VEGALITE_VERSION.split('.')[0]}+json"


def display_chart(chart: Any, label: str = "chart") -> None:
    """Show a chart (a ``ChartSpec`` or an Altair chart) as a Vega-Lite output drawn offline.

    A chart with no data shows nothing: a frame with only reference lines reads as data, so the
    report's caption says "no data yet" instead.
    """
    from IPython.display import display

    if isinstance(chart, ChartSpec):
        if chart.empty:
            return
        spec = chart.to_dict()
    else:  # an Altair chart an analyst built: no schema validation on the way out either
        spec = chart.to_dict(validate=False)
    display({vegalite_mimetype(): spec, "text/plain": label}, raw=True)


_THEME = {"wanted": False, "registered": False}


def use_theme() -> None:
    """Give Altair charts an analyst builds in this process the report's look (the report's own specs
    always carry it); Altair is not imported for this: the theme is applied when Altair is used."""
    _THEME["wanted"] = True
    if "altair" in sys.modules:
        _register_theme(sys.modules["altair"])


def _register_theme(alt: Any) -> None:
    """Register the report's theme with Altair and enable it when ``use_theme`` asked for it."""
    # alt.theme.names() scans every installed package's entry points (a tenth of a second a call)
    if not _THEME.get("registered"):
        alt.theme.register("csnb", enable=False)(lambda: {"config": CONFIG})
        _THEME["registered"] = True
    if _THEME["wanted"]:
        alt.theme.enable("csnb")


@lru_cache(maxsize=16)
def vega_locale(locale: str = DEFAULT_LOCALE, currency: str | None = None) -> dict[str, Any]:
    """The d3 number locale (separators, currency sign) of a Babel locale, for axis labels.

    The sign goes before the amount, as ``csnb.report.formats.number`` writes money in the captions.
    """
    from babel.numbers import get_currency_symbol, get_decimal_symbol, get_group_symbol

    return {
        "decimal": get_decimal_symbol(locale),
        "thousands": get_group_symbol(locale),
        "grouping": [3],
        "currency": [get_currency_symbol(currency, locale) if currency else "", ""],
    }


def axis_format(style: NumberStyle) -> str | None:
    """The d3 format of a metric's value axis: its decimals, a share as %, money with its sign."""
    decimals = style.decimals
    if style.percent:
        return f".{decimals or 0}%"
    if style.currency:
        return f"$,.{decimals or 0}f"
    return None if decimals is None else f",.{decimals}f"


def to_timestamps(values: Any) -> pd.Series:
    """Dates as timestamps."""
    return pd.to_datetime(pd.Series(values), errors="coerce")


def is_missing(value: Any) -> bool:
    """True for None, NaN and NaT."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def when(value: Any) -> str | None:
    """A date as Vega reads it: local midnight (``2026-10-15T00:00:00``), so no time zone moves the day."""
    if is_missing(value):
        return None
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%S")


def limit_points(series: pd.DataFrame, frequency: str | None, aggregate: str | None) -> pd.DataFrame:
    """At most ``MAX_POINTS`` (date, value) rows: raw rows are bucketed by the metric's frequency, and
    a series still too long is averaged over coarser periods (a mean keeps per-period units)."""
    frame = (
        series[["date", "value"]]
        .assign(date=to_timestamps(series["date"]).to_numpy())
        .dropna(subset=["date"])
    )
    frame = frame.sort_values("date")
    rule = FREQ_RULES.get(frequency or "", "D")
    if _is_raw(frame["date"], frequency) or len(frame) > MAX_POINTS:
        how = AGGREGATES.get(aggregate or "last", "last")
        frame = _resample(frame, rule, how)
    for coarser in COARSER:
        if len(frame) <= MAX_POINTS:
            break
        frame = _resample(frame, coarser, "mean")
    return frame.tail(MAX_POINTS).reset_index(drop=True)


def _is_raw(dates: pd.Series, frequency: str | None) -> bool:
    """True unless the dates are distinct period starts of the frequency (an aggregated series)."""
    if dates.duplicated().any():
        return True
    period = {"day": "D", "week": "W-SUN", "month": "M"}.get(frequency or "", "D")
    return bool(
        (dates.dt.to_period(period).dt.start_time != dates.dt.normalize()).any()
        or (dates != dates.dt.normalize()).any()
    )


def _resample(frame: pd.DataFrame, rule: str, how: str) -> pd.DataFrame:
    """Bucket values by period start (weeks start on Monday) with ``how``."""
    grouped = frame.set_index("date")["value"].resample(rule, label="left", closed="left")
    out = getattr(grouped, how)()
    if how in {"sum", "count"}:
        # Empty periods of a sum or count are zero only inside the observed span; drop them, like the gaps.
        out = out[grouped.size() > 0]
    return out.dropna().rename("value").reset_index()


def at_observed(actuals: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Each period's point at the date of its last observation, where the status judges it.

    A snapshot series carries ``observed`` beside each period start: drawn there, a value that lies on
    the glide path at its own date sits on the glide path line. Points averaged over coarser periods
    (a very long series) keep their period start.
    """
    if "observed" not in series.columns or actuals.empty:
        return actuals
    moved = dict(zip(to_timestamps(series["date"]), to_timestamps(series["observed"]), strict=True))
    return actuals.assign(date=[moved.get(d, d) for d in actuals["date"]])


def _period_days(frequency: str | None) -> float:
    """Days in one period of the metric's frequency (a month is its average length, as for trends)."""
    return {"day": 1.0, "month": 365.25 / 12}.get(frequency or "", 7.0)


def _point(line: str, date: Any, value: float, style: NumberStyle) -> dict[str, Any]:
    """One row of a chart's data: where it is drawn and how its tooltip reads."""
    return {
        "line": line,
        "date": when(date),
        "value": float(value),
        "day": day(pd.Timestamp(date).date()),
        "shown": number(float(value), style),
    }


def _lines(row: pd.Series, actuals: pd.DataFrame, style: NumberStyle) -> list[dict[str, Any]]:
    """Actuals, glide path and forecast as one long list of rows (line, date, value) for one legend."""
    rows = [_point("Actual", d, v, style) for d, v in zip(actuals["date"], actuals["value"], strict=True)]
    if not any(is_missing(row.get(k)) for k in ("baseline", "baseline_date", "target", "target_date")):
        rows += [
            _point("Glide path", row["baseline_date"], row["baseline"], style),
            _point("Glide path", row["target_date"], row["target"], style),
        ]
    return rows + _forecast(row, actuals, style)


def _forecast(row: pd.Series, actuals: pd.DataFrame, style: NumberStyle) -> list[dict[str, Any]]:
    """Straight line from the last actual along ``trend`` per period up to ``forecast_date``."""
    end, trend = row.get("forecast_date"), row.get("trend")
    if actuals.empty or is_missing(end) or is_missing(trend):
        return []
    start, last = actuals["date"].iloc[-1], float(actuals["value"].iloc[-1])
    end = pd.Timestamp(end)
    if end <= start:
        return []
    periods = (end - start) / pd.Timedelta(days=_period_days(row.get("frequency")))
    return [
        _point("Forecast", start, last, style),
        _point("Forecast", end, last + float(trend) * periods, style),
    ]


def metric_chart(metric_row: pd.Series, series: pd.DataFrame, style: NumberStyle | None = None) -> ChartSpec:
    """Actuals with baseline, target, glide path and forecast for one metric (a ``metrics`` row).

    ``style`` is how the metric's numbers read (``csnb.report.words.metric_style``); by default its unit
    with the report's usual decimals. Tooltips and labels use it, so they say what the captions say.
    """
    if "metric" in series.columns and not is_missing(metric_row.get("metric")):
        series = series[series["metric"] == metric_row["metric"]]
    unit = "" if is_missing(metric_row.get("unit")) else str(metric_row["unit"])
    style = style or NumberStyle(unit=unit)
    actuals = at_observed(
        limit_points(series, metric_row.get("frequency"), metric_row.get("aggregate")), series
    )
    name = str(metric_row.get("name") or "Metric")
    lines = _lines(metric_row, actuals, style)
    domain = [k for k in LINES if any(r["line"] == k for r in lines)]
    x = {"field": "date", "type": "temporal", "title": None, "axis": {"format": AXIS_DATE}}
    y_axis = {"format": axis_format(style)} if axis_format(style) else {}
    y = {"field": "value", "type": "quantitative", "title": _value_title(style), "scale": {"zero": False}}
    y["axis"] = y_axis
    tooltip = [{"field": "day", "title": "Date"}, {"field": "shown", "title": name}]
    line_layer = {
        "data": {"values": lines},
        "mark": {"type": "line"},
        "encoding": {
            "x": x,
            "y": y,
            "color": {
                "field": "line",
                "type": "nominal",
                "title": None,
                "scale": {"domain": domain, "range": [LINES[k][0] for k in domain]},
            },
            "strokeDash": {
                "field": "line",
                "type": "nominal",
                "title": None,
                "scale": {"domain": domain, "range": [LINES[k][1] for k in domain]},
            },
            "tooltip": [{"field": "line", "title": "Line"}, *tooltip],
        },
    }
    points = {
        "data": {"values": [r for r in lines if r["line"] == "Actual"]},
        "mark": {"type": "point", "filled": True, "color": LINES["Actual"][0]},
        "encoding": {"x": x, "y": y, "tooltip": tooltip},
    }
    spec = {
        "width": "container",
        "height": 240,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "title": {"text": name},
        "layer": [line_layer, points, *_reference_layers(metric_row, x, y, style)],
        "config": _config(style),
    }
    return ChartSpec(spec, label=name, empty=actuals.empty)


def _value_title(style: NumberStyle) -> str | None:
    """The value axis title: the unit in words (none for a share or money, whose labels say it)."""
    if style.percent or style.currency:
        return None
    return style.unit or None


def _config(style: NumberStyle) -> dict[str, Any]:
    """The report's chart config, with the number locale of the metric's style."""
    return {**CONFIG, "locale": {"number": vega_locale(style.locale, style.currency)}}


def _reference_layers(row: pd.Series, x: dict, y: dict, style: NumberStyle) -> list[dict[str, Any]]:
    """Baseline and target rules with labels, and the target point at the target date."""
    refs = [
        {"label": f"{label} {number(float(row[key]), style)}", "value": float(row[key])}
        for label, key in (("Baseline", "baseline"), ("Target", "target"))
        if not is_missing(row.get(key))
    ]
    if not refs:
        return []
    tooltip = [{"field": "label", "title": "Reference"}]
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": refs},
            "mark": {"type": "rule", "color": "#555555", "strokeDash": [1, 3]},
            "encoding": {"y": y, "tooltip": tooltip},
        },
        {
            "data": {"values": refs},
            "mark": {"type": "text", "align": "left", "dx": 4, "dy": -7, "color": "#333333"},
            "encoding": {"y": y, "x": {"value": 0}, "text": {"field": "label"}},
        },
    ]
    if not is_missing(row.get("target_date")) and not is_missing(row.get("target")):
        target = _point("Target", row["target_date"], float(row["target"]), style)
        layers.append(
            {
                "data": {"values": [target]},
                "mark": {
                    "type": "point",
                    "shape": "diamond",
                    "size": 140,
                    "filled": True,
                    "color": "#000000",
                },
                "encoding": {
                    "x": x,
                    "y": y,
                    "tooltip": [
                        {"field": "line", "title": "Line"},
                        {"field": "day", "title": "Date"},
                        {"field": "shown", "title": "Value"},
                    ],
                },
            }
        )
    return layers


def lead_lag_chart(leads: pd.DataFrame) -> ChartSpec:
    """Correlation r of each lead with its lag at each shift; the best shift of each pair is marked.

    For analysts (the exploration notebook): correlations and shifts never reach a client's report.
    """
    frame = leads.copy()
    frame["pair"] = frame["lead"].astype(str) + " → " + frame["lag"].astype(str)
    frame["r"] = pd.to_numeric(frame["r"], errors="coerce")
    frame["best"] = frame["best"].astype(bool) if "best" in frame.columns else False
    frame = frame[["pair", "lead", "lag", "shift", "r", "best"]].dropna(subset=["r"])
    values = [
        {**r, "shift": int(r["shift"]), "r": float(r["r"]), "best": bool(r["best"])}
        for r in frame.to_dict("records")
    ]
    pairs = sorted(set(frame["pair"]))
    x = {"field": "shift", "type": "ordinal", "title": "shift (periods the lead comes first)"}
    y = {"field": "r", "type": "quantitative", "title": "correlation r", "scale": {"domain": [-1, 1]}}
    tooltip = [
        {"field": "lead", "type": "nominal"},
        {"field": "lag", "type": "nominal"},
        {"field": "shift", "type": "ordinal"},
        {"field": "r", "type": "quantitative", "format": ".2f"},
        {"field": "best", "type": "nominal"},
    ]
    colour = {
        "field": "pair",
        "type": "nominal",
        "title": None,
        "scale": {"domain": pairs, "range": _cycle(OKABE_ITO, len(pairs))},
    }
    offset = {"field": "pair", "type": "nominal"}
    spec = {
        "width": "container",
        "autosize": {"type": "fit-x", "contains": "padding"},
        "title": {"text": "Lead indicators: correlation by shift"},
        "layer": [
            {
                "data": {"values": values},
                "mark": {"type": "bar"},
                "encoding": {"x": x, "y": y, "xOffset": offset, "color": colour, "tooltip": tooltip},
            },
            {
                "data": {"values": values},
                "transform": [{"filter": "datum.best"}],
                "mark": {"type": "point", "shape": "diamond", "filled": True, "size": 80, "color": "#000000"},
                "encoding": {"x": x, "y": y, "xOffset": offset, "tooltip": tooltip},
            },
            {
                "data": {"values": [{"r": 0.0}]},
                "mark": {"type": "rule", "color": "#888888"},
                "encoding": {"y": {"field": "r", "type": "quantitative"}},
            },
        ],
        "config": CONFIG,
    }
    return ChartSpec(spec, label="Lead indicators", empty=not values)


def _cycle(colours: list[str], n: int) -> list[str]:
    """``n`` colours, repeating the palette when there are more series than colours."""
    return (colours * math.ceil(max(n, 1) / len(colours)))[: max(n, 1)]


def status_word(status: str) -> str:
    """A status as the client reads it (``off_track`` reads ``Off track``)."""
    return STATUS_LABELS.get(status, str(status).replace("_", " ").capitalize())


def days_text(days: float) -> str:
    """A slip in words: ``3 days late``, ``1 day early``, ``on the due date``."""
    n = int(days)
    if n == 0:
        return "on the due date"
    return f"{abs(n)} day{'s' if abs(n) != 1 else ''} {'late' if n > 0 else 'early'}"
