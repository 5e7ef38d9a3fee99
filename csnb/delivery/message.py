"""Building report e-mails: recipients, headers, an e-mail-safe body with its chart images, the message.

The body is the report rendered in static mode, CSS inlined, charts as PNG images referenced by ``cid:``;
the interactive HTML is attached and the subject comes from ``[mail] subject`` in ``csnb.toml``. The
result is an ``Outgoing`` message, ready for the guard.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csnb.delivery.smtp import SUBJECT_FIELDS, DeliveryError, MailSettings
from csnb.errors import ConfigError
from csnb.plan.people import recipients
from csnb.render.exporter import COLOUR, render_notebook
from csnb.render.vega import run_converter
from csnb.report.sections import BANNER_CLASS, BANNER_META
from csnb.templating import environment, template_folder

if TYPE_CHECKING:
    from csnb.plan.models import Person, Plan, Ritual
    from csnb.project.folder import Project

TEMPLATES = template_folder("delivery") / "mail"
PNG_SCALE = 2  # crisp on high-density screens; a chart stays around 100-150 kB
CHART = re.compile(r"(<div\b[^>]*\bcsnb-chart\b[^>]*>)\s*(<svg\b.*?</svg>)", re.S)
LABEL = re.compile(r'aria-label="([^"]*)"')
DATA_IMG = re.compile(r'src="data:(image/(?:png|jpeg|gif));base64,([A-Za-z0-9+/=\s]+)"')
SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)"')


# -- building messages ----------------------------------------------------------------------------------


@dataclass
class Outgoing:
    """One message ready for the guard: who it is for, what it was made from, where its ``.eml`` goes."""

    kind: str  # report | alert
    client: str
    ritual: str
    audience: str
    as_of: str
    message: EmailMessage
    envelope: tuple[str, ...]  # the addresses SMTP is given; Bcc copies are only here and in the Bcc header
    sources: tuple[Path, ...]  # files the message was made from: all inside the client's report folder
    folder: Path  # the client's report folder for this as_of
    derived: dict[str, str] = field(default_factory=dict)  # sha256 of each image -> the SVG it was drawn from

    @property
    def key(self) -> str:
        """The natural key of this delivery: one report per ritual, one alert per event."""
        return f"{self.kind}|{self.client}|{self.ritual}|{self.audience}|{self.as_of}"

    @property
    def eml_path(self) -> Path:
        """Where a dry run writes this message."""
        name = self.ritual if self.kind == "report" else f"alert-{self.ritual}"
        return self.folder / f"{name}.eml"


def subject_line(template: str, **values: str) -> str:
    """The subject from its template, on one line (a newline in a plan string must not add a header)."""
    text = template.format_map({k: values.get(k, "") for k in SUBJECT_FIELDS} | values)
    return " ".join(text.split())[:250]


def _sender(settings: MailSettings, plan: Plan) -> str:
    if settings.sender:
        return settings.sender
    # without [mail] from (the demo), a review copy is "from" the plan's first provider-side person
    person = next((p for p in plan.people if p.side == "provider" and p.email), None)
    if person is None:
        raise ConfigError(
            "set [mail] from in csnb.toml: the plan names no provider-side person with an e-mail"
        )
    return formataddr((person.name, person.email))


def new_message(
    settings: MailSettings, plan: Plan, to: list[Person], subject: str, copies: bool = True
) -> EmailMessage:
    """Headers of a message from the provider to ``to`` about ``plan``'s client (copies: Bcc the archive)."""
    msg = EmailMessage()
    sender = _sender(settings, plan)
    msg["From"] = sender
    msg["To"] = ", ".join(formataddr((p.name, p.email)) for p in to)
    if copies and settings.copies:
        msg["Bcc"] = ", ".join(settings.copies)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid("csnb", domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    msg["X-Csnb-Client"] = plan.id
    return msg


def _branding(project: Project) -> dict[str, Any]:
    cfg = project.config
    return {
        "provider": cfg.branding.provider,
        "accent": cfg.branding.accent,
        "logo": str(cfg.root / cfg.branding.logo) if cfg.branding.logo else None,
    }


def report_message(
    project: Project, plan: Plan, ritual: Ritual, html: Path, notebook: Path, settings: MailSettings
) -> Outgoing:
    """One ritual's report as a message: body from the executed notebook, interactive HTML attached."""
    to = [p for p in recipients(plan, ritual) if p.email]
    if not to:
        raise DeliveryError(f"client {plan.id}, ritual {ritual.ritual}: no recipient has an e-mail address")
    as_of = html.parent.name
    names = {
        "client": plan.id,
        "client_name": plan.client.name,
        "ritual": ritual.ritual,
        "audience": ritual.audience,
        "as_of": as_of,
        "provider": project.config.branding.provider,
    }
    msg = new_message(settings, plan, to, subject_line(settings.subject, **names))
    body, images = email_body(notebook, names, _branding(project))
    require_banner(plan.id, notebook, body, html.read_text(encoding="utf-8", errors="replace"))
    msg.set_content(
        environment().get_template("mail/report.txt.j2").render(**names, agenda=ritual.agenda or "")
    )
    msg.add_alternative(body, subtype="html")
    html_part = msg.get_payload()[1]
    for cid, (png, _svg) in images.items():
        html_part.add_related(png, "image", "png", cid=f"<{cid}>", filename=f"{cid.split('@')[0]}.png")
    msg.add_attachment(
        html.read_bytes(),
        maintype="text",
        subtype="html",
        filename=f"{plan.id}-{ritual.audience}-{as_of}.html",
    )
    envelope = tuple(p.email.lower() for p in to) + settings.copies
    derived = {hashlib.sha256(png).hexdigest(): svg for png, svg in images.values()}
    return Outgoing(
        "report",
        plan.id,
        ritual.ritual,
        ritual.audience,
        as_of,
        msg,
        envelope,
        (html, notebook),
        html.parent,
        derived,
    )


def banner_sources(notebook: Path) -> list[str]:
    """The failed sources a report was made without (its header's mark), from the executed notebook."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    found: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            found += out.get("metadata", {}).get(BANNER_META, [])
    return found


def require_banner(client: str, notebook: Path, body: str, attachment: str) -> None:
    """Refuse a report made without a failed source unless its body and attachment show the banner."""
    sources = banner_sources(notebook)
    if sources and not (BANNER_CLASS in body and BANNER_CLASS in attachment):
        raise DeliveryError(
            f"client {client}: the report was made without source {', '.join(sources)} but its "
            "banner is missing; not sent (run the report again)"
        )


def email_body(
    notebook: Path, names: dict[str, str], branding: dict[str, Any]
) -> tuple[str, dict[str, tuple[bytes, str]]]:
    """The report as e-mail HTML (static, CSS inlined, no script) and its images (PNG, SVG) by content id."""
    import css_inline
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    page = render_notebook(
        nb, title=f"{names['client_name']} — {names['ritual']}", static=True, branding=branding
    )
    content = _main(page)
    content, images = _charts_to_cid(content, names["client"])
    content, logos = _data_images_to_cid(content, names["client"])
    css = (TEMPLATES / "email.css").read_text(encoding="utf-8")
    accent = str(branding.get("accent") or "")
    if COLOUR.match(accent):  # only a colour may be written into CSS
        css = css.replace("#1f5f8b", accent)
    html = environment().get_template("mail/report.html.j2").render(**names, content=content, css=css)
    inlined = css_inline.inline(html, load_remote_stylesheets=False, keep_style_tags=False)
    return inlined, images | logos


def _main(page: str) -> str:
    """The report's content: what is inside <main> (lab's page chrome and 200 kB of its CSS stay behind)."""
    start, end = page.find("<main>"), page.rfind("</main>")
    content = page[start + 6 : end] if start >= 0 < end else page
    return re.sub(r"<style\b.*?</style>", "", content, flags=re.S | re.I)


def _charts_to_cid(content: str, client: str) -> tuple[str, dict[str, tuple[bytes, str]]]:
    """Replace each inline SVG chart by an <img src="cid:..."> and return the PNGs by content id."""
    found = list(CHART.finditer(content))
    pngs = svgs_to_png([m.group(2) for m in found])
    images: dict[str, tuple[bytes, str]] = {}
    for number, (match, png) in enumerate(zip(found, pngs, strict=True), start=1):
        cid = f"chart{number}.{client}@csnb"
        images[cid] = (png, match.group(2))
        width = (SVG_SIZE.search(match.group(2)) or [None, "600"])[1]
        label = (LABEL.search(match.group(1)) or [None, "Chart"])[1]  # already escaped by the exporter
        img = (
            f'<img src="cid:{cid}" alt="{label}" width="{min(float(width), 660):.0f}" '
            f'style="max-width:100%;height:auto;display:block">'
        )
        content = content.replace(match.group(0), match.group(1) + img, 1)
    return content, images


def _data_images_to_cid(content: str, client: str) -> tuple[str, dict[str, tuple[bytes, str]]]:
    """Data-URI images (the logo, PNG outputs) as cid: parts: Gmail and Outlook do not show data URIs."""
    import base64

    images: dict[str, tuple[bytes, str]] = {}

    def swap(match: re.Match[str]) -> str:
        data = base64.b64decode(re.sub(r"\s", "", match.group(2)))
        cid = f"image{len(images) + 1}.{client}@csnb"
        if match.group(1) != "image/png":
            return 'src=""'  # only PNG is attached; the interactive report keeps the original
        images[cid] = (data, "")  # the logo or a notebook's PNG output: it has no text to check
        return f'src="cid:{cid}"'

    return DATA_IMG.sub(swap, content), images


_PNG_CODE = """
import base64, json, sys, vl_convert
svgs, scale = json.load(sys.stdin), float(sys.argv[1])
json.dump([base64.b64encode(vl_convert.svg_to_png(s, scale=scale)).decode() for s in svgs], sys.stdout)
"""


def svgs_to_png(svgs: list[str]) -> list[bytes]:
    """PNG images of SVG charts, converted in a throwaway subprocess (vl-convert and forks: see render.py)."""
    import base64
    import json

    if not svgs:
        return []
    # render.py drops the namespace for inline HTML; a stand-alone SVG needs it back
    ns = ' xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
    full = [re.sub(r"^<svg\b", "<svg" + ns, s, count=1) for s in svgs]
    return [
        base64.b64decode(b)
        for b in json.loads(run_converter(_PNG_CODE, str(PNG_SCALE), stdin=json.dumps(full)))
    ]
