"""The one-pager: the verdict, health as a whole number with its reason, goals worst first with a sparkline,
what changed / why / next, needed from you, recovery. Built in memory from a snapshot (no notebook run),
except the demo's, which is prepared from its project as the report notebook does.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest
from builders import DANA, at_least, daily, metric, milestone, observations, plan_data

from csnb.indicators.changes import diff
from csnb.indicators.evaluation import evaluate
from csnb.plan import Plan
from csnb.report import prepare
from csnb.report.build import AUDIENCES, Report
from csnb.report.onepager import BAND_STYLE, ONEPAGER_MIME, one_pager
from csnb.report.spark import sparkline, sparkline_img

D = dt.date
LEE = {"id": "lee", "name": "Lee Chen", "side": "client", "role": "VP Operations"}


def goal(goal_id: str, statement: str, *metrics: str, **fields) -> dict:
    return {"id": goal_id, "statement": statement, "metrics": list(metrics), **fields}


def build(data: dict, rows: list[tuple], as_of: dt.date, audience: str = "executive") -> Report:
    p = Plan.model_validate(data)
    snap = evaluate(p, observations(*rows), as_of)
    return Report(p, snap, diff(None, snap, p), audience, pd.DataFrame())


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def two_goals() -> dict:
    # adoption climbs 0 -> 100 over 01-01..01-11 (on track at 10 a day); routing should fall 600 -> 360 by
    # 01-11 but sits at 590: progress 10/240 = 4% against 50% expected on 01-06, so it is off track.
    data = plan_data(
        [
            metric("adoption", unit="users"),
            metric(
                "routing",
                name="Manual routing time",
                unit="minutes",
                direction="down",
                baseline={"value": 600, "date": "2026-01-01"},
                target={"value": 360, "date": "2026-01-11"},
            ),
        ]
    )
    data["goals"] = [
        goal("adopt", "Everyone uses the dashboards", "adoption"),
        goal("route", "Cut manual routing time by 40%", "routing", why="Dispatchers lose their mornings"),
    ]
    return data


ROWS = daily("adoption", [0, 10, 20, 30, 40, 50]) + daily("routing", [600, 598, 596, 594, 592, 590])


def test_goals_are_listed_worst_first_with_current_target_unit_and_data_date() -> None:
    data = one_pager(build(two_goals(), ROWS, D(2026, 1, 6)))
    first, second = data["goals"]
    assert (first["name"], first["status"], first["label"], first["band"]) == (
        "Cut manual routing time by 40%",
        "off_track",
        "Off track",
        "red",
    )
    assert (first["current"], first["target"], first["data_as_of"]) == (
        "590 minutes",
        "360 minutes by 11 Jan 2026",
        "6 Jan 2026",
    )
    assert first["spark"] == [600.0, 598.0, 596.0, 594.0, 592.0, 590.0]
    assert (second["name"], second["label"], second["current"]) == (
        "Everyone uses the dashboards",
        "On track",
        "50 users",
    )


def test_the_verdict_leads_with_the_worst_goal_and_counts_the_rest() -> None:
    data = one_pager(build(two_goals(), ROWS, D(2026, 1, 6)))
    assert data["verdict"] == (
        "“Cut manual routing time by 40%” is off track; 1 of 2 goals on track or achieved; "
        "no milestone is late."
    )
    assert data["why"] == ["Cut manual routing time by 40%: Dispatchers lose their mornings."]


def test_a_healthy_plan_says_so_in_one_sentence() -> None:
    data = two_goals()
    data["goals"] = data["goals"][:1]
    assert one_pager(build(data, ROWS, D(2026, 1, 6)))["verdict"] == (
        "The goal is on track or achieved, and no milestone is late."
    )


def test_health_is_a_whole_number_out_of_100_rounded_as_people_round() -> None:
    # adoption on track (100, weight 2) and routing off track (0, weight 2) average 50: amber.
    r = build(two_goals(), ROWS, D(2026, 1, 6))
    assert r.snapshot.health.score == 50.0
    h = one_pager(r)["health"]
    assert (h["score_text"], h["band"], h["label"]) == ("50 / 100", "amber", "Amber")
    assert "Manual routing time (off track)" in h["reason"]
    # 62.5 reads 63, not Python's banker's 62
    from csnb.report.formats import whole

    assert (whole(62.5), whole(62.4), whole(83.3)) == (63, 62, 83)


def test_a_goal_without_data_says_when_and_from_where_data_is_expected() -> None:
    # forecast's baseline is 1 Feb: nothing can have arrived by 6 Jan, so the row names 1 Feb and its source
    data = two_goals()
    data["metrics"].append(
        metric(
            "forecast",
            name="Forecast accuracy",
            unit="%",
            baseline={"value": 60, "date": "2026-02-01"},
            target={"value": 85, "date": "2026-03-01"},
        )
    )
    data["goals"].append(goal("fc", "Forecasts 85% accurate", "forecast"))
    row = next(
        g for g in one_pager(build(data, ROWS, D(2026, 1, 6)))["goals"] if g["name"].startswith("Fore")
    )
    assert (row["status"], row["label"], row["band"], row["current"]) == (
        "no_data",
        "No data yet",
        "grey",
        "—",
    )
    assert row["note"] == "No data yet: expected from 1 Feb 2026 (Files)"
    assert row["spark"] == []


def test_needed_from_you_lists_overdue_inputs_first_with_singular_days() -> None:
    data = two_goals()
    data["people"] = [DANA, LEE]
    data["milestones"] = [
        milestone(
            "M1",
            at_least("adoption", 100),
            due="2026-01-20",
            client_inputs=[
                {"description": "Depot address book", "owner": "lee", "needed_by": "2026-01-10"},
                {"description": "Vehicle list", "owner": "lee", "needed_by": "2026-01-05"},
            ],
        )
    ]
    needed = one_pager(build(data, ROWS, D(2026, 1, 6)))["needed"]
    assert needed == [
        {
            "text": "Vehicle list (overdue by 1 day)",
            "owner": "Lee Chen",
            "due": "5 Jan 2026",
            "overdue": True,
        },
        {"text": "Depot address book", "owner": "Lee Chen", "due": "10 Jan 2026", "overdue": False},
    ]


def test_what_comes_next_names_milestones_due_soon_with_owner_and_date() -> None:
    data = two_goals()
    data["milestones"] = [milestone("M1", at_least("adoption", 100), due="2026-01-20")]
    data["milestones"][0]["title"] = "Dashboards live"
    nxt = one_pager(build(data, ROWS, D(2026, 1, 6)))["next"]
    assert nxt == [{"text": "Dashboards live (on track)", "owner": "Dana Ortiz", "date": "20 Jan 2026"}]


def test_the_one_pager_is_json_with_one_date_format_and_the_agreed_keys() -> None:
    data = one_pager(build(two_goals(), ROWS, D(2026, 1, 6)))
    assert set(data) == {
        "version", "client", "as_of", "as_of_text", "band", "status_label", "verdict", "health", "goals",
        "changed", "why", "next", "needed", "recovery", "full_report",
    }  # fmt: skip
    assert (data["version"], data["as_of"], data["as_of_text"], data["client"]) == (
        1,
        "2026-01-06",
        "6 Jan 2026",
        "Acme",
    )
    shown = json.dumps({k: v for k, v in data.items() if k != "as_of"}, ensure_ascii=False)
    assert not re.search(r"\d{4}-\d\d-\d\d", shown)
    assert data["changed"] == ["First report: the next one will show what moved since today."]


def test_band_marks_differ_in_shape_and_amber_is_not_an_arrow() -> None:
    marks = [mark for _, mark, _ in BAND_STYLE.values()]
    assert len(set(marks)) == 4 and "▲" not in marks
    assert BAND_STYLE["amber"] == ("#9a6700", "◆", "At risk")


def test_the_executive_edition_is_the_one_pager_without_full_charts() -> None:
    assert AUDIENCES["executive"] == ("header", "summary")
    html = build(two_goals(), ROWS, D(2026, 1, 6)).html("summary")
    assert 'class="csnb csnb-onepager b-amber"' in html
    words = text(html)
    assert "Amber : “Cut manual routing time by 40%” is off track" in words
    assert "Health 50 / 100" in words
    assert words.index("Cut manual routing time by 40%") < words.index("Everyone uses the dashboards")
    assert "For the team" not in words  # the executive edition never shows the CSM's to-do
    assert "<style" not in html and "<script" not in html


def test_the_summary_cell_carries_the_one_pager_json_beside_its_html(monkeypatch) -> None:
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False, **_: shown.append((obj, raw)))
    r = build(two_goals(), ROWS, D(2026, 1, 6))
    r.show("summary")
    [(bundle, raw)] = shown
    assert raw and set(bundle) == {"text/html", ONEPAGER_MIME}
    assert bundle[ONEPAGER_MIME] == json.loads(json.dumps(one_pager(r)))
    assert "csnb-onepager" in bundle["text/html"]


def test_a_sparkline_breaks_at_a_period_without_data_and_needs_no_request() -> None:
    svg = str(sparkline([1.0, 2.0, None, 4.0, 3.0], "#c62828"))
    assert svg.count("<polyline") == 2 and 'stroke="#c62828"' in svg
    assert str(sparkline([None, None])) == ""
    img = str(sparkline_img([1.0, 2.0], label="Trend of <routing>"))
    assert img.startswith('<img class="csnb-spark" src="data:image/svg+xml;base64,')
    assert 'alt="Trend of &lt;routing&gt;"' in img and "http" not in img


def test_weekly_sparklines_show_a_missing_week_as_a_gap() -> None:
    data = two_goals()
    data["metrics"][0] |= {"frequency": "week", "aggregate": "last"}
    rows = [("adoption", "2026-01-05", 10), ("adoption", "2026-01-12", 20), ("adoption", "2026-01-26", 40)]
    rows += daily("routing", [600, 598])
    r = build(data, rows, D(2026, 1, 27))
    adopt = next(g for g in one_pager(r)["goals"] if g["name"].startswith("Everyone"))
    assert adopt["spark"] == [10.0, 20.0, None, 40.0]


@pytest.mark.parametrize("client", ["acme", "northwind", "fernhill"])
def test_every_demo_one_pager_reads_worst_first(demo, client: str) -> None:
    data = one_pager(prepare(demo / "parameters" / f"{client}.yaml", audience="executive", project_root=demo))
    severity = ["missed", "error", "off_track", "at_risk", "no_data", "on_track", "achieved"]
    ranks = [severity.index(g["status"]) for g in data["goals"]]
    assert ranks == sorted(ranks)
    assert data["verdict"].startswith(f"“{data['goals'][0]['name']}”")
    assert re.fullmatch(r"\d{1,3} / 100", data["health"]["score_text"])


def test_northwind_leads_with_its_missed_goal_and_says_why_health_is_held_at_amber(demo) -> None:
    data = one_pager(prepare(demo / "parameters" / "northwind.yaml", audience="executive", project_root=demo))
    assert (data["band"], data["status_label"], data["health"]["score_text"]) == (
        "amber",
        "Amber",
        "83 / 100",
    )
    assert data["health"]["reason"] == (
        "Held at amber while “+15% calls per agent within 30 days of the first campaign” is missed."
    )
    assert data["goals"][0]["name"] == "+15% calls per agent within 30 days of the first campaign"
    assert (data["goals"][0]["label"], data["goals"][0]["current"]) == ("Missed", "44 calls")


def test_what_comes_next_keeps_to_five_items_and_always_the_next_review() -> None:
    data = two_goals()
    data["milestones"] = [
        milestone(f"M{i}", at_least("adoption", 100), due=f"2026-01-{10 + i}", title=f"Step {i}")
        for i in range(6)
    ]
    data["cadence"] = [
        {
            "ritual": "monthly-review",
            "rrule": "FREQ=MONTHLY;BYDAY=1TU",
            "audience": "executive",
            "channel": "meeting",
        }
    ]
    nxt = one_pager(build(data, ROWS, D(2026, 1, 6)))["next"]
    assert [n["text"] for n in nxt] == [
        "Step 0 (at risk)",  # due 01-10 while adoption is forecast to reach 100 on 01-11
        "Step 1 (on track)",
        "Step 2 (on track)",
        "Step 3 (on track)",
        "Next monthly review",
    ]
    assert (nxt[-1]["owner"], nxt[-1]["date"]) == ("Dana Ortiz", "3 Feb 2026")
