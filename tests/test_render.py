"""The client report HTML: nothing a client must not read, nothing fetched from the network, small files."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from csnb.render import exporter as render
from csnb.render.exporter import RenderError, render_notebook, write_html

pytestmark = pytest.mark.slow

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


@pytest.fixture(scope="session")
def executed() -> nbformat.NotebookNode:
    """The report notebook, executed once for every test that renders it."""
    return execute(report_notebook())


@pytest.fixture(scope="session")
def interactive_html(executed) -> str:
    return render_notebook(executed, title="Acme — weekly report", branding={"provider": "Provider & Co"})


@pytest.fixture(scope="session")
def static_html(executed) -> str:
    return render_notebook(executed, title="Acme — weekly report", static=True)


def without_scripts(html: str) -> str:
    """The page minus the inlined Vega bundle and chart JSON (the browser test shows they fetch nothing)."""
    return re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)


@pytest.mark.parametrize("mode", ["interactive", "static"])
def test_report_hides_code_parameters_stderr_warnings_and_tracebacks(mode, interactive_html, static_html):
    html = interactive_html if mode == "interactive" else static_html
    for canary in CANARIES.values():
        assert canary not in html
    assert "Traceback" not in html and "ValueError" not in html and "UserWarning" not in html
    assert "display_chart(" not in html and "In&nbsp;[" not in html and "Out[" not in html
    assert "visible stdout" in html  # outputs other than stderr stay


@pytest.mark.parametrize("mode", ["interactive", "static"])
def test_report_loads_nothing_from_the_network(mode, interactive_html, static_html):
    html = interactive_html if mode == "interactive" else static_html
    assert not re.search(r"<script[^>]+src", html, re.I)
    assert not re.search(r"<link[^>]+href", html, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html, re.I)
    assert not re.search(r"src\s*=\s*['\"]?(https?:)?//", html, re.I)
    assert "tracker.invalid" not in html
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", without_scripts(html)))
    assert urls <= {USER_URL, USER_URL + "."}  # only what the user wrote, as a link


def test_interactive_report_inlines_the_bundle_once_with_one_container_per_chart(interactive_html):
    assert interactive_html.count("vegaEmbed(") == 1
    ids = re.findall(
        r'class="[^"]*csnb-chart[^"]*"[^>]*id="(csnb-chart-\d+)"|id="(csnb-chart-\d+)"', interactive_html
    )
    found = {a or b for a, b in ids}
    assert found == {"csnb-chart-1", "csnb-chart-2", "csnb-chart-3"}
    assert len(re.findall(r"<script[^>]*data-csnb-chart=", interactive_html)) == 3
    assert len(interactive_html.encode()) < 1_500_000


def test_static_report_has_svg_charts_and_no_javascript(static_html):
    assert "<script" not in static_html.lower()
    assert static_html.count("<svg") >= 3
    assert " on" + "error=" not in static_html.lower().replace("onerror=alert(1)&gt;", "")
    assert len(static_html.encode()) < 600_000


@pytest.mark.parametrize("mode", ["interactive", "static"])
def test_user_strings_are_escaped(mode, interactive_html, static_html):
    html = interactive_html if mode == "interactive" else static_html
    visible = without_scripts(html)
    assert "<script>alert(1)</script>" not in visible
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in visible  # the DataFrame cell, as text
    assert "<img src=x" not in visible and '<img src="x"' not in visible
    assert "alert(2)" not in html and "alert(3)" not in html  # script and handler dropped, not escaped
    assert "<p>kept</p>" in html and "<strong>bold</strong>" in html
    assert LEAKS[2] in html
    assert "&lt;script&gt;" in re.sub(r"<svg.*?</svg>", "", html, flags=re.S) or mode == "static"


def test_title_and_branding(executed, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    html = render_notebook(
        executed,
        title="<Acme> report",
        static=True,
        branding={"provider": "Provider <b>", "accent": "#D55E00", "logo": logo},
    )
    assert "<title>&lt;Acme&gt; report</title>" in html
    assert "Provider &lt;b&gt;" in html and "--csnb-accent: #D55E00" in html
    assert 'src="data:image/png;base64,' in html


@pytest.mark.parametrize(
    "branding", [{"accent": "red;} body{display:none"}, {"logo": "logo.exe"}, {"colour": "x"}]
)
def test_bad_branding_is_refused(executed, branding):
    with pytest.raises(RenderError):
        render_notebook(executed, title="x", static=True, branding=branding)


def test_write_html_is_atomic(executed, tmp_path, monkeypatch):
    nb_path = tmp_path / "acme.ipynb"
    nbformat.write(executed, nb_path)
    out = write_html(nb_path, tmp_path / "out" / "acme.html", static=True)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    before = out.read_bytes()

    def fail(*args, **kwargs):
        raise RenderError("boom")

    monkeypatch.setattr(render, "render_notebook", fail)
    with pytest.raises(RenderError):
        write_html(nb_path, out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["acme.html"]


def test_nbconvert_command_line_knows_the_exporter(executed, tmp_path):
    nb_path = tmp_path / "acme.ipynb"
    nbformat.write(executed, nb_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbconvert",
            "--to",
            "csnb-report",
            "--ReportExporter.static=True",
            str(nb_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "acme.html").read_text(encoding="utf-8")
    assert "csnb-header" in html and "<script" not in html and CANARIES["parameters"] not in html


def test_the_render_process_never_loads_vl_convert(tmp_path):
    # vl-convert may hang in a child forked after the parent used it: the parent must never import it.
    code = (
        "import sys, nbformat\nfrom csnb.render import exporter as render\n"
        "render.vega_bundle()\n"
        "out = nbformat.v4.new_output('display_data', "
        "data={'application/vnd.vegalite.v6+json': {'mark': 'point'}, 'text/plain': 'c'})\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x', outputs=[out])])\n"
        "html = render.render_notebook(nb, title='t', static=True)\n"
        "assert '<svg' in html\nprint('vl_convert' in sys.modules)"
    )
    env = {**os.environ, "CSNB_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    bundles = list((tmp_path / "cache").glob("vl-convert-*.js"))
    assert len(bundles) == 1 and bundles[0].stat().st_size > 500_000


def test_vega_bundle_cannot_close_its_script_element():
    bundle = render.vega_bundle()
    assert "</script" not in bundle.lower() and "<!--" not in bundle


def test_chart_json_cannot_close_its_script_element():
    text = render.script_json({"title": "</script><script>alert(1)</script>", "a": "&"})
    assert "<" not in text and ">" not in text and "&" not in text
