"""A report-like notebook with every hazard a client must never see: parameters, stderr, a warning, an error
and user strings that look like markup; executed once per worker by the ``executed`` fixture."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

USER_URL = "https://example.com/help"
LEAKS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "مرحبا بالعالم 🚀 你好世界"]
CANARIES = {
    "parameters": "CANARY_PARAMETER_VALUE",
    "injected": "CANARY_INJECTED_VALUE",
    "source": "CANARY_SOURCE_CODE",
    "stderr": "CANARY_STDERR",
    "warning": "CANARY_WARNING",
    "traceback": "CANARY_TRACEBACK",
}

CHARTS_CELL = f"""
# {CANARIES["source"]}: code never reaches the report
import datetime as dt
import pandas as pd
from csnb.report import charts, timeline
charts.use_theme()
LEAKS = {LEAKS!r}
D = dt.date
row = pd.Series(dict(metric="logins", name=LEAKS[2], unit="logins", kind="lead", frequency="week",
    aggregate="sum", baseline=100.0, baseline_date=D(2026, 1, 5), target=200.0, target_date=D(2026, 3, 30),
    current=130.0, status="on_track", trend=10.0, forecast_date=D(2026, 3, 2)))
series = pd.DataFrame({{"metric": "logins", "date": pd.date_range("2025-10-01", "2026-02-08", freq="h"),
                       "value": 1.0}})
milestones = pd.DataFrame({{"milestone": ["M1", "M2", "M3"], "title": LEAKS, "owner": "lee",
    "start": [D(2026, 1, 5), D(2026, 1, 20), D(2026, 3, 1)],
    "due": [D(2026, 1, 19), D(2026, 2, 27), D(2026, 4, 30)],
    "status": ["done", "at_risk", "blocked"], "critical": [True, True, False],
    "criteria_met": [2, 1, 0], "criteria_total": [2, 3, 1]}})
leads = pd.DataFrame({{"lead": LEAKS[0], "lag": "renewals", "shift": [0, 1, 2], "r": [0.1, 0.8, 0.3],
                      "best": [False, True, False]}})
charts.display_chart(charts.metric_chart(row, series), "metric chart")
charts.display_chart(timeline.gantt_chart(milestones, D(2026, 2, 16)), "milestones")
charts.display_chart(charts.lead_lag_chart(leads), "leads")
"""


def report_notebook() -> nbformat.NotebookNode:
    """A report-like notebook with every hazard: parameters, stderr, a warning, an error, user strings."""
    return new_notebook(
        cells=[
            new_code_cell(f'client = "{CANARIES["parameters"]}"', metadata={"tags": ["parameters"]}),
            new_code_cell(f'client = "{CANARIES["injected"]}"', metadata={"tags": ["injected-parameters"]}),
            new_markdown_cell(f"## Metrics\n\nThe glossary is at {USER_URL}."),
            new_code_cell(
                "import sys, warnings\nprint('visible stdout')\n"
                f"sys.stderr.write('{CANARIES['stderr']}\\n')\nwarnings.warn('{CANARIES['warning']}')"
            ),
            new_code_cell(CHARTS_CELL),
            new_markdown_cell("## Tables"),
            new_code_cell("import pandas as pd\npd.DataFrame({'who': LEAKS, 'n': [1, 2, 3]})"),
            new_code_cell(
                "from IPython.display import HTML, Markdown, display\n"
                "display(HTML('<p>kept</p><img src=\"http://tracker.invalid/x.png\"><script>alert(2)</script>'))\n"
                "display(Markdown('<img src=x onerror=alert(3)> **bold**'))"
            ),
            new_code_cell(f"raise ValueError('{CANARIES['traceback']}')"),
        ]
    )


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run a notebook in a python3 kernel, keeping going after errors (as papermill keeps the output)."""
    NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True).execute()
    return nb
