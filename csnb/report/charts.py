"""Altair chart builders and the report theme.

Each builder is a pure function of snapshot frames (see ``csnb.snapshot``) returning an Altair chart;
every user string (metric names, milestone titles, owners) travels in the chart's data or title, which
Vega draws as text, never as HTML. Charts embed at most ``MAX_POINTS`` points per series, however long
the raw series is, so a report stays small.

Colours are Okabe-Ito (safe for colour-blind readers); statuses also differ by point shape and line
dash so that a greyscale print still tells them apart.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

MAX_POINTS = 400
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
STATUS_SHAPES = {
    "achieved": "circle",
    "done": "circle",
    "on_track": "square",
    "at_risk": "triangle-up",
    "off_track": "cross",
    "late": "cross",
    "missed": "cross",
    "blocked": "diamond",
    "not_started": "triangle-right",
    "no_data": "stroke",
}
# Line roles of a metric chart: colour for the screen, dash for paper.
LINES = {"Actual": ("#0072B2", [1, 0]), "Glide path": (GREY, [2, 2]), "Forecast": ("#E69F00", [6, 3])}
FREQ_RULES = {"day": "D", "week": "W-MON", "month": "MS"}
COARSER = ("W-MON", "MS", "QS", "YS")
AGGREGATES = {"sum": "sum", "mean": "mean", "last": "last", "min": "min", "max": "max", "count": "count"}


@alt.theme.register("csnb", enable=False)
def csnb_theme() -> alt.theme.ThemeConfig:
    """The report theme: system fonts, Okabe-Ito colours, quiet axes, fit to the report's width."""
    font = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
    return {
        "config": {
            "font": font,
            "view": {"continuousWidth": 640, "continuousHeight": 260, "stroke": None},
            "range": {"category": OKABE_ITO},
            "axis": {
                "labelColor": "#333333",
                "titleColor": "#333333",
                "gridColor": "#E5E5E5",
                "domainColor": "#888888",
                "tickColor": "#888888",
            },
            "legend": {"orient": "bottom", "labelColor": "#333333", "titleColor": "#333333"},
            "title": {"anchor": "start", "fontSize": 14, "color": "#111111"},
            "line": {"strokeWidth": 2},
            "point": {"size": 40},
        }
    }


def use_theme() -> None:
    """Enable the report theme for charts made from now on in this process."""
    alt.theme.enable("csnb")


def vegalite_mimetype() -> str:
    """The Jupyter MIME type for the Vega-Lite major version Altair writes (``...v6+json``)."""
    return f"application/vnd.vegalite.{alt.SCHEMA_VERSION.split('.')[0]}+json"


def display_chart(chart: alt.TopLevelMixin, label: str = "chart") -> None:
    """Show a chart as a Vega-Lite output that the report renderer draws offline."""
    from IPython.display import display

    display({vegalite_mimetype(): chart.to_dict(), "text/plain": label}, raw=True)


def to_timestamps(values: Any) -> pd.Series:
    """Dates as timestamps (Vega-Lite reads them as temporal values)."""
    return pd.to_datetime(pd.Series(values), errors="coerce")


