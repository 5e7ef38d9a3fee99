"""Chart builders: checked through their Vega-Lite specs (marks, encodings, data, the words a reader sees),
never pixels; every builder's output is valid Vega-Lite, checked here once instead of on every call."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from csnb.report import charts, timeline
from csnb.report.formats import NumberStyle, number

D = dt.date
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


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


def weekly_series(values=(100.0, 108.0, 115.0, 122.0, 130.0)) -> pd.DataFrame:
    """Aggregated weekly periods (Mondays from 5 Jan 2026)."""
    dates = [D(2026, 1, 5) + dt.timedelta(weeks=i) for i in range(len(values))]
    return pd.DataFrame({"client": "acme", "metric": "active_users", "date": dates, "value": list(values)})


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


def leads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client": "acme",
            "lead": "logins",
            "lag": "renewals",
            "shift": [0, 1, 2],
            "r": [0.1, 0.8, 0.3],
            "best": [False, True, False],
        }
    )


def rows_of(spec: dict, line: str) -> list[dict]:
    """Rows of the line layer's data for one line role (Actual, Glide path, Forecast)."""
    return [r for r in spec["layer"][0]["data"]["values"] if r.get("line") == line]


def all_rows(spec: dict) -> list[dict]:
    """Every data row of a spec: its own and its layers'."""
    rows = list(spec.get("data", {}).get("values", []))
    for layer in spec.get("layer", []):
        rows += layer.get("data", {}).get("values", [])
    return rows


def layer_marks(spec: dict) -> list[str]:
    """Mark type of each layer."""
    return [layer["mark"]["type"] for layer in spec["layer"]]


def visible_words(spec: dict) -> list[str]:
    """What a reader can see of a chart: titles, legends' and tooltips' labels and values, text marks."""
    seen: list[str] = []
    shown_fields = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("title", "text") and isinstance(value, str):
                    seen.append(value)
                elif key == "domain" and isinstance(value, list):
                    seen.extend(str(v) for v in value if isinstance(v, str))
                elif key == "tooltip" and isinstance(value, list):
                    shown_fields.update(t["field"] for t in value)
                    seen.extend(t.get("title", "") for t in value)
                elif key == "text" and isinstance(value, dict) and "field" in value:
                    shown_fields.add(value["field"])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in spec.items() if k != "config"})
    seen += [str(r[f]) for r in all_rows(spec) for f in shown_fields if f in r and r[f] is not None]
    return seen


@lru_cache(maxsize=1)
def vegalite_schema() -> dict:
    """The Vega-Lite JSON Schema that Altair ships (the version the report's bundle draws)."""
    from altair.vegalite.v6.schema.core import load_schema

    return load_schema()


def every_builder() -> dict[str, charts.ChartSpec]:
    """Each builder with typical and edge-case input."""
    empty = weekly_series().iloc[0:0]
    return {
        "metric": charts.metric_chart(metric_row(), weekly_series()),
        "metric, share": charts.metric_chart(
            metric_row(unit="", baseline=0.2, target=0.8, current=0.53),
            weekly_series((0.2, 0.3, 0.53)),
            NumberStyle(percent=True),
        ),
        "metric, money in de_DE": charts.metric_chart(
            metric_row(unit=""), weekly_series(), NumberStyle(currency="EUR", locale="de_DE", decimals=2)
        ),
        "metric, no forecast or target": charts.metric_chart(
            metric_row(forecast_date=None, target=np.nan, trend=np.nan), weekly_series()
        ),
        "metric, no data": charts.metric_chart(metric_row(status="no_data", current=np.nan), empty),
        "timeline": timeline.gantt_chart(milestones(), D(2026, 2, 16), {"lee": "Lee Chen", "kim": "Kim Ito"}),
        "timeline, no people": timeline.gantt_chart(milestones(), D(2026, 2, 16)),
        "leads": charts.lead_lag_chart(leads()),
    }


@pytest.mark.parametrize("name", list(every_builder()))
def test_every_builder_writes_valid_vega_lite(name):
    import jsonschema

    spec = every_builder()[name].to_dict()
    errors = [e.message for e in jsonschema.Draft7Validator(vegalite_schema()).iter_errors(spec)]
    assert errors == []
    json.dumps(spec, allow_nan=False)  # what the report embeds: plain JSON, no NaN


def test_metric_chart_shows_actuals_baseline_target_glide_path_and_forecast():
    chart = charts.metric_chart(metric_row(), weekly_series())
    spec = chart.to_dict()
    assert [r["value"] for r in rows_of(spec, "Actual")] == [100.0, 108.0, 115.0, 122.0, 130.0]
    glide = rows_of(spec, "Glide path")
    assert [(r["date"][:10], r["value"]) for r in glide] == [("2026-01-05", 100.0), ("2026-03-30", 200.0)]
    forecast = rows_of(spec, "Forecast")
    # From the last actual (130 on 2 Feb), 4 weeks at +10 per week to the forecast date.
    assert [(r["date"][:10], r["value"]) for r in forecast] == [("2026-02-02", 130.0), ("2026-03-02", 170.0)]
    labels = {r["label"] for r in all_rows(spec) if "label" in r}
    assert labels == {"Baseline 100 users", "Target 200 users"}
    assert {"rule", "line", "point", "text"} <= set(layer_marks(spec))
    assert spec["title"]["text"] == "Active users" and not chart.empty


