"""A data source that fails makes no report and no e-mail: the run fails, naming the source and metric.

Two clients in one project: ``kestrel`` reads a CSV file; ``osprey`` reads a PostgreSQL server on port 1 of
127.0.0.1, where nothing listens (connection refused), with a password from the environment that must
never be printed. Both plans e-mail their operator report every Monday.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import nbformat
import pytest
from builders import metric, plan_in, project_store, write_project
from commands import run_csnb
from nbformat.v4 import new_code_cell, new_notebook, new_output

from csnb.delivery.message import require_banner
from csnb.delivery.smtp import DeliveryError
from csnb.indicators.assess import assess
from csnb.report.sections import BANNER_CLASS, BANNER_META

AS_OF = "2026-01-08"
PASSWORD = "Pg-s3cret-7731"
ENV = {"CSNB_TEST_BAD_PASSWORD": PASSWORD}
UNREACHABLE = "postgresql+psycopg://csnb:${CSNB_TEST_BAD_PASSWORD}@127.0.0.1:1/test"


def plan_yaml(client: str, source: str, extra: str = "") -> str:
    return textwrap.dedent(f"""\
        client: {{id: {client}, name: {client.title()} Co}}
        people:
          - {{id: dana, name: Dana Ortiz, side: provider, role: CSM, email: dana@provider.example}}
          - {{id: ops, name: Ops Lead, side: client, role: Operations, email: ops@{client}.example}}
        sources: {{{source}}}
        metrics:
          - {{id: calls, name: Calls per agent, kind: lag, source: data, query: "SELECT 1", frequency: day,
              baseline: {{value: 0, date: 2026-01-01}}, target: {{value: 100, date: 2026-01-11}}}}
        cadence:
          - {{ritual: weekly-update, rrule: "FREQ=WEEKLY;BYDAY=MO", audience: operator, channel: email,
              recipients: [ops, dana], start: 2026-01-05}}
        {extra}
        """)


GOOD = plan_yaml("kestrel", "data: {kind: csv, path: metrics.csv}")
BAD = plan_yaml("osprey", f'data: {{kind: sql, url: "{UNREACHABLE}", timeout: 3}}')
CSV = "client,metric,date,value\nkestrel,calls,2026-01-07,60\n"


def project(root: Path, osprey: str = BAD) -> Path:
    return write_project(
        root, {"kestrel": GOOD, "osprey": osprey}, as_of=AS_OF, files={"parameters/metrics.csv": CSV}
    )


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The project after `csnb run --all`."""
    root = project(tmp_path_factory.mktemp("fail-closed"))
    return root, run_csnb("run", "--all", cwd=root, env=ENV)


@pytest.mark.slow
def test_status_exits_1_naming_the_failed_source_and_metric(tmp_path: Path) -> None:
    root = project(tmp_path)
    done = run_csnb("status", "osprey", cwd=root, env=ENV)
    assert done.returncode == 1, done.stderr
    assert "data problem: client osprey, source data failed for metric calls" in done.stderr
    assert "127.0.0.1:1" in done.stderr and "Connection refused" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    as_json = run_csnb("status", "osprey", "--json", cwd=root, env=ENV)
    assert as_json.returncode == 1
    [client] = json.loads(as_json.stdout)["clients"]
    [metric] = client["metrics"]
    assert (metric["status"], metric["current_date"], metric["forecast_date"]) == ("error", None, None)
    assert client["health"] == {
        "score": None,
        "band": "unknown",
        "capped_by": [],
        "missing": ["calls"],
        "missing_reasons": {"calls": "error"},
    }
    assert client["failed_sources"][0]["source"] == "data"
    assert run_csnb("status", "kestrel", cwd=root).returncode == 0


@pytest.mark.slow
def test_a_batch_writes_the_healthy_report_only_and_exits_1(batch) -> None:
    root, done = batch
    assert done.returncode == 1, done.stdout + done.stderr
    reports = sorted(p.relative_to(root / "reports").as_posix() for p in (root / "reports").rglob("*.html"))
    assert reports == ["index.html", "kestrel/2026-01-08/operator.html"]  # one report, not two
    assert "client osprey" in done.stderr and "source data failed for metric calls" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    runs = {r["client"]: r for r in project_store(root).runs()}
    assert (runs["kestrel"]["status"], runs["osprey"]["status"]) == ("ok", "failed")
    assert "source data failed for metric calls" in runs["osprey"]["error"]


@pytest.mark.slow
def test_send_sends_nothing_for_the_failed_client(batch) -> None:
    root, _ = batch
    refused = run_csnb("send", "osprey", "--dry-run", cwd=root, env=ENV)
    assert refused.returncode == 1
    assert "no report" in refused.stderr
    assert not list((root / "reports" / "osprey").rglob("*.eml"))
    sent = run_csnb("send", "kestrel", "--dry-run", cwd=root)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert [p.name for p in (root / "reports" / "kestrel").rglob("*.eml")] == ["weekly-update.eml"]


@pytest.mark.slow
def test_a_plan_that_opts_in_gets_a_report_with_a_banner_naming_the_source(tmp_path: Path) -> None:
    root = project(tmp_path, osprey=BAD.replace("cadence:", "on_source_error: report\ncadence:"))
    done = run_csnb("run", "osprey", cwd=root, env=ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    html = (root / "reports" / "osprey" / AS_OF / "operator.html").read_text(encoding="utf-8")
    assert BANNER_CLASS in html
    assert (
        "Data missing: source “data” could not be read on 8 Jan 2026, so Calls per agent is not shown" in html
    )
    assert PASSWORD not in html and "127.0.0.1" not in html  # the client sees the source, not its address
    sent = run_csnb("send", "osprey", "--dry-run", cwd=root, env=ENV)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    eml = (root / "reports" / "osprey" / AS_OF / "weekly-update.eml").read_text(encoding="utf-8")
    assert BANNER_CLASS in eml


def test_a_report_without_its_banner_is_not_sent(tmp_path: Path) -> None:
    # a report made without source "data" marks its header; a body that lost the banner is refused
    header = new_output(
        "display_data", data={"text/html": "<h1>Osprey Co</h1>"}, metadata={BANNER_META: ["data"]}
    )
    notebook = tmp_path / "operator.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("report.show('header')", outputs=[header])]), notebook)
    with pytest.raises(DeliveryError, match="made without source data but its banner is missing"):
        require_banner("osprey", notebook, "<h1>Osprey Co</h1>", f"<div class='{BANNER_CLASS}'>…</div>")
    require_banner("osprey", notebook, f"<div class='{BANNER_CLASS}'>", f"<div class='{BANNER_CLASS}'>")


@pytest.mark.services
def test_a_query_the_server_rejects_is_an_error_not_no_data(pg_url: str) -> None:
    # a real PostgreSQL server refuses the query: the metric is `error`, named with its source
    calls = metric("calls", name="Calls", source="db", query="SELECT no_such_column FROM no_such_table")
    p = plan_in(Path(__file__).parent, {"db": {"kind": "sql", "url": pg_url}}, [calls])
    snap = assess(p, "2026-01-08").snapshot
    row = snap.metrics.iloc[0]
    assert row["status"] == "error"
    assert "metric calls, source db" in row["error"] and "no_such_table" in row["error"]
    assert snap.health.missing == ("calls",)
