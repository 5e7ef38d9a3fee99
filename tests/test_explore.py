"""Exploring in a notebook: the Python API, its escaped HTML, the README example, the exploration notebook."""

from __future__ import annotations

import datetime as dt
import doctest
import re
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import REPO

import csnb
from csnb import explore
from csnb.errors import InputError, PlanError, SourceError
from csnb.indicators.changes import Diff
from csnb.plan import Metric
from csnb.report import charts

AS_OF = dt.date(2026, 10, 15)  # pinned in the demo's csnb.toml


@pytest.fixture(scope="module")
def acme(demo):
    """Acme's plan and one pull of its data."""
    plan = csnb.Project(demo).plan("acme")
    return plan, plan.observations()


# --- the README's worked example ------------------------------------------------------------------------


def readme_examples() -> list[str]:
    """The ``pycon`` blocks of the README's "Exploring in JupyterLab" section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Exploring in JupyterLab\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```pycon\n(.*?)```", section, flags=re.DOTALL)


def test_readme_example_runs_on_the_demo(demo, monkeypatch):
    monkeypatch.chdir(demo)
    blocks = readme_examples()
    assert len(blocks) >= 3
    globs: dict = {}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for i, block in enumerate(blocks):
        test = doctest.DocTestParser().get_doctest(block, globs, f"README example {i}", "README.md", 0)
        runner.run(test, out=report.append, clear_globs=False)
        globs = test.globs  # a DocTest works on a copy: later blocks continue from this one's names
    assert runner.failures == 0, "".join(report)


# --- Project and Plan -----------------------------------------------------------------------------------


def test_project_lists_plans_and_finds_one(demo):
    project = csnb.Project(demo)
    assert sorted(p.id for p in project.plans) == ["acme", "fernhill", "northwind"]
    plan = project.plan("acme")
    assert plan.client.name == "Acme Logistics"
    assert plan.path == demo / "parameters" / "acme.yaml"


def test_observations_are_the_pull_and_respect_dates(acme):
    plan, observations = acme
    assert observations.frame.equals(csnb.pull(plan).frame)
    september = plan.observations(start="2026-09-01", end=dt.date(2026, 9, 30)).frame
    assert len(september) and september["date"].min() >= dt.datetime(2026, 9, 1)
    assert september["date"].max() <= dt.datetime(2026, 9, 30)


def test_evaluate_gives_the_report_numbers_on_the_pinned_date(acme):
    plan, observations = acme
    evaluation = plan.evaluate(observations=observations)
    assert evaluation.as_of == AS_OF  # csnb.toml's date, as `csnb run` would use
    engine = csnb.evaluate(plan, observations, AS_OF)
    table = evaluation.to_frame()
    metrics = table[table["item"] == "metric"]
    assert dict(zip(metrics["id"], metrics["status"], strict=True)) == dict(
        zip(engine.metrics["metric"], engine.metrics["status"], strict=True)
    )
    assert table.loc[table["item"] == "health", "current"].item() == engine.health.score
    assert set(table["item"]) == {"health", "metric", "milestone", "risk"}


def test_evaluate_takes_a_date_string_and_refuses_a_bad_one(acme):
    plan, observations = acme
    assert plan.evaluate("2026-10-01", observations).as_of == dt.date(2026, 10, 1)
    with pytest.raises(InputError, match="not a date"):
        plan.evaluate("1 October", observations)


def test_evaluation_html_shows_the_status_table_and_the_breakdown(acme):
    plan, observations = acme
    page = plan.evaluate(observations=observations)._repr_html_()
    assert "Acme Logistics — as of 2026-10-15" in page
    assert "Manual routing time per day" in page and "off_track" in page
    assert "Health breakdown" in page and "62.5" in page


def test_breakdown_says_which_inputs_pulled_health_down(acme):
    plan, observations = acme
    evaluation = plan.evaluate(observations=observations)
    why = evaluation.breakdown().to_frame()
    assert why["lost"].sum() == pytest.approx(100 - evaluation.health.score)
    assert why["input"].iloc[0] == "routing_minutes"  # the off-track lag metric costs the most
    assert why.loc[why["input"] == "M4", "lost"].item() == 0  # not started: carries no weight


def test_breakdown_names_the_inputs_left_out(demo):
    fernhill = csnb.Project(demo).plan("fernhill").evaluate()
    assert "forecast_accuracy" in fernhill.breakdown().note  # no data: left out, and said so


def test_leads_lists_every_shift_tried_with_one_best(acme):
    plan, observations = acme
    shifts = plan.evaluate(observations=observations).leads().to_frame()
    assert list(shifts["shift"]) == list(range(plan.settings.lead_max_shift + 1))
    assert shifts["best"].sum() == 1
    assert shifts.loc[shifts["best"], "r"].item() == shifts["r"].max()


def test_tables_by_name_and_unknown_table(acme):
    plan, observations = acme
    evaluation = plan.evaluate(observations=observations)
    assert list(evaluation.table("milestones").to_frame()["milestone"]) == ["M1", "M2", "M3", "M4"]
    with pytest.raises(InputError, match="no table"):
        evaluation.table("secrets")


def test_to_frame_returns_a_copy(acme):
    plan, observations = acme
    table = plan.evaluate(observations=observations).table("metrics")
    frame = table.to_frame()
    frame.loc[0, "name"] = "changed"
    assert table.to_frame().loc[0, "name"] != "changed"


def test_chart_is_the_reports_chart(acme):
    plan, observations = acme
    snap = csnb.evaluate(plan, observations, AS_OF)
    row = snap.metrics.set_index("metric", drop=False).loc["routing_minutes"]
    assert plan.chart("routing_minutes").to_dict() == charts.metric_chart(row, snap.series).to_dict()
    evaluation = plan.evaluate(observations=observations)
    assert evaluation.series("routing_minutes")["value"].iloc[-1] == pytest.approx(row["current"])
    with pytest.raises(InputError, match="known: auto_planned_share, routing_minutes, on_time_delivery"):
        evaluation.chart("routing_hours")


# --- what if ---------------------------------------------------------------------------------------------


def test_what_if_shows_which_statuses_move(acme):
    plan, observations = acme
    what = plan.what_if(
        metrics={"routing_minutes": {"target_date": "2026-12-15", "tolerance": 0.2}},
        milestones={"M3": {"due": dt.date(2026, 11, 20)}},
        observations=observations,
    )
    moves = what.moves()
    assert moves[["id", "before", "after"]].values.tolist() == [
        ["health", "amber", "green"],
        ["routing_minutes", "off_track", "on_track"],
        ["M3", "at_risk", "on_track"],
    ]
    assert what.changes[["id", "field", "after"]].values.tolist() == [
        ["routing_minutes", "target_date", dt.date(2026, 12, 15)],
        ["routing_minutes", "tolerance", 0.2],
        ["M3", "due", dt.date(2026, 11, 20)],
    ]
    assert plan.metric("routing_minutes").target.date == dt.date(2026, 10, 30)  # the plan is untouched
    assert "Statuses that move" in what._repr_html_()


def test_what_if_that_moves_nothing_says_so(acme):
    plan, observations = acme
    what = plan.what_if(metrics={"on_time_delivery": {"tolerance": 0.15}}, observations=observations)
    assert what.moves().empty
    assert "No status moves." in what._repr_html_()


def test_what_if_from_an_evaluation_keeps_its_date(acme):
    plan, observations = acme
    what = plan.evaluate("2026-10-01", observations).what_if(metrics={"routing_minutes": {"target": 450}})
    assert what.before.as_of == what.after.as_of == dt.date(2026, 10, 1)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"metrics": {"routing_hours": {"target": 1}}}, InputError, "no metric 'routing_hours'"),
        ({"metrics": {"routing_minutes": {"owner": "lee"}}}, InputError, "cannot change 'owner'"),
        ({"milestones": {"M3": {"due": "soon"}}}, InputError, "not a date"),
        ({"metrics": {"routing_minutes": {"target": 600}}}, PlanError, "target equals baseline"),
        ({"milestones": {"M3": {"due": "2026-08-01"}}}, PlanError, "before start"),
        ({}, InputError, "nothing to change"),
    ],
)
def test_what_if_refuses_what_a_plan_file_would_refuse(acme, change, error, message):
    plan, observations = acme
    with pytest.raises(error, match=message):
        plan.what_if(**change, observations=observations)


# --- candidate metrics -----------------------------------------------------------------------------------

CANDIDATE = """
id: manual_share
name: Routes still planned by hand
kind: lead
leads: [routing_minutes]
unit: "%"
direction: down
source: warehouse
query: "SELECT date, 100 - value AS value FROM observations
  WHERE client = :client AND metric = 'auto_planned_share' AND date BETWEEN :start AND :end"
