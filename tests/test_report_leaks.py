"""What must never reach a client: markup from user strings, secrets, and other clients' data.

Each test builds a small project (csnb.toml, the report notebook, plans, a CSV file), runs
``csnb run CLIENT`` in it on the command line, and reads the HTML and the executed notebook.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path

import pytest
from browser import CHROMIUM_ARGS, chromium_or_skip, open_report
from bs4 import BeautifulSoup
from builders import project_store, write_project
from commands import run_csnb
from pages import assert_no_code_or_parameters, visible_text

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

AS_OF = "2026-03-31"
START = dt.date(2026, 1, 5)  # a Monday; the data covers 12 weeks from here
TRAINED_PER_WEEK = (10, 25, 15, 30, 20, 35, 25, 20, 15, 10, 10, 5)
HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "markdown": "**bold** [link](http://evil.example)",
    "unicode": "مرحبا بالعالم שלום עולם 🚀🎉 你好世界 日本語",
}
ALL_HOSTILE = " ".join(HOSTILE.values())
# The plan fields a user types that the operator report shows, each labelled so it can be found again.
LABELS = (
    "Client",
    "Person",
    "Goal",
    "Lead metric",
    "Metric",
    "Milestone",
    "Check",
    "Risk",
    "Contingency",
    "Change",
    "Scope",
    "Decision",
    "Rationale",
    "Term",
    "Definition",
)


def plain(label: str) -> str:
    return label


def hostile(label: str) -> str:
    return f"{label} {ALL_HOSTILE}"


def make_plan(client: str, source: dict, say=plain, name: str | None = None) -> dict:
    """A full plan: two metrics from ``source``, two milestones, a triggered risk, a change, a glossary."""
    d = dt.date
    return {
        "client": {"id": client, "name": name or say("Client"), "timezone": "UTC"},
        "people": [
            {"id": "alex", "name": say("Person"), "side": "provider", "role": "Customer Success Manager"},
            {"id": "jamie", "name": "Jamie Fox", "side": "client", "role": "Head of Operations"},
        ],
        "goals": [
            {
                "id": "adoption",
                "statement": say("Goal"),
                "metrics": ["weekly_active_users"],
                "why": say("Why"),
            }
        ],
        "sources": {"data": source},
        "metrics": [
            {
                "id": "users_trained",
                "name": say("Lead metric"),
                "kind": "lead",
                "leads": ["weekly_active_users"],
                "unit": "users",
                "source": "data",
                "aggregate": "last",
                "frequency": "week",
                "query": "SELECT date, value FROM observations WHERE client = :client AND metric = :metric",
                "baseline": {"value": 0, "date": d(2026, 1, 5)},
                "target": {"value": 220, "date": d(2026, 3, 2)},
                "owner": "alex",
            },
            {
                "id": "weekly_active_users",
                "name": say("Metric"),
                "kind": "lag",
                "unit": "users",
                "source": "data",
                "aggregate": "mean",
                "frequency": "week",
                "query": "SELECT date, value FROM observations WHERE client = :client AND metric = :metric",
                "baseline": {"value": 20, "date": d(2026, 1, 5)},
                "target": {"value": 200, "date": d(2026, 4, 5)},
                "owner": "jamie",
            },
        ],
        "milestones": [
            {
                "id": "M1",
                "title": say("Milestone"),
                "stage": "onboarding",
                "owner": "alex",
                "start": d(2026, 1, 5),
                "due": d(2026, 1, 16),
                "criteria": [{"check": say("Check"), "done": True, "done_on": d(2026, 1, 14)}],
                "raci": {"responsible": ["alex"], "accountable": ["jamie"]},
            },
            {
                "id": "M2",
                "title": "First 100 users trained",
                "stage": "adoption",
                "owner": "alex",
                "start": d(2026, 1, 19),
                "due": d(2026, 2, 13),
                "depends_on": ["M1"],
                "criteria": [{"metric": "users_trained", "op": ">=", "value": 100}],
                "raci": {"responsible": ["alex"], "informed": ["jamie"]},
            },
        ],
        "risks": [
            {
                "id": "R1",
                "description": say("Risk"),
                "owner": "alex",
                "likelihood": "medium",
                "impact": "high",
                "trigger": {
                    "metric": "weekly_active_users",
                    "op": "<",
                    "value": 1000,
                    "after": d(2026, 3, 1),
                },
                "contingency": say("Contingency"),
            }
        ],
        "cadence": [{"ritual": "weekly-update", "rrule": "FREQ=WEEKLY;BYDAY=MO", "audience": "operator"}],
        "changes": [
            {
                "id": "C1",
                "requested_on": d(2026, 2, 1),
                "by": "jamie",
                "description": say("Change"),
                "impact": {"days": 5, "scope": say("Scope")},
                "status": "approved",
                "decided_on": d(2026, 2, 3),
            }
        ],
        "decisions": [{"on": d(2026, 2, 3), "decision": say("Decision"), "rationale": say("Rationale")}],
        "glossary": {say("Term"): say("Definition")},
    }


def observations(client: str, metrics: dict[str, object] | None = None) -> list[tuple[str, str, str, float]]:
    """12 weeks of daily (client, metric, date, value) rows; ``metrics`` overrides a metric's values.

    Training comes in uneven weekly waves and active use follows it a week later, so the lead check
    has something to correlate.
    """
    trained = [sum(TRAINED_PER_WEEK[: week + 1]) for week in range(12)]
    rows = []
    for day in range(84):
        date, week = (START + dt.timedelta(days=day)).isoformat(), day // 7
        active = 20.0 + 0.8 * (trained[week - 1] if week else 0) + day % 3
        values = {"users_trained": trained[week], "weekly_active_users": active, **(metrics or {})}
        rows += [(client, metric, date, float(value)) for metric, value in values.items()]
    return rows


def csv_text(rows: list[tuple[str, str, str, float]]) -> str:
    return "client,metric,date,value\n" + "".join(f"{c},{m},{d},{v}\n" for c, m, d, v in rows)


def make_project(root: Path, plans: dict[str, dict], files: dict[str, str] | None = None) -> Path:
    """A project folder: csnb.toml pinned to AS_OF, the report notebook, plans and data files."""
    return write_project(root, plans, as_of=AS_OF, timezone="UTC", files=files, report_notebook=True)


def run_report(
    root: Path, client: str, *args: str, env: dict[str, str] | None = None, audience: str = "operator"
) -> Path:
    """``csnb run CLIENT`` inside ``root``; the HTML it wrote."""
    done = run_csnb("run", client, "--audience", audience, *args, cwd=root, env=env, timeout=600)
    assert done.returncode == 0, f"csnb run {client} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    out = Path(args[args.index("--out") + 1]) if "--out" in args else root / "reports"
    return out / client / AS_OF / f"{audience}.html"


def notebook_outputs(html_path: Path) -> str:
    """Every output of the executed notebook kept next to the report, as one text."""
    nb = json.loads(html_path.with_suffix(".ipynb").read_text(encoding="utf-8"))
    return json.dumps([cell.get("outputs", []) for cell in nb["cells"]], ensure_ascii=False)


def rendered_dom(html_path: Path) -> tuple[str, list[str]]:
    """The DOM chromium built from the report (after its scripts ran), and any dialog it opened."""
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
                ),
            )
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(1500)  # vega draws its charts after load
            return page.content(), dialogs
        finally:
            browser.close()


def injected_elements(html: str) -> list[str]:
    """Elements that a user string would have created had it not been escaped."""
    soup = BeautifulSoup(html, "html.parser")
    scripts = soup.find_all("script")
    # Chart specs travel in <script type="application/json"> blocks: data, never run, with "<" escaped.
    data = [s for s in scripts if s.get("type") == "application/json"]
    found = [str(s)[:80] for s in scripts if s not in data and "alert(1)" in s.get_text()]
    found += [str(s)[:80] for s in data if re.search(r"<(script|/script|img)", s.get_text(), re.IGNORECASE)]
    found += [str(t)[:80] for t in soup.find_all(True) if any(a.lower().startswith("on") for a in t.attrs)]
    found += [str(i)[:80] for i in soup.find_all("img") if i.get("src") == "x"]
    found += [str(a)[:80] for a in soup.find_all(href=re.compile("evil.example"))]
    found += [str(b)[:80] for b in soup.find_all(["strong", "b"]) if b.get_text() == "bold"]
    return found


# -- user strings -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    plan = make_plan("hostile", {"kind": "csv", "path": "../data/metrics.csv"}, say=hostile)
    return make_project(root, {"hostile": plan}, {"data/metrics.csv": csv_text(observations("hostile"))})


@pytest.mark.browser
@pytest.mark.parametrize("static", [False, True], ids=["interactive", "static"])
def test_user_strings_render_as_text_and_execute_nothing(hostile_project, static, tmp_path):
    chromium_or_skip()
    args = ("--static", "--out", str(tmp_path / "static")) if static else ()
    html_path = run_report(hostile_project, "hostile", *args)
    html = html_path.read_text(encoding="utf-8")
    assert_no_code_or_parameters(html, hostile_project)
    if static:
        assert "<script" not in html.lower()
    assert injected_elements(html) == []
    text = visible_text(html)
    missing = [label for label in LABELS if hostile(label) not in text]
    assert missing == [], f"not shown as typed: {missing}"

    page = open_report(html_path, screenshot=tmp_path / "hostile.png")
    assert page.dialogs == [] and page.requests == []
    assert page.console_errors == [] and page.page_errors == []
    assert page.all_charts_drawn, page.charts
    for value in HOSTILE.values():
        assert value in page.text
    dom, dialogs = rendered_dom(html_path)
    assert dialogs == [] and injected_elements(dom) == []


# -- secrets ----------------------------------------------------------------------------------------------

CANARY_DIR = "canary-dir-3f9a1c"
CANARY_TOKEN = "canary-token-b81e55d0"
CANARY_USER, CANARY_PASSWORD, CANARY_DB = "canary_user_9d2e", "canary-pw-71c0aa", "canary_db_5e8b"
# Warehouse URLs (from the environment) that fail: each failure is reported, none says where it points.
BROKEN_WAREHOUSES = {
    "missing-sqlite-file": lambda secret_dir: f"sqlite:///{secret_dir / 'missing.db'}",
    "server-refusing": lambda _: (
        f"postgresql+psycopg://{CANARY_USER}:{CANARY_PASSWORD}@127.0.0.1:1/{CANARY_DB}"
    ),
}


def sqlite_warehouse(path: Path, rows: list[tuple[str, str, str, float]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE observations (client TEXT, metric TEXT, date TEXT, value REAL)")
        db.executemany("INSERT INTO observations VALUES (?, ?, ?, ?)", rows)
    db.close()


def assert_no_canary(html_path: Path, *canaries: str) -> None:
    html, outputs = html_path.read_text(encoding="utf-8"), notebook_outputs(html_path)
    for canary in canaries:
        assert canary not in html, f"{canary!r} in the report HTML"
        assert canary not in outputs, f"{canary!r} in the executed notebook's outputs"


def canary_folder(root: Path) -> Path:
    """The folder the environment points at: inside the project (file sources may not leave it)."""
    secret_dir = root / "data" / CANARY_DIR
    secret_dir.mkdir(parents=True)
    (secret_dir / "data.csv").write_text(csv_text(observations("acme")), encoding="utf-8")
    return secret_dir


def test_secrets_in_environment_never_reach_the_report(tmp_path):
    plan = make_plan("acme", {"kind": "csv", "path": "${CANARY_DIR}/data.csv"}, name="Acme Logistics")
    plan["sources"]["warehouse"] = {"kind": "sql", "url": "${CSNB_WAREHOUSE_URL}"}
    plan["metrics"][1]["source"] = "warehouse"  # one metric from each source
    root = make_project(tmp_path / "project", {"acme": plan})
    secret_dir = canary_folder(root)
    sqlite_warehouse(secret_dir / "warehouse.db", observations("acme"))
    env = {
        "CANARY_DIR": str(secret_dir),
        "CSNB_WAREHOUSE_URL": f"sqlite:///{secret_dir / 'warehouse.db'}",
        "CSNB_SECRET_TOKEN": CANARY_TOKEN,
    }
    html_path = run_report(root, "acme", env=env)
    html = html_path.read_text(encoding="utf-8")
    assert "Data problems" not in html  # both sources were read...
    assert "at or above 100 users" in visible_text(html)  # the criterion, as a sentence
    assert_no_canary(html_path, CANARY_DIR, CANARY_TOKEN, str(secret_dir))  # ...and neither says from where
    assert_no_code_or_parameters(html, root)


@pytest.mark.parametrize("warehouse", BROKEN_WAREHOUSES)
def test_broken_source_says_what_failed_without_its_secret(tmp_path, warehouse):
    plan = make_plan("acme", {"kind": "csv", "path": "${CANARY_DIR}/data.csv"}, name="Acme Logistics")
    plan["sources"]["warehouse"] = {"kind": "sql", "url": "${CSNB_WAREHOUSE_URL}"}
    # a third metric, read from a warehouse that is not there (the other two come from the CSV file)
    plan["metrics"].append({**plan["metrics"][1], "id": "tickets_closed", "name": "Tickets closed"})
    plan["metrics"][2]["source"] = "warehouse"
    root = make_project(tmp_path / "project", {"acme": plan})
    secret_dir = canary_folder(root)
    env = {
        "CANARY_DIR": str(secret_dir),
        "CSNB_WAREHOUSE_URL": BROKEN_WAREHOUSES[warehouse](secret_dir),
        "CSNB_SECRET_TOKEN": CANARY_TOKEN,
    }
    # By default the run fails closed: no report, and a failed run whose error names the source and
    # metric for the team (its address may be there, to fix it: the password never is).
    done = run_csnb("run", "acme", "--audience", "operator", cwd=root, env=env, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert not list((root / "reports" / "acme").rglob("*.html"))  # the portfolio page shows the failure
    [failed] = [r for r in project_store(root).runs() if r["client"] == "acme"]
    assert failed["status"] == "failed"
    for message in (done.stderr, failed["error"]):
        assert "source warehouse failed for metric tickets_closed" in message
        assert "source data failed" not in message  # the CSV inside the project was read
        assert CANARY_PASSWORD not in message and CANARY_TOKEN not in message
    assert CANARY_PASSWORD not in done.stdout
    # A plan that opts in gets its report, with a banner naming the missing source and numbers
    plan["on_source_error"] = "report"
    root = make_project(tmp_path / "opted-in", {"acme": plan})
    secret_dir = canary_folder(root)
    env["CANARY_DIR"] = str(secret_dir)
    env["CSNB_WAREHOUSE_URL"] = BROKEN_WAREHOUSES[warehouse](secret_dir)
    html_path = run_report(root, "acme", env=env)
    text = visible_text(html_path.read_text(encoding="utf-8"))
    # the reader learns what failed, not where the secret points
    assert "Data missing: source “warehouse” could not be read on 31 Mar 2026, so Tickets closed is" in text
    assert "Data problems" in text
    assert "Tickets closed: the data could not be loaded from source “Warehouse”" in text
    canaries = (
        CANARY_DIR,
        CANARY_TOKEN,
        str(secret_dir),
        CANARY_USER,
        CANARY_PASSWORD,
        CANARY_DB,
        "127.0.0.1",
    )
    assert_no_canary(html_path, *canaries)


# -- other clients ----------------------------------------------------------------------------------------

BRAVO_VALUE = 987654.321
BRAVO_METRIC = "bravo_canary_metric_q7"
BRAVO_NAMES = ("Bravo Canary Holdings", "Bravo canary metric name")
BRAVO_NUMBERS = ("987654", "987,654", "987 654", "9.87654e")


def test_other_clients_rows_never_reach_a_report(tmp_path):
    # One file and one warehouse hold both clients; bravo's rows of alpha's metrics carry a canary value.
    rows = observations("alpha") + observations(
        "bravo", {"users_trained": BRAVO_VALUE, "weekly_active_users": BRAVO_VALUE, BRAVO_METRIC: BRAVO_VALUE}
    )
    bravo = make_plan("bravo", {"kind": "csv", "path": "../data/shared.csv"}, name=BRAVO_NAMES[0])
    bravo["metrics"].append({**bravo["metrics"][1], "id": BRAVO_METRIC, "name": BRAVO_NAMES[1]})
    bravo["metrics"][0].update(kind="lag", leads=[])  # bravo's series are flat: no lead to test
    alpha = make_plan("alpha", {"kind": "csv", "path": "../data/shared.csv"}, name="Alpha Freight")
    alpha["sources"]["warehouse"] = {"kind": "sql", "url": "sqlite:///../data/shared.db"}
    alpha["metrics"][1]["source"] = "warehouse"
    root = make_project(
        tmp_path / "project", {"alpha": alpha, "bravo": bravo}, {"data/shared.csv": csv_text(rows)}
    )
    sqlite_warehouse(root / "data" / "shared.db", rows)

    bravo_html = run_report(root, "bravo")  # bravo's snapshot is in the shared store before alpha runs
    assert "987,654" in bravo_html.read_text(encoding="utf-8")  # the canary is there to be leaked
    html_path = run_report(root, "alpha")
    html = html_path.read_text(encoding="utf-8")
    assert "Alpha Freight" in html and "first report" in visible_text(html)
    assert_no_canary(html_path, *BRAVO_NUMBERS, BRAVO_METRIC, *BRAVO_NAMES, "bravo")
    assert_no_code_or_parameters(html, root)


# -- a lead that cannot be tested yet ----------------------------------------------------------------------


def test_lead_without_a_testable_correlation_is_reported_not_fatal(tmp_path):
    # Training grows by the same 15 users every week: its period changes never vary, so whether it
    # leads active use cannot be tested yet ("cannot tell", a third answer besides yes and no, with
    # the reason: no variation). The report says so; it must not fail.
    steady = [
        row
        if row[1] != "users_trained"
        else (*row[:3], 15.0 * (1 + (dt.date.fromisoformat(row[2]) - START).days // 7))
        for row in observations("acme")
    ]
    plan = make_plan("acme", {"kind": "csv", "path": "../data/metrics.csv"}, name="Acme Logistics")
    root = make_project(tmp_path / "project", {"acme": plan}, {"data/metrics.csv": csv_text(steady)})
    text = visible_text(run_report(root, "acme").read_text(encoding="utf-8"))
    assert "Cannot tell yet whether it moves Metric: it has not varied yet." in text
