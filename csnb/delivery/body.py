"""The e-mail body: the report's executive one-pager as e-mail-safe HTML and plain text, with its images.

The one-pager is the data the report notebook recorded under ``ONEPAGER_MIME`` (see
``csnb.report.onepager``); the body is rendered from it at send time, never recomputed, so the message
agrees with the report it carries. The HTML is made for mail clients: one fluid column of layout tables
(at most 640 px wide, narrower on a phone), styles inlined into each element, no script, no remote
resource; sparklines and the logo are PNG images carried in the message and referenced by ``cid:``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csnb.delivery.smtp import DeliveryError
from csnb.delivery.sparklines import HEIGHT, WIDTH, drawable, spark_spec, sparkline_pngs
from csnb.render.exporter import COLOUR
from csnb.report.onepager import BAND_STYLE, ONEPAGER_MIME, VERSION
from csnb.templating import environment, template_folder

TEMPLATES = template_folder("delivery") / "mail"
REQUIRED = ("client", "as_of", "as_of_text", "band", "status_label", "verdict", "health", "goals")
DEFAULT_ACCENT = "#1f5f8b"


@dataclass
class Body:
    """A message body: HTML, its plain-text alternative, and its images by content id.

    ``images`` maps a content id to (PNG bytes, the text it was drawn from), so the guard can check
    that text for another client's name as it checks the HTML.
    """

    html: str
    text: str
    images: dict[str, tuple[bytes, str]] = field(default_factory=dict)


def read_onepager(notebooks: Sequence[Path]) -> tuple[dict[str, Any], Path]:
    """The one-pager recorded by the first of ``notebooks`` that has one, and that notebook."""
    import nbformat

    for notebook in notebooks:
        if not notebook.is_file():
            continue
        nb = nbformat.read(notebook, as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                data = out.get("data", {}).get(ONEPAGER_MIME)
                if data is not None:
                    return _checked(dict(data), notebook), notebook
    names = ", ".join(n.name for n in notebooks)
    raise DeliveryError(
        f"no one-pager in {names} (the report was made by an older csnb): run the report again, then send"
    )


def _checked(page: dict[str, Any], notebook: Path) -> dict[str, Any]:
    if page.get("version") != VERSION:
        raise DeliveryError(
            f"{notebook.name}: one-pager version {page.get('version')!r}, this csnb reads version "
            f"{VERSION}: run the report again"
        )
    absent = [k for k in REQUIRED if k not in page]
    if absent:
        raise DeliveryError(f"{notebook.name}: the one-pager lacks {', '.join(absent)}: run the report again")
    return page


def band_style(band: str) -> dict[str, str]:
    """Colour, mark and word of a band (an unknown band reads as no data)."""
    colour, mark, word = BAND_STYLE.get(band, BAND_STYLE["grey"])
    return {"colour": colour, "mark": mark, "word": word}


def recovery_groups(actions: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Recovery actions under the goal or milestone they are for, in the one-pager's order (worst first)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for action in actions:
        groups.setdefault(str(action.get("for", "")), []).append(action)
    return list(groups.items())


def sparklines(
    goals: list[dict[str, Any]], client: str
) -> tuple[dict[int, str], dict[str, tuple[bytes, str]]]:
    """PNG sparklines of the goals that have at least two values: cid by goal index, images by cid."""
    import json

    drawn = [(i, g) for i, g in enumerate(goals) if drawable(g.get("spark"))]
    specs = [spark_spec(g["spark"], band_style(g.get("band", "grey"))["colour"]) for _, g in drawn]
    cids: dict[int, str] = {}
    images: dict[str, tuple[bytes, str]] = {}
    for (index, _goal), spec, png in zip(drawn, specs, sparkline_pngs(specs), strict=True):
        cid = f"spark{index + 1}.{client}@csnb"
        cids[index] = cid
        images[cid] = (png, json.dumps(spec["data"]))  # only numbers: nothing of another client can hide here
    return cids, images


def logo_image(branding: dict[str, Any], client: str) -> tuple[str | None, dict[str, tuple[bytes, str]]]:
    """The provider's logo as a cid: image (PNG only: mail clients show neither SVG nor data URIs)."""
    logo = branding.get("logo")
    if not logo or not str(logo).lower().endswith(".png") or not Path(logo).is_file():
        return None, {}
    cid = f"logo.{client}@csnb"
    return cid, {cid: (Path(logo).read_bytes(), "")}


def render_body(
    page: dict[str, Any],
    names: dict[str, str],
    branding: dict[str, Any],
    banner: Sequence[str] = (),
) -> Body:
    """The one-pager as e-mail HTML (inline styles, table layout) and plain text, with its images."""
    import css_inline

    goals = list(page.get("goals") or [])
    cids, images = sparklines(goals, names["client"])
    logo, logos = logo_image(branding, names["client"])
    accent = str(branding.get("accent") or "")
    values = {
        **names,
        "page": page,
        "goals": goals,
        "sparks": cids,
        "spark_size": (WIDTH, HEIGHT),
        "band": band_style(page.get("band", "grey")),
        "health_band": band_style((page.get("health") or {}).get("band", "grey")),
        "styles": {b: band_style(b) for b in BAND_STYLE},
        "recovery": recovery_groups(page.get("recovery") or []),
        "banner": list(banner),
        "logo": logo,
        "accent": accent if COLOUR.match(accent) else DEFAULT_ACCENT,  # only a colour goes into CSS
    }
    env = environment()
    html = env.get_template("mail/onepager.html.j2").render(**values)
    inlined = css_inline.inline(html, load_remote_stylesheets=False, keep_style_tags=False)
    text = env.get_template("mail/onepager.txt.j2").render(**values)
    return Body(inlined, text, images | logos)
