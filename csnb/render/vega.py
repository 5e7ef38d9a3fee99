"""The Vega JavaScript bundle and static SVGs, from vl-convert run in a throwaway subprocess.

vl-convert runs a V8 engine that can hang in a process forked from a parent that has already used it.
A report is often rendered by a long-lived batch parent that later forks workers, so csnb never
imports ``vl_convert`` itself: the bundle is built once by a throwaway subprocess into an on-disk cache
(keyed by vl-convert and Vega-Lite versions), and static SVGs are converted in a throwaway subprocess.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from importlib.metadata import version as package_version
from pathlib import Path

from csnb.errors import CsnbError
from csnb.report.charts import VEGALITE_VERSION

CONVERT_TIMEOUT = 300


class RenderError(CsnbError):
    """The report could not be rendered (chart conversion, branding or output file)."""


def _vegalite_version() -> str:
    """Vega-Lite "vMAJOR.MINOR" of the report's chart specs, so the bundle matches them."""
    return ".".join(VEGALITE_VERSION.split(".")[:2])


def _cache_dir() -> Path:
    """Folder for the JavaScript bundle cache (CSNB_CACHE_DIR, else the user's cache folder)."""
    if os.environ.get("CSNB_CACHE_DIR"):
        return Path(os.environ["CSNB_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "csnb"


def run_converter(code: str, *args: str, stdin: str | None = None) -> str:
    """Run a short vl-convert script in a fresh interpreter (see the module docstring for why)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=CONVERT_TIMEOUT,
            check=False,
            encoding="utf-8",
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"vl-convert did not finish within {CONVERT_TIMEOUT} s") from exc
    if done.returncode != 0:
        raise RenderError(f"vl-convert failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}")
    return done.stdout


_BUNDLE_CODE = """
import sys, vl_convert
from csnb.fs import write_atomic
write_atomic(sys.argv[1], vl_convert.javascript_bundle(vl_version=sys.argv[2]))
"""

_SVG_CODE = """
import json, sys, vl_convert
specs = json.load(sys.stdin)
json.dump([vl_convert.vegalite_to_svg(s, vl_version=sys.argv[1]) for s in specs], sys.stdout)
"""


@functools.cache  # read once per process: a fork server's warm-up loads it, every report inherits it
def vega_bundle() -> str:
    """The Vega + Vega-Lite + vega-embed JavaScript bundle, built once per vl-convert version."""
    vl_version = _vegalite_version()
    path = _cache_dir() / f"vl-convert-{package_version('vl-convert-python')}-vl{vl_version}.js"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        run_converter(_BUNDLE_CODE, str(path), vl_version)
    bundle = path.read_text(encoding="utf-8")
    # Inlined in a <script> element, so "</script" must not end it early; "<\/" means the same in JS.
    return bundle.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def specs_to_svg(specs: list[dict]) -> list[str]:
    """Inline SVG for each Vega-Lite spec, converted in a throwaway subprocess."""
    if not specs:
        return []
    svgs = json.loads(run_converter(_SVG_CODE, _vegalite_version(), stdin=json.dumps(specs)))
    # Inline SVG in HTML needs no namespace declarations; dropping them keeps the file free of URLs.
    return [re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2) for svg in svgs]
