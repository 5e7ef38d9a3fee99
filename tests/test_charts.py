"""Chart builders: checked through ``chart.to_dict()`` (marks, encodings, data), never pixels."""

from __future__ import annotations

import datetime as dt

import altair as alt
import numpy as np
import pandas as pd
import pytest

from csnb.report import charts, timeline

D = dt.date


def metric_row(**overrides) -> pd.Series:
    """A ``metrics`` row of a weekly summed lag metric."""
    row = dict(
        client="acme",
        metric="active_users",
        name="Active users",
        kind="lag",
        unit="users",
        direction="up",
        frequency="week",
        aggregate="sum",
        baseline=100.0,
        baseline_date=D(2026, 1, 5),
        target=200.0,
        target_date=D(2026, 3, 30),
        tolerance=0.1,
        current=130.0,
        current_date=D(2026, 2, 2),
        status="on_track",
        trend=10.0,
        forecast_date=D(2026, 3, 2),
        periods=5,
    )
    row.update(overrides)
    return pd.Series(row)


def weekly_series() -> pd.DataFrame:
    """Five aggregated weekly periods (Mondays)."""
    dates = [D(2026, 1, 5) + dt.timedelta(weeks=i) for i in range(5)]
    return pd.DataFrame(
        {
            "client": "acme",
            "metric": "active_users",
            "date": dates,
            "value": [100.0, 108.0, 115.0, 122.0, 130.0],
        }
    )


def rows_of(spec: dict, line: str) -> list[dict]:
    """Rows of the dataset holding the lines frame, for one line role."""
    for values in spec["datasets"].values():
        found = [v for v in values if v.get("line") == line]
        if found:
            return found
    return []


def layer_marks(spec: dict) -> list[str]:
    """Mark type of each layer."""
    return [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]
    ]


def test_metric_chart_shows_actuals_baseline_target_glide_path_and_forecast():
    chart = charts.metric_chart(metric_row(), weekly_series())
    assert isinstance(chart, alt.LayerChart)
    spec = chart.to_dict()
    assert [r["value"] for r in rows_of(spec, "Actual")] == [100.0, 108.0, 115.0, 122.0, 130.0]
    glide = rows_of(spec, "Glide path")
    assert [(r["date"][:10], r["value"]) for r in glide] == [("2026-01-05", 100.0), ("2026-03-30", 200.0)]
    forecast = rows_of(spec, "Forecast")
    # From the last actual (130 on 2 Feb), 4 weeks at +10 per week to the forecast date.
    assert [(r["date"][:10], r["value"]) for r in forecast] == [("2026-02-02", 130.0), ("2026-03-02", 170.0)]
    refs = [
        v for values in spec["datasets"].values() for v in values if v.get("label") in {"Baseline", "Target"}
    ]
    assert {(r["label"], r["value"]) for r in refs} >= {("Baseline", 100.0), ("Target", 200.0)}
    assert "rule" in layer_marks(spec) and "line" in layer_marks(spec)
    assert spec["title"]["text"] == "Active users"


def test_metric_chart_lines_differ_by_dash_for_greyscale_print():
    spec = charts.metric_chart(metric_row(), weekly_series()).to_dict()
    dash = spec["layer"][0]["encoding"]["strokeDash"]["scale"]
    assert dash["domain"] == ["Actual", "Glide path", "Forecast"]
    assert len({tuple(d) for d in dash["range"]}) == 3


def test_metric_chart_without_forecast_or_target_draws_what_it_has():
    row = metric_row(forecast_date=None, target=np.nan, trend=np.nan)
    spec = charts.metric_chart(row, weekly_series()).to_dict()
    assert rows_of(spec, "Forecast") == [] and rows_of(spec, "Glide path") == []
    assert len(rows_of(spec, "Actual")) == 5


def test_metric_chart_with_no_data_still_builds():
    empty = weekly_series().iloc[0:0]
    spec = charts.metric_chart(metric_row(status="no_data", current=np.nan), empty).to_dict()
    assert rows_of(spec, "Actual") == []
    assert "no data" in spec["title"]["subtitle"]


def test_metric_chart_keeps_only_its_metric():
    other = weekly_series().assign(metric="other", value=999.0)
    spec = charts.metric_chart(metric_row(), pd.concat([weekly_series(), other])).to_dict()
    assert all(r["value"] != 999.0 for r in rows_of(spec, "Actual"))


def test_fifty_thousand_raw_rows_embed_a_few_hundred_points():
    raw = pd.DataFrame(
        {
            "metric": "active_users",
            "value": 1.0,
            "date": pd.date_range("2020-01-01", periods=50_000, freq="h"),
        }
    )
    spec = charts.metric_chart(metric_row(frequency="day", aggregate="sum"), raw).to_dict()
    actual = rows_of(spec, "Actual")
    assert 0 < len(actual) <= charts.MAX_POINTS
    assert sum(len(v) for v in spec["datasets"].values()) < 2 * charts.MAX_POINTS + 20


def test_raw_rows_are_bucketed_by_the_metric_frequency_and_aggregate():
    raw = pd.DataFrame(
        {"date": pd.to_datetime(["2026-01-05", "2026-01-07", "2026-01-12"]), "value": [1.0, 2.0, 5.0]}
    )
    summed = charts.limit_points(raw, "week", "sum")
    assert summed["value"].tolist() == [3.0, 5.0]
    assert summed["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-05", "2026-01-12"]  # Mondays
    assert charts.limit_points(raw, "week", "last")["value"].tolist() == [2.0, 5.0]


def test_an_aggregated_series_is_left_alone():
    series = weekly_series()
    assert charts.limit_points(series, "week", "count")["value"].tolist() == series["value"].tolist()