def test_metric_chart_fits_its_container():
    spec = charts.metric_chart(metric_row(), weekly_series()).to_dict()
    assert spec["width"] == "container" and spec["autosize"]["type"] == "fit-x"


def test_chart_text_is_legible_on_a_phone():
    config = charts.metric_chart(metric_row(), weekly_series()).to_dict()["config"]
    sizes = [
        config["axis"]["labelFontSize"],
        config["axis"]["titleFontSize"],
        config["legend"]["labelFontSize"],
    ]
    assert min(sizes + [config["text"]["fontSize"], config["title"]["subtitleFontSize"]]) >= 11


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


def test_a_metric_with_no_data_is_not_drawn(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append(a))
    empty = charts.metric_chart(metric_row(status="no_data", current=np.nan), weekly_series().iloc[0:0])
    assert empty.empty and rows_of(empty.to_dict(), "Actual") == []
    charts.display_chart(empty, "Active users")
    assert shown == []  # a frame with only a glide path would read as data (and Vega logs "Infinite extent")
    charts.display_chart(charts.metric_chart(metric_row(), weekly_series()), "Active users")
    assert len(shown) == 1 and charts.vegalite_mimetype() in shown[0][0]


def test_tooltips_say_what_the_captions_say():
    # 527.1 minutes reads "527 minutes" in the caption (no decimals from 100 up): the chart must agree
    row = metric_row(unit="minutes", baseline=600.0, target=360.0, current=527.1)
    spec = charts.metric_chart(row, weekly_series((600.0, 560.4, 527.1))).to_dict()
    last = rows_of(spec, "Actual")[-1]
    assert (last["shown"], last["day"]) == ("527 minutes", "19 Jan 2026")
    spec = charts.metric_chart(
        row, weekly_series((600.0, 527.1)), NumberStyle(unit="min", decimals=1)
    ).to_dict()
    assert rows_of(spec, "Actual")[-1]["shown"] == "527.1 min"


def test_shares_and_money_read_in_the_metric_format():
    share = charts.metric_chart(
        metric_row(unit="", baseline=0.2, target=0.8), weekly_series((0.2, 0.53)), NumberStyle(percent=True)
    ).to_dict()
    assert rows_of(share, "Actual")[-1]["shown"] == "53%"
    assert share["layer"][0]["encoding"]["y"]["axis"]["format"] == ".0%"
    euros = NumberStyle(currency="EUR", locale="de_DE", decimals=2)
    money = charts.metric_chart(metric_row(unit=""), weekly_series((1234.5,)), euros).to_dict()
    assert rows_of(money, "Actual")[0]["shown"] == number(1234.5, euros)  # the captions' text
    assert "1.234,50" in rows_of(money, "Actual")[0]["shown"]
    locale = money["config"]["locale"]["number"]
    assert (locale["decimal"], locale["thousands"], locale["currency"]) == (",", ".", ["€", ""])
    assert money["layer"][0]["encoding"]["y"]["axis"]["format"] == "$,.2f"


def test_a_reader_sees_words_and_one_date_format():
    specs = every_builder()
    for name in ("metric", "metric, share", "timeline"):
        words = visible_words(specs[name].to_dict())
        assert words, name
        assert not [w for w in words if "_" in w or ISO_DATE.search(w) or "(s)" in w], name
    axis = specs["metric"].to_dict()["layer"][0]["encoding"]["x"]["axis"]
    assert axis["format"] == "%-d %b"  # 5 Jan, as in 15 Oct 2026


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
    assert len(all_rows(spec)) < 2 * charts.MAX_POINTS + 20


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


def test_gantt_bars_span_start_to_due_coloured_by_status_in_words():
    spec = timeline.gantt_chart(milestones(), D(2026, 2, 16)).to_dict()
    bars = spec["layer"][0]
    assert bars["mark"]["type"] == "bar"
    assert bars["encoding"]["x"]["field"] == "start" and bars["encoding"]["x2"]["field"] == "due"
    colour = bars["encoding"]["color"]["scale"]
    assert colour["domain"] == ["Done", "At risk", "Blocked"]
    assert colour["range"] == [charts.STATUS_COLOURS[s] for s in ("done", "at_risk", "blocked")]
    rows = {r["key"]: r for r in spec["data"]["values"]}
    assert rows["M2"]["criteria"] == "1 of 3 criteria met"
    assert (rows["M1"]["slip"], rows["M1"]["span"]) == ("3 days early", "5 Jan 2026 to 19 Jan 2026")


