"""The client report HTML: nothing a client must not read, nothing fetched from the network, small files."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import nbformat
import pytest
from hazards import CANARIES, LEAKS, USER_URL

from csnb.render import exporter as render
from csnb.render import sanitize
from csnb.render.exporter import RenderError, render_notebook, write_html


@pytest.fixture(scope="session")
def interactive_html(executed) -> str:
    return render_notebook(executed, title="Acme — weekly report", branding={"provider": "Provider & Co"})


@pytest.fixture(scope="session")
def static_html(executed) -> str:
    return render_notebook(executed, title="Acme — weekly report", static=True)


def without_scripts(html: str) -> str:
    """The page minus the inlined Vega bundle and chart JSON (the browser test shows they fetch nothing)."""
    return re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["interactive", "static"])
def test_report_hides_code_parameters_stderr_warnings_and_tracebacks(mode, interactive_html, static_html):
    html = interactive_html if mode == "interactive" else static_html
    for canary in CANARIES.values():
        assert canary not in html
    assert "Traceback" not in html and "ValueError" not in html and "UserWarning" not in html
    assert "display_chart(" not in html and "In&nbsp;[" not in html and "Out[" not in html
    assert "visible stdout" in html  # outputs other than stderr stay


@pytest.mark.slow
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


@pytest.mark.slow
def test_interactive_report_inlines_the_bundle_once_with_one_container_per_chart(interactive_html):
    assert interactive_html.count("vegaEmbed(") == 1
    ids = re.findall(
        r'class="[^"]*csnb-chart[^"]*"[^>]*id="(csnb-chart-\d+)"|id="(csnb-chart-\d+)"', interactive_html
    )
    found = {a or b for a, b in ids}
    assert found == {"csnb-chart-1", "csnb-chart-2", "csnb-chart-3"}
    assert len(re.findall(r"<script[^>]*data-csnb-chart=", interactive_html)) == 3
    assert len(interactive_html.encode()) < 1_500_000


@pytest.mark.slow
def test_static_report_has_svg_charts_and_no_javascript(static_html):
    assert "<script" not in static_html.lower()
    assert static_html.count("<svg") >= 3
    assert " on" + "error=" not in static_html.lower().replace("onerror=alert(1)&gt;", "")
    assert len(static_html.encode()) < 600_000


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.parametrize(
    "branding", [{"accent": "red;} body{display:none"}, {"logo": "logo.exe"}, {"colour": "x"}]
)
def test_bad_branding_is_refused(executed, branding):
    with pytest.raises(RenderError):
        render_notebook(executed, title="x", static=True, branding=branding)


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


def test_table_cells_carry_their_column_heading_for_phone_cards():
    html = (
        "<table><thead><tr><th>Milestone</th><th colspan='2'>Dates</th><th>Owner</th></tr></thead><tbody>"
        "<tr><td>Go live</td><td>1 Sep 2026</td><td>3 Sep 2026</td><td>Dana Ortiz</td></tr>"
        "<tr><td data-label='Step'>Pilot</td><td colspan='2'>—</td><td>"
        "<table><tr><td>inner</td></tr></table></td></tr></tbody></table>"
    )
    cells = re.findall(r'<td(?: colspan="2")? data-label="([^"]*)"[^>]*>([^<]*)', sanitize.label_cells(html))
    assert cells == [
        ("Milestone", "Go live"),
        ("Dates", "1 Sep 2026"),
        ("Dates", "3 Sep 2026"),
        ("Owner", "Dana Ortiz"),
        ("Step", "Pilot"),  # a label the section chose stays
        ("Dates", "—"),
        ("Owner", ""),
    ]
    assert "<td>inner</td>" in sanitize.label_cells(html)  # a table without a header row is left alone


def test_cell_labels_survive_the_sanitizer_and_are_escaped():
    table = "<table><thead><tr><th>{}</th></tr></thead><tr><td>1</td></tr></table>"
    cleaned = sanitize.clean_html(sanitize.label_cells(table.format("Cost &amp; risk &lt;b&gt;")))
    assert '<td data-label="Cost &amp; risk &lt;b&gt;">1</td>' in cleaned  # shown as the heading reads
    hostile = sanitize.clean_html(sanitize.label_cells(table.format('"><script>alert(1)</script>')))
    assert "<script" not in hostile and "alert(1)" not in hostile


@pytest.mark.slow
def test_static_report_draws_fluid_charts_for_a_desktop_and_a_phone(tmp_path):
    from test_charts import metric_row, weekly_series

    from csnb.report import charts

    spec = charts.metric_chart(metric_row(), weekly_series()).to_dict()
    out = nbformat.v4.new_output(
        "display_data", data={charts.vegalite_mimetype(): spec, "text/plain": "users"}
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[out])])
    html = render_notebook(nb, title="t", static=True)
    wide, narrow = re.findall(r'<div class="csnb-(?:wide|narrow)"><svg[^>]*\bwidth="(\d+)"', html)
    assert (int(wide), int(narrow)) == (render.STATIC_WIDTHS["wide"], render.STATIC_WIDTHS["narrow"])
    assert "@media (max-width: 640px)" in html and ".csnb-chart .csnb-narrow { display: block; }" in html
    interactive = render_notebook(nb, title="t")
    assert '"width": "container"' in interactive and 'csnb-narrow"><svg' not in interactive