def is_missing(value: Any) -> bool:
    """True for None, NaN and NaT."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


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


def _lines_frame(row: pd.Series, actuals: pd.DataFrame) -> pd.DataFrame:
    """Actuals, glide path and forecast as one long frame (line, date, value) for one legend."""
    parts = [actuals.assign(line="Actual")]
    if not any(is_missing(row.get(k)) for k in ("baseline", "baseline_date", "target", "target_date")):
        parts.append(
            pd.DataFrame(
                {
                    "line": "Glide path",
                    "date": to_timestamps([row["baseline_date"], row["target_date"]]),
                    "value": [float(row["baseline"]), float(row["target"])],
                }
            )
        )
    forecast = _forecast(row, actuals)
    if forecast is not None:
        parts.append(forecast)
    return pd.concat(parts, ignore_index=True)[["line", "date", "value"]]


def _forecast(row: pd.Series, actuals: pd.DataFrame) -> pd.DataFrame | None:
    """Straight line from the last actual along ``trend`` per period up to ``forecast_date``."""
    end, trend = row.get("forecast_date"), row.get("trend")
    if actuals.empty or is_missing(end) or is_missing(trend):
        return None
    start, last = actuals["date"].iloc[-1], float(actuals["value"].iloc[-1])
    end = pd.Timestamp(end)
    if end <= start:
        return None
    periods = (end - start) / pd.Timedelta(days=_period_days(row.get("frequency")))
    return pd.DataFrame(
        {
            "line": "Forecast",
            "date": [start, end],
            "value": [last, last + float(trend) * periods],
        }
    )


def metric_chart(metric_row: pd.Series, series: pd.DataFrame) -> alt.LayerChart:
    """Actuals with baseline, target, glide path and forecast for one metric (a ``metrics`` row)."""
    if "metric" in series.columns and not is_missing(metric_row.get("metric")):
        series = series[series["metric"] == metric_row["metric"]]
    actuals = at_observed(
        limit_points(series, metric_row.get("frequency"), metric_row.get("aggregate")), series
    )
    lines = _lines_frame(metric_row, actuals)
    unit = "" if is_missing(metric_row.get("unit")) else str(metric_row["unit"])
    name = str(metric_row.get("name") or metric_row.get("metric") or "Metric")
    y = alt.Y("value:Q", title=unit or "value", scale=alt.Scale(zero=False))
    x = alt.X("date:T", title=None)
    domain = [k for k in LINES if k in set(lines["line"])]
    line_layer = (
        alt.Chart(lines)
        .mark_line()
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "line:N", title=None, scale=alt.Scale(domain=domain, range=[LINES[k][0] for k in domain])
            ),
            strokeDash=alt.StrokeDash(
                "line:N", title=None, scale=alt.Scale(domain=domain, range=[LINES[k][1] for k in domain])
            ),
            detail="line:N",
        )
    )
    points = (
        alt.Chart(actuals)
        .mark_point(filled=True, color=LINES["Actual"][0])
        .encode(
            x=x,
            y=y,
            tooltip=[alt.Tooltip("date:T", title="period"), alt.Tooltip("value:Q", title=unit or "value")],
        )
    )
    layers: list[alt.Chart] = [line_layer, points, *_reference_layers(metric_row, x, y)]
    return alt.layer(*layers).properties(title=alt.Title(name, subtitle=_subtitle(metric_row)))


def _reference_layers(row: pd.Series, x: alt.X, y: alt.Y) -> list[alt.Chart]:
    """Baseline and target rules with labels, and the target point at the target date."""
    refs = pd.DataFrame(
        [
            {"label": label, "value": float(row[key])}
            for label, key in (("Baseline", "baseline"), ("Target", "target"))
            if not is_missing(row.get(key))
        ]
    )
    if refs.empty:
        return []
    rules = (
        alt.Chart(refs)
        .mark_rule(color="#555555", strokeDash=[1, 3])
        .encode(y=y, tooltip=["label:N", alt.Tooltip("value:Q")])
    )
    labels = (
        alt.Chart(refs)
        .mark_text(align="left", dx=4, dy=-6, color="#333333")
        .encode(y=y, x=alt.value(0), text="label:N")
    )
    layers = [rules, labels]
    if not is_missing(row.get("target")) and not is_missing(row.get("target_date")):
        target = pd.DataFrame(
            {
                "label": ["Target"],
                "date": to_timestamps([row["target_date"]]),
                "value": [float(row["target"])],
            }
        )
        layers.append(
            alt.Chart(target)
            .mark_point(shape="diamond", size=140, filled=True, color="#000000")
            .encode(
                x=x,
                y=y,
                tooltip=["label:N", alt.Tooltip("date:T"), alt.Tooltip("value:Q")],
            )
        )
    return layers


def _subtitle(row: pd.Series) -> str:
    """A one-line status under the chart title, e.g. "on track, current 42 (kind: lead)"."""
    status = str(row.get("status") or "no_data").replace("_", " ")
    kind = "" if is_missing(row.get("kind")) else f" ({row['kind']} metric)"
    current = "" if is_missing(row.get("current")) else f", current {float(row['current']):,.4g}"
    return f"{status}{current}{kind}"


def lead_lag_chart(leads: pd.DataFrame) -> alt.LayerChart:
    """Correlation r of each lead with its lag at each shift; the best shift of each pair is marked."""
    frame = leads.copy()
    frame["pair"] = frame["lead"].astype(str) + " → " + frame["lag"].astype(str)
    frame["r"] = pd.to_numeric(frame["r"], errors="coerce")
    frame["best"] = frame.get("best", False)
    frame = frame[["pair", "lead", "lag", "shift", "r", "best"]].dropna(subset=["r"])
    x = alt.X("shift:O", title="shift (periods the lead comes first)")
    y = alt.Y("r:Q", title="correlation r", scale=alt.Scale(domain=[-1, 1]))
    pairs = sorted(set(frame["pair"]))
    colour = alt.Color(
        "pair:N", title=None, scale=alt.Scale(domain=pairs, range=_cycle(OKABE_ITO, len(pairs)))
    )
    tooltip = ["lead:N", "lag:N", "shift:O", alt.Tooltip("r:Q", format=".2f"), "best:N"]
    bars = alt.Chart(frame).mark_bar().encode(x=x, y=y, xOffset="pair:N", color=colour, tooltip=tooltip)
    best = (
        alt.Chart(frame)
        .transform_filter("datum.best")
        .mark_point(shape="diamond", filled=True, size=80, color="#000000")
        .encode(x=x, y=y, xOffset="pair:N", tooltip=tooltip)
    )
    zero = alt.Chart(pd.DataFrame({"r": [0.0]})).mark_rule(color="#888888").encode(y="r:Q")
    return alt.layer(bars, best, zero).properties(title="Lead indicators: correlation by shift", width=480)


def _cycle(colours: list[str], n: int) -> list[str]:
    """``n`` colours, repeating the palette when there are more series than colours."""
    return (colours * math.ceil(max(n, 1) / len(colours)))[: max(n, 1)]


def health_bar(score: float | None, band: str) -> alt.LayerChart:
    """The 0-100 health score as one bar on a green/amber/red scale (75 and 50 are the band limits)."""
    bands = pd.DataFrame({"band": ["red", "amber", "green"], "start": [0, 50, 75], "end": [50, 75, 100]})
    colours = {"red": "#D55E00", "amber": "#E69F00", "green": "#009E73", "unknown": "#BBBBBB"}
    back = (
        alt.Chart(bands)
        .mark_bar(opacity=0.25, height=24)
        .encode(
            x=alt.X("start:Q", title="health", scale=alt.Scale(domain=[0, 100])),
            x2="end:Q",
            color=alt.Color(
                "band:N", legend=None, scale=alt.Scale(domain=list(colours), range=list(colours.values()))
            ),
        )
    )
    value = pd.DataFrame(
        {
            "score": [0.0 if score is None else float(score)],
            "band": [band],
            "text": ["no data" if score is None else f"{score:.0f} ({band})"],
        }
    )
    bar = alt.Chart(value).mark_bar(height=10, color="#000000").encode(x="score:Q", tooltip=["text:N"])
    text = alt.Chart(value).mark_text(align="left", dx=4, dy=-14).encode(x="score:Q", text="text:N")
    return alt.layer(back, bar, text).properties(height=40, title="Health")
