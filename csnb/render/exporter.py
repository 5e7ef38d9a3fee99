"""Executed notebook -> one self-contained HTML report that opens offline in any browser.

``ReportExporter`` (``jupyter nbconvert --to csnb-report``) hides code, prompts, parameters cells,
stderr, warnings and tracebacks, loads nothing from the network, and draws Vega-Lite charts with one
inlined copy of the vl-convert JavaScript bundle, or (``static=True``) as inline SVG with no
JavaScript at all, for mail clients (both through ``csnb.render.vega``).
"""

from __future__ import annotations

import base64
import copy
import mimetypes
import os
import re
import threading
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool, List, Unicode, default, validate
from traitlets.config import Config

from csnb.fs import write_atomic
from csnb.render.sanitize import clean_html, label_cells, script_json, strip_css_comments
from csnb.render.vega import RenderError, specs_to_svg, vega_bundle

TEMPLATES = Path(__file__).parent / "templates"
VEGALITE_MIME = re.compile(r"^application/vnd\.vegalite\.v\d+[+.]json$")
# Altair's mimetype renderer says "...v6.json"; the Jupyter spelling is "...v6+json": accept both.
CHART_MIME = "application/vnd.csnb.vegalite+json"
PRIORITY = (
    CHART_MIME,
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/plain",
)
HIDDEN_TAGS = {
    "parameters",
    "injected-parameters",
    "analyst",
}  # analyst: notes for whoever edits the notebook
# Outputs that run code or pull remote assets in the reader's browser never reach a client.
DROPPED_MIMES = {
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
    "text/vnd.mermaid",
    "application/vnd.csnb.summary+json",
    "application/vnd.csnb.onepager+json",  # the e-mail's data: kept in the notebook, never in the page
}
COLOUR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20})$")
# The static edition draws each chart twice: at a desktop width and at a phone's, where its text is
# drawn at full size instead of a wide drawing shrunk to half (CSS shows one of the two).
STATIC_WIDTHS = {"wide": 640, "narrow": 340}


class ReportCleaner(Preprocessor):
    """Removes what a client must never read: parameters cells, stderr, warnings and tracebacks."""

    hidden_tags = List(Unicode(), default_value=sorted(HIDDEN_TAGS)).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Drop hidden cells and unsafe outputs."""
        hidden = set(self.hidden_tags)
        nb.cells = [c for c in nb.cells if not hidden & set(c.get("metadata", {}).get("tags", []))]
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in map(self._clean, cell.outputs) if o is not None]
        return nb, resources

    @staticmethod
    def _clean(output: NotebookNode) -> NotebookNode | None:
        """The output without unsafe parts, or None when nothing is left."""
        if output.output_type == "error":
            return None
        if output.output_type == "stream":
            # Python warnings go to stderr, so this also removes warnings.
            return output if output.get("name") == "stdout" else None
        if "data" in output:
            for mime in DROPPED_MIMES & set(output.data):
                del output.data[mime]
            if not output.data:
                return None
        return output


class TableLabels(Preprocessor):
    """Gives every table cell its column's heading, so a phone shows table rows as labelled cards."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Label the cells of the tables in HTML outputs."""
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                html = output.get("data", {}).get("text/html")
                text = "".join(html) if isinstance(html, list) else html
                if text and "<table" in text:
                    output.data["text/html"] = label_cells(text)
        return nb, resources


def sized(spec: dict, width: int) -> dict:
    """The spec drawn ``width`` pixels wide when it follows its container (which a static SVG has not)."""
    if spec.get("width") != "container":
        return spec
    return {**spec, "width": width}


class ChartPreprocessor(Preprocessor):
    """Gives each Vega-Lite output a unique container id, or converts it to inline SVG."""

    static = Bool(False).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Rewrite every Vega-Lite output into the report's chart output."""
        found: list[tuple[NotebookNode, dict]] = []
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                mime = next((m for m in output.get("data", {}) if VEGALITE_MIME.match(m)), None)
                if mime:
                    spec = dict(output.data[mime])
                    spec.pop("$schema", None)  # a URL, and vega-embed needs no hint for Vega-Lite
                    found.append((output, spec))
        drawings = self._svgs([spec for _, spec in found])
        for number, ((output, spec), svgs) in enumerate(zip(found, drawings, strict=True), start=1):
            label = str(output.data.get("text/plain", "chart"))
            output.data = {CHART_MIME: {"spec": script_json(spec), "label": label, **svgs}}
            output.metadata = {"csnb_chart_id": f"csnb-chart-{number}"}
        resources.setdefault("csnb", {})["charts"] = len(found)
        return nb, resources

    def _svgs(self, specs: list[dict]) -> list[dict[str, str | None]]:
        """Per spec, its SVG at desktop width and (for a chart that follows its container) at phone width."""
        if not self.static:
            return [{"svg": None, "svg_narrow": None} for _ in specs]
        fluid = [spec.get("width") == "container" for spec in specs]
        batch = [sized(s, STATIC_WIDTHS["wide"]) for s in specs]
        batch += [sized(s, STATIC_WIDTHS["narrow"]) for s, f in zip(specs, fluid, strict=True) if f]
        converted = iter(specs_to_svg(batch))
        wide = [next(converted) for _ in specs]
        return [
            {"svg": w, "svg_narrow": next(converted) if f else None} for w, f in zip(wide, fluid, strict=True)
        ]