def milestones() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client": "acme",
            "milestone": ["M1", "M2", "M3"],
            "title": ["Kickoff", "Go live", "Adoption"],
            "stage": "onboarding",
            "owner": ["lee", "kim", "lee"],
            "start": [D(2026, 1, 5), D(2026, 1, 20), D(2026, 3, 1)],
            "due": [D(2026, 1, 19), D(2026, 2, 27), D(2026, 4, 30)],
            "status": ["done", "at_risk", "blocked"],
            "achieved_on": [D(2026, 1, 16), None, None],
            "slip_days": [-3.0, np.nan, np.nan],
            "critical": [True, True, False],
            "leap": False,
            "depends_on": [(), ("M1",), ("M2",)],
            "blocked_by": [(), (), ("M2",)],
            "criteria_met": [2, 1, 0],
            "criteria_total": [2, 3, 1],
        }
    )


def test_gantt_bars_span_start_to_due_coloured_by_status():
    spec = timeline.gantt_chart(milestones(), D(2026, 2, 16)).to_dict()
    bars = spec["layer"][0]
    assert bars["mark"]["type"] == "bar"
    assert bars["encoding"]["x"]["field"] == "start" and bars["encoding"]["x2"]["field"] == "due"
    colour = bars["encoding"]["color"]["scale"]
    assert colour["domain"] == ["done", "at_risk", "blocked"]
    assert colour["range"] == [charts.STATUS_COLOURS[s] for s in colour["domain"]]
    rows = next(iter(spec["datasets"].values()))
    assert {r["milestone"]: r["criteria"] for r in rows}["M2"] == "1 of 3 criteria met"


def test_gantt_marks_the_critical_path_status_shapes_and_as_of():
    spec = timeline.gantt_chart(milestones(), D(2026, 2, 16)).to_dict()
    bars = spec["layer"][0]["encoding"]
    assert bars["strokeWidth"]["condition"]["test"] == "datum.critical"
    shapes = spec["layer"][1]["encoding"]["shape"]["scale"]
    assert len(set(shapes["range"])) == len(shapes["domain"])  # each status its own shape
    as_of = [v for values in spec["datasets"].values() for v in values if "as_of" in v]
    assert as_of[0]["as_of"].startswith("2026-02-16")
    tips = {t["field"] for t in bars["tooltip"]}
    assert {"milestone", "owner", "status", "start", "due"} <= tips


def test_status_colours_stay_distinct_in_greyscale():
    def grey(hex_colour: str) -> float:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.299 * r + 0.587 * g + 0.114 * b

    statuses = ["done", "on_track", "at_risk", "late", "blocked", "not_started"]
    levels = sorted(grey(charts.STATUS_COLOURS[s]) for s in statuses)
    assert all(b - a >= 10 for a, b in zip(levels, levels[1:], strict=False))
    assert len({charts.STATUS_SHAPES[s] for s in statuses}) == len(statuses)


def test_lead_lag_chart_shows_r_by_shift_and_marks_the_best():
    leads = pd.DataFrame(
        {
            "client": "acme",
            "lead": "logins",
            "lag": "renewals",
            "shift": [0, 1, 2],
            "r": [0.1, 0.8, 0.3],
            "best": [False, True, False],
        }
    )
    spec = charts.lead_lag_chart(leads).to_dict()
    bars = spec["layer"][0]
    assert bars["encoding"]["x"]["field"] == "shift" and bars["encoding"]["y"]["field"] == "r"
    assert bars["encoding"]["y"]["scale"]["domain"] == [-1, 1]
    assert spec["layer"][1]["transform"] == [{"filter": "datum.best"}]
    rows = next(iter(spec["datasets"].values()))
    assert rows[0]["pair"] == "logins → renewals"


def test_health_bar_with_and_without_a_score():
    assert charts.health_bar(82.0, "green").to_dict()["layer"][1]["mark"]["type"] == "bar"
    spec = charts.health_bar(None, "unknown").to_dict()
    assert any(v.get("text") == "no data" for values in spec["datasets"].values() for v in values)


def test_user_strings_stay_in_data():
    row = metric_row(name="<script>alert(1)</script>")
    spec = charts.metric_chart(row, weekly_series()).to_dict()
    assert spec["title"]["text"] == "<script>alert(1)</script>"  # drawn as SVG text by Vega


def test_theme_is_registered_but_only_enabled_on_request():
    assert "csnb" in alt.theme.names()
    before = alt.theme.active
    try:
        charts.use_theme()
        spec = charts.metric_chart(metric_row(), weekly_series()).to_dict()
        assert spec["config"]["range"]["category"] == charts.OKABE_ITO
    finally:
        alt.theme.enable(before)


def test_vegalite_mimetype_matches_altairs_schema():
    major = alt.SCHEMA_VERSION.split(".")[0]
    assert charts.vegalite_mimetype() == f"application/vnd.vegalite.{major}+json"


@pytest.mark.parametrize("frequency", ["day", "week", "month"])
def test_forecast_follows_trend_per_period(frequency):
    step = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}
    last = pd.Timestamp("2026-02-02" if frequency != "month" else "2026-02-01")
    row = metric_row(
        frequency=frequency, aggregate="last", trend=2.0, forecast_date=(last + 3 * step[frequency]).date()
    )
    series = pd.DataFrame({"date": [last - step[frequency], last], "value": [1.0, 3.0]})
    forecast = rows_of(charts.metric_chart(row, series).to_dict(), "Forecast")
    assert forecast[-1]["value"] == pytest.approx(9.0, rel=0.02)
