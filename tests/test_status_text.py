"""``csnb status`` as people read it: goals first, units on every number, nothing cut, no past forecast."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from csnb.cli.status import print_status

AS_OF = "2026-03-04"


def _metric(**changes: object) -> dict:
    row = {
        "metric": "routing_minutes",
        "name": "Manual routing time per day across every regional dispatch centre",
        "kind": "lag",
        "unit": "minutes",
        "current": 412.5,
        "target": 360.0,
        "progress": 0.78,
        "expected": 0.8,
        "status": "on_track",
        "current_date": AS_OF,
        "newest_date": AS_OF,
        "age_days": 0,
        "stale": False,
        "forecast_date": "2026-03-20",
    }
    return {**row, **changes}


def _result(*metrics: dict) -> dict:
    return {
        "as_of": AS_OF,
        "clients": [
            {
                "client": "acme",
                "name": "Acme Logistics",
                "health": {"score": 80.0, "band": "green", "capped_by": [], "missing_reasons": {}},
                "goals": [{"goal": "routing", "statement": "Cut routing time by 40%", "status": "on_track"}],
                "goal_metrics": {"routing": ["routing_minutes"]},
                "frequencies": {"routing_minutes": "week", "planned_share": "week"},
                "metrics": list(metrics),
                "milestones": [
                    {
                        "milestone": "M1",
                        "title": "Numbers provisioned",
                        "due": "2026-02-27",
                        "status": "done",
                        "achieved_on": "2026-02-26",
                        "slip_days": -1,
                    },
                ],
                "risks": [{"risk": "R1", "description": "Agents not trained in time", "status": "clear"}],
                "lead_checks": [
                    {
                        "lead": "planned_share",
                        "lag": "routing_minutes",
                        "best_shift": 0,
                        "best_r": 0.98,
                        "predicts": True,
                    },
                ],
                "inputs": [],
                "source_errors": [],
                "failed_sources": [],
            }
        ],
    }


def _printed(result: dict, width: int = 80, terminal: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=terminal, color_system=None)
    print_status(result, console)
    return buffer.getvalue()


def test_goals_come_first_then_metrics_milestones_and_risks() -> None:
    text = _printed(_result(_metric()))
    order = [text.index(title) for title in ("\nGoals", "\nMetrics", "\nMilestones", "\nRisks")]
    assert order == sorted(order)
    assert "Cut routing time by 40%" in text and "routing_minutes" in text


def test_every_number_carries_its_unit() -> None:
    text = _printed(_result(_metric()), width=200)
    assert "health 80.0/100 green" in text
    assert "412.5 minutes" in text and "360.0 minutes" in text
    assert "-1 day " in text  # the slip of M1, in days
    # "leads by 0 (r=0.98)" said nothing about what the 0 counts
    assert "leads by 0 weeks (correlation of changes r = 0.98)" in text


@pytest.mark.parametrize("terminal", [False, True])
def test_a_table_wraps_instead_of_cutting(terminal: bool) -> None:
    # a pipe (no width) or a narrow terminal: long cells wrap onto more lines, nothing ends in '…'
    text = _printed(_result(_metric()), width=80, terminal=terminal)
    assert "…" not in text
    assert "412.5" in text and "minutes" in text and "78% (80%)" in text


def test_a_forecast_is_never_a_date_before_the_report() -> None:
    past = _metric(forecast_date="2026-02-01", status="at_risk")
    reached = _metric(metric="b", name="Reached", status="achieved", forecast_date="2026-01-10")
    none = _metric(metric="c", name="Drifting", status="off_track", forecast_date=None)
    text = _printed(_result(past, reached, none), width=200)
    assert "2026-02-01" not in text and "2026-01-10" not in text
    assert "reached" in text and text.count("not on course") == 2