def _logo_data_uri(logo: str | os.PathLike | None) -> str:
    """The logo file as a data URI (empty when there is no logo)."""
    if not logo:
        return ""
    path = Path(logo)
    mime = mimetypes.guess_type(path.name)[0]
    if mime not in {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"}:
        raise RenderError(f"logo {path.name}: use a PNG, JPEG, GIF, SVG or WebP file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RenderError(f"logo {path}: cannot read it ({exc.strerror})") from exc
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


class ReportExporter(HTMLExporter):
    """HTML export for clients: no code, no network, charts drawn offline, print-friendly."""

    export_from_notebook = "Client report (csnb)"
    exclude_input = Bool(True).tag(config=True)
    exclude_input_prompt = Bool(True).tag(config=True)
    exclude_output_prompt = Bool(True).tag(config=True)
    # Outputs come from notebooks fed with client data; never trust HTML in them.
    sanitize_html = Bool(True).tag(config=True)
    static = Bool(False, help="Charts as inline SVG and no JavaScript (for mail clients).").tag(config=True)
    report_title = Unicode("", help="Report title; defaults to the notebook's title or name.").tag(
        config=True
    )
    provider = Unicode("", help="Name of the provider sending the report.").tag(config=True)
    accent_color = Unicode("#0072B2", help="Accent colour (#hex or a CSS colour name).").tag(config=True)
    logo = Unicode("", help="Logo file (PNG, JPEG, GIF, SVG, WebP), inlined as a data URI.").tag(config=True)
    mathjax_url = Unicode("").tag(config=True)
    require_js_url = Unicode("").tag(config=True)
    extra_template_basedirs = List(Unicode()).tag(config=True, affects_environment=True)

    @property
    def default_config(self) -> Config:
        """Lab's defaults, with the report's chart output first and no script or mermaid outputs."""
        config = super().default_config.copy()
        config.merge(Config({"NbConvertBase": {"display_data_priority": list(PRIORITY)}}))
        return config

    @default("template_name")
    def _template_name_default(self) -> str:
        return "csnb_report"

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self) -> list[str]:
        return [str(TEMPLATES)]

    @validate("accent_color")
    def _valid_colour(self, proposal: Any) -> str:
        # The colour is written into CSS, so only a colour may pass.
        if not COLOUR.match(proposal.value):
            raise RenderError(f"accent colour {proposal.value!r}: use #rgb, #rrggbb or a CSS colour name")
        return proposal.value

    def default_filters(self) -> Any:
        """Lab's filters, with a sanitizer that keeps tables and headings but no scripts or requests."""
        yield from super().default_filters()
        yield ("clean_html", clean_html)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.register_preprocessor(ReportCleaner(parent=self), enabled=True)
        self.register_preprocessor(TableLabels(parent=self), enabled=True)
        self.register_preprocessor(ChartPreprocessor(parent=self, static=self.static), enabled=True)

    def from_notebook_node(
        self, nb: NotebookNode, resources: dict | None = None, **kw: Any
    ) -> tuple[str, dict]:
        """Convert an executed notebook into the report's HTML."""
        nb = copy.deepcopy(nb)
        resources = dict(resources or {})
        name = resources.get("metadata", {}).get("name", "")
        title = self.report_title or nb.metadata.get("title") or name or "Report"
        nb.metadata["title"] = title  # lab's template takes <title> from here
        resources["csnb"] = {
            "title": title,
            "provider": self.provider,
            "accent": self.accent_color,
            "logo": _logo_data_uri(self.logo),
            "static": self.static,
        }
        resources["csnb_bundle"] = vega_bundle if not self.static else None
        html, resources = super().from_notebook_node(nb, resources, **kw)
        return strip_css_comments(html), resources


def render_notebook(
    nb: NotebookNode, *, title: str, static: bool = False, branding: dict | None = None
) -> str:
    """HTML of the client report for an executed notebook (branding: provider, accent, logo)."""
    branding = dict(branding or {})
    unknown = set(branding) - {"provider", "accent", "logo"}
    if unknown:
        raise RenderError(f"unknown branding keys {sorted(unknown)}: use provider, accent, logo")
    exporters = _EXPORTERS.__dict__.setdefault("by_edition", {})
    exporter = exporters.get(static)
    if exporter is None:
        # one exporter per edition and thread: its templates compile once (about 0.15 s a report), a fork
        # server's warm-up leaves them compiled for every report it forks, and threads (a Dask worker's)
        # never share one, so one client's title or branding cannot reach another's page
        exporter = exporters[static] = ReportExporter(static=static)
    exporter.report_title = title
    exporter.provider = branding.get("provider") or ""
    exporter.accent_color = branding.get("accent") or "#0072B2"
    exporter.logo = str(branding.get("logo") or "")
    html, _ = exporter.from_notebook_node(nb)
    return html


_EXPORTERS = threading.local()


def write_html(nb_path: str | os.PathLike, html_path: str | os.PathLike, **kw: Any) -> Path:
    """Render an executed notebook file into an HTML file, atomically (all or nothing)."""
    nb_path, html_path = Path(nb_path), Path(html_path)
    nb = nbformat.read(nb_path, as_version=4)
    kw.setdefault("title", nb.metadata.get("title") or nb_path.stem)
    html = render_notebook(nb, **kw)
    write_atomic(html_path, html)
    return html_path