def test_gantt_titles_sit_above_their_bars_so_the_time_axis_keeps_the_width():
    spec = timeline.gantt_chart(milestones(), D(2026, 2, 16)).to_dict()
    assert spec["width"] == "container"
    titles = next(
        layer for layer in spec["layer"] if layer["mark"]["type"] == "text" and "text" in layer["encoding"]
    )
    assert titles["encoding"]["text"]["field"] == "title" and titles["encoding"]["y"]["axis"] is None
    assert titles["mark"]["dy"] < 0 and titles["mark"]["baseline"] == "bottom"
    assert titles["encoding"]["y"]["sort"] == ["M1", "M2", "M3"]  # by start date


def test_gantt_marks_the_critical_path_status_shapes_and_as_of():
    spec = timeline.gantt_chart(milestones(), D(2026, 2, 16), {"lee": "Lee Chen", "kim": "Kim Ito"}).to_dict()
    bars = spec["layer"][0]["encoding"]
    assert bars["strokeWidth"]["condition"]["test"] == "datum.critical"
    shapes = spec["layer"][1]["encoding"]["shape"]["scale"]
    assert len(set(shapes["range"])) == len(shapes["domain"])  # each status its own shape
    assert "triangle-up" not in shapes["range"]  # an upward triangle reads as "up", not "at risk"
    as_of = [v for v in all_rows(spec) if "as_of" in v]
    assert as_of[0]["as_of"].startswith("2026-02-16") and as_of[0]["label"] == "Report date, 16 Feb 2026"
    assert {t["title"] for t in bars["tooltip"]} >= {"Milestone", "Owner", "Status", "Dates"}
    assert {r["owner"] for r in spec["data"]["values"]} == {"Lee Chen", "Kim Ito"}


def test_gantt_without_names_shows_no_owner_ids():
    spec = timeline.gantt_chart(milestones(), D(2026, 2, 16)).to_dict()
    assert "Owner" not in {t["title"] for t in spec["layer"][0]["encoding"]["tooltip"]}
    assert "lee" not in visible_words(spec)


def test_status_colours_stay_distinct_in_greyscale():
    def grey(hex_colour: str) -> float:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.299 * r + 0.587 * g + 0.114 * b

    statuses = ["done", "on_track", "at_risk", "late", "blocked", "not_started"]
    levels = sorted(grey(charts.STATUS_COLOURS[s]) for s in statuses)
    assert all(b - a >= 10 for a, b in zip(levels, levels[1:], strict=False))
    assert len({charts.STATUS_SHAPES[s] for s in statuses}) == len(statuses)


def test_lead_lag_chart_shows_r_by_shift_and_marks_the_best():
    spec = charts.lead_lag_chart(leads()).to_dict()
    bars = spec["layer"][0]
    assert bars["encoding"]["x"]["field"] == "shift" and bars["encoding"]["y"]["field"] == "r"
    assert bars["encoding"]["y"]["scale"]["domain"] == [-1, 1]
    assert spec["layer"][1]["transform"] == [{"filter": "datum.best"}]
    rows = bars["data"]["values"]
    assert rows[0]["pair"] == "logins → renewals" and [r["best"] for r in rows] == [False, True, False]


def test_user_strings_stay_in_data():
    row = metric_row(name="<script>alert(1)</script>")
    spec = charts.metric_chart(row, weekly_series()).to_dict()
    assert spec["title"]["text"] == "<script>alert(1)</script>"  # drawn as SVG text by Vega


def test_the_spec_is_a_copy():
    chart = charts.metric_chart(metric_row(), weekly_series())
    chart.to_dict()["title"]["text"] = "changed"
    assert chart.to_dict()["title"]["text"] == "Active users"


def test_an_analyst_can_take_a_chart_into_altair():
    import altair as alt

    chart = charts.metric_chart(metric_row(), weekly_series())
    taken = chart.to_altair()
    assert isinstance(taken, alt.LayerChart)
    assert taken.to_dict()["title"] == chart.to_dict()["title"]
    shown = chart._repr_mimebundle_()  # a notebook shows it as it shows any Altair chart
    assert set(shown) == set(taken._repr_mimebundle_()) and "Active users" in str(shown)


def test_theme_reaches_altair_charts_only_on_request():
    import altair as alt

    before = alt.theme.active
    try:
        charts.use_theme()
        assert alt.theme.active == "csnb"
        spec = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q").to_dict()
        assert spec["config"]["range"]["category"] == charts.OKABE_ITO
    finally:
        alt.theme.enable(before)


def test_vegalite_version_is_altairs():
    import altair as alt

    assert charts.VEGALITE_VERSION == alt.SCHEMA_VERSION  # the schema tested above is the one drawn
    assert charts.vegalite_mimetype() == f"application/vnd.vegalite.{alt.SCHEMA_VERSION.split('.')[0]}+json"


@pytest.mark.slow
def test_building_charts_never_imports_altair():
    # Altair loads jsonschema and its format checkers: seconds in each fresh report kernel
    code = (
        "import sys\nsys.path.insert(0, 'tests')\nfrom test_charts import every_builder, metric_row\n"
        "from csnb.report import charts\ncharts.use_theme()\n"
        "[c.to_dict() for c in every_builder().values()]\n"
        "print(sorted(m for m in ('altair', 'jsonschema', 'vl_convert') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


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