aggregate: mean
baseline: {value: 85, date: 2026-08-31}
target: {value: 20, date: 2026-10-30}
"""


def test_try_metric_pulls_and_evaluates_a_candidate_beside_the_plan(acme):
    plan, observations = acme
    trial = explore.try_metric(plan, CANDIDATE, observations=observations)
    row = trial.to_frame().iloc[0]
    assert (row["metric"], row["status"], row["current"]) == ("manual_share", "at_risk", pytest.approx(47.0))
    assert trial.rows == 95
    checks = trial.lead_checks()
    assert checks[["lag", "best_shift", "predicts"]].values.tolist() == [["routing_minutes", 1, True]]
    assert len(plan.metrics) == 3  # the plan is untouched
    assert trial.chart().to_dict()["title"]["text"] == "Routes still planned by hand"
    assert "Candidate metric: Routes still planned by hand" in trial._repr_html_()


def test_try_metric_yaml_is_a_valid_plan_metric(acme):
    plan, observations = acme
    trial = explore.try_metric(plan, yaml.safe_load(CANDIDATE), observations=observations)
    [pasted] = yaml.safe_load(trial.yaml())
    assert Metric.model_validate(pasted) == trial.after.plan.metric("manual_share")


def test_try_metric_reports_plan_errors_and_source_errors(acme):
    plan, observations = acme
    spec = yaml.safe_load(CANDIDATE)
    with pytest.raises(PlanError, match=r"candidate metric: metrics\[3\]\.source: unknown source 'lake'"):
        explore.try_metric(plan, {**spec, "source": "lake"}, observations=observations)
    with pytest.raises(SourceError, match="manual_share"):
        explore.try_metric(
            plan, {**spec, "query": "SELECT date, value FROM no_such_table"}, observations=observations
        )


# --- what changed ----------------------------------------------------------------------------------------


def test_compare_lists_what_changed_between_two_dates(acme):
    plan, observations = acme
    changed = explore.compare(plan, "2026-10-01", AS_OF, observations)
    assert isinstance(changed, Diff)  # everything a Diff has, plus a table
    frame = changed.to_frame()
    moved = frame[frame["change"] == "moved"]
    assert moved[["id", "before", "after"]].values.tolist() == [
        ["auto_planned_share", "off_track", "at_risk"],
        ["M3", "on_track", "at_risk"],
    ]
    deltas = frame[frame["change"] == "delta"]
    assert set(deltas["id"]) == {"routing_minutes", "on_time_delivery"}
    assert "What changed: 2026-10-01 → 2026-10-15" in changed._repr_html_()


def test_compare_of_a_date_with_itself_shows_nothing_changed(acme):
    plan, observations = acme
    changed = explore.compare(plan, AS_OF, AS_OF, observations)
    assert changed.to_frame().empty and "Nothing changed." in changed._repr_html_()


# --- escaping --------------------------------------------------------------------------------------------

HOSTILE_PLAN = """\
client: {id: hostile, name: "<script>alert('client')</script> & Sons"}
people:
  - {id: dana, name: "Dana <b>Ortiz</b>", side: provider, role: CSM}
