""" "Today" is the date in the plan's time zone (else csnb.toml's), never UTC by accident.

The newcomer of issue 18 worked past midnight UTC on 29 November in Los Angeles: reports split into
2026-11-29/ and 2026-11-30/ although the plan's calendar still said the 29th.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from builders import write_project
from typer.testing import CliRunner

from csnb.plan import load_plan
from csnb.project import clock
from csnb.project.config import load_config

AFTER_MIDNIGHT_UTC = dt.datetime(2026, 11, 30, 0, 30, tzinfo=dt.UTC)  # 16:30 on the 29th in Los Angeles

PLAN = textwrap.dedent("""\
    client: {{id: {client}, name: West Coast Co{zone}}}
    people:
      - {{id: dana, name: Dana Ortiz, side: provider, role: CSM}}
    sources:
      sheet: {{kind: csv, path: ../data.csv}}
    metrics:
      - {{id: calls, name: Calls, kind: lag, unit: calls, source: sheet,
         baseline: {{value: 1, date: 2026-09-01}}, target: {{value: 9, date: 2026-12-01}}}}
    """)


def _project(tmp_path: Path, zone: str | None, timezone: str | None = None, as_of: str | None = None) -> Path:
    text = PLAN.format(client="west", zone=f", timezone: {zone}" if zone else "")
    return write_project(
        tmp_path,
        {"west": text},
        timezone=timezone,
        as_of=as_of,
        files={"data.csv": "client,metric,date,value\n"},
    )


def test_the_plans_time_zone_decides_the_date(tmp_path: Path) -> None:
    root = _project(tmp_path, "America/Los_Angeles")
    plan = load_plan(root / "parameters" / "west.yaml")
    assert clock.today(load_config(root), plan, AFTER_MIDNIGHT_UTC) == dt.date(2026, 11, 29)


def test_a_plan_without_a_time_zone_uses_the_projects(tmp_path: Path) -> None:
    root = _project(tmp_path, None, timezone="Asia/Tokyo")
    plan = load_plan(root / "parameters" / "west.yaml")
    assert clock.today(load_config(root), plan, dt.datetime(2026, 11, 29, 16, 0, tzinfo=dt.UTC)) == dt.date(
        2026, 11, 30
    )  # 01:00 on the 30th in Tokyo


def test_a_pinned_date_wins(tmp_path: Path) -> None:
    root = _project(tmp_path, "America/Los_Angeles", as_of="2026-10-15")
    plan = load_plan(root / "parameters" / "west.yaml")
    assert clock.today(load_config(root), plan, AFTER_MIDNIGHT_UTC) == dt.date(2026, 10, 15)


def test_csnb_status_reads_the_date_on_the_clients_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csnb.cli import app

    root = _project(tmp_path, "America/Los_Angeles")
    monkeypatch.chdir(root)
    monkeypatch.setattr(
        clock, "now_in", lambda zone, moment=None: AFTER_MIDNIGHT_UTC.astimezone(ZoneInfo(zone))
    )
    result = CliRunner().invoke(app, ["status", "west", "--json"])
    assert json.loads(result.stdout)["as_of"] == "2026-11-29", result.output