sources:
  sheet: {kind: csv, path: data.csv}
metrics:
  - id: calls
    name: "<img src=x onerror=alert('metric')>"
    kind: lag
    unit: "<i>calls</i>"
    source: sheet
    aggregate: sum
    frequency: week
    baseline: {value: 10, date: 2026-09-07}
    target: {value: 40, date: 2026-11-30}
  - id: trained
    name: "Agents trained </table><svg onload=alert(1)>"
    kind: lead
    leads: [calls]
    source: sheet
    aggregate: sum
    frequency: week
    baseline: {value: 1, date: 2026-09-07}
    target: {value: 20, date: 2026-11-30}
milestones:
  - {id: M1, title: "<b>Launch</b> & \\"go\\"", stage: onboarding, owner: dana,
     start: 2026-09-07, due: 2026-10-09, criteria: [{metric: calls, op: ">=", value: 30}]}
risks:
  - {id: R1, description: "<iframe src=javascript:alert(1)>", owner: dana, likelihood: low, impact: low,
     trigger: {metric: calls, op: "<", value: 20, after: 2026-09-20}, contingency: none}
"""


def hostile_plan(folder: Path) -> csnb.Plan:
    """A plan whose every user string is markup, with a few weeks of data."""
    rows = ["date,metric,value"]
    for day in range(42):
        date = dt.date(2026, 9, 7) + dt.timedelta(days=day)
        rows += [f"{date},calls,{1 + day // 7}", f"{date},trained,{day % 5}"]
    (folder / "data.csv").write_text("\n".join(rows) + "\n")
    (folder / "plan.yaml").write_text(HOSTILE_PLAN)
    return csnb.load_plan(folder / "plan.yaml")


RAW_MARKUP = ("<script", "<img", "<svg", "<iframe", "<b>", "<i>", "<u>")


def test_repr_html_escapes_every_user_string(tmp_path):
    plan = hostile_plan(tmp_path)
    evaluation = plan.evaluate(AS_OF)
    candidate = {
        "id": "more",
        "name": "<u>candidate</u>",
        "kind": "lag",
        "source": "sheet",
        "series": "calls",
        "baseline": {"value": 1, "date": "2026-09-07"},
        "target": {"value": 9, "date": "2026-11-30"},
    }
    pages = {
        "evaluation": evaluation._repr_html_(),
        "breakdown": evaluation.breakdown()._repr_html_(),
        "leads": evaluation.leads()._repr_html_(),
        "milestones": evaluation.table("milestones")._repr_html_(),
        "risks": evaluation.table("risks")._repr_html_(),
        "what_if": evaluation.what_if(milestones={"M1": {"due": "2026-10-30"}})._repr_html_(),
        "compare": explore.compare(plan, "2026-09-20", AS_OF)._repr_html_(),
        "trial": explore.try_metric(plan, candidate, as_of=AS_OF)._repr_html_(),
    }
    for name, page in pages.items():
        for markup in RAW_MARKUP:
            assert markup not in page, f"{name} shows raw {markup!r}"
    assert "&lt;script&gt;alert(&#x27;client&#x27;)&lt;/script&gt; &amp; Sons" in pages["evaluation"]
    assert "&lt;img src=x onerror=alert('metric')&gt;" in pages["evaluation"]
    assert "&lt;b&gt;Launch&lt;/b&gt; &amp;" in pages["milestones"]
    assert "&lt;iframe" in pages["risks"] and "&lt;u&gt;candidate&lt;/u&gt;" in pages["trial"]


# --- the exploration notebook ----------------------------------------------------------------------------


@pytest.mark.slow
def test_exploration_notebook_runs_top_to_bottom_on_the_demo(fresh_demo, tmp_path):
    import papermill as pm

    notebooks = fresh_demo / "notebooks"
    notebooks.mkdir(exist_ok=True)
    shutil.copy(REPO / "notebooks" / "exploration.ipynb", notebooks / "exploration.ipynb")
    out = tmp_path / "explored.ipynb"
    pm.execute_notebook(
        str(notebooks / "exploration.ipynb"),
        str(out),
        parameters={"client": "acme"},
        cwd=str(notebooks),
        progress_bar=False,
        kernel_name="python3",
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html_out = "\n".join(o.get("data", {}).get("text/html", "") for o in outputs)
    for shown in (
        "Acme Logistics — as of 2026-10-15",
        "Health breakdown",
        "Lead → lag shifts tried",
        "What changed",
        "Statuses that move",
        "Candidate metric",
    ):
        assert shown in html_out
    charts_shown = [o for o in outputs if "vega" in textwrap.shorten(str(o.get("data", {})), 100000)]
    assert len(charts_shown) >= 4  # three metric charts and the lead chart
