"""Building report e-mails: recipients, headers, the one-pager body with its images, the attachments.

The body is the report's executive one-pager (``csnb.delivery.body``), read from the executed notebook
kept beside the report; the full report is attached (its static edition by default, ``[mail] attach =
"interactive"`` for the page with interactive charts) and, with ``[mail] attach_pdf``, the executive
edition as PDF (``csnb.delivery.attachments``). The subject comes from ``[mail] subject`` in
``csnb.toml`` (default "Acme Logistics · weekly update · 15 Oct 2026 · Amber"). The result is an
``Outgoing`` message, ready for the guard.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csnb.delivery.attachments import executive_pdf, full_report
from csnb.delivery.body import read_onepager, render_body
from csnb.delivery.guard import STATIC_SCRIPT
from csnb.delivery.smtp import SUBJECT_FIELDS, DeliveryError, MailSettings
from csnb.errors import ConfigError
from csnb.plan.people import recipients
from csnb.report.build import AUDIENCES
from csnb.report.sections import BANNER_CLASS, BANNER_META
from csnb.report.words import humanize

if TYPE_CHECKING:
    from csnb.plan.models import Person, Plan, Ritual
    from csnb.project.folder import Project


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
    # an empty last field (no status yet) must not leave a dangling separator
    return " ".join(text.split()).rstrip(" ·,—-")[:250]


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


def message_names(
    plan: Plan, ritual: Ritual, as_of: str, page: dict[str, Any], provider: str
) -> dict[str, str]:
    """The values a subject template and the body may use (see ``SUBJECT_FIELDS``)."""
    return {
        "client": plan.id,
        "client_name": plan.client.name,
        "ritual": ritual.ritual,
        "ritual_name": humanize(ritual.ritual).lower(),  # "weekly-update" reads "weekly update"
        "ritual_title": humanize(ritual.ritual),
        "audience": ritual.audience,
        "as_of": as_of,
        "date": str(page.get("as_of_text") or as_of),
        "status": str(page.get("status_label") or ""),
        "provider": provider,
    }


def _notebooks(notebook: Path, audience: str) -> list[Path]:
    """The ritual's own executed notebook first, then the other editions of the same report date."""
    return [notebook] + [notebook.with_name(f"{a}.ipynb") for a in AUDIENCES if a != audience]


def _attached_words(pdf: bool) -> str:
    words = "The full report, with every chart, milestone and risk, is attached and opens in any browser."
    return words + (" A one-page PDF of this summary is attached too." if pdf else "")


def report_message(
    project: Project, plan: Plan, ritual: Ritual, html: Path, notebook: Path, settings: MailSettings
) -> Outgoing:
    """One ritual's report as a message: the one-pager as body, the full report (and the PDF) attached."""
    to = [p for p in recipients(plan, ritual) if p.email]
    if not to:
        raise DeliveryError(f"client {plan.id}, ritual {ritual.ritual}: no recipient has an e-mail address")
    as_of = html.parent.name
    try:
        page, onepager_nb = read_onepager(_notebooks(notebook, ritual.audience))
    except DeliveryError as exc:
        raise DeliveryError(f"client {plan.id}, ritual {ritual.ritual}, {as_of}: {exc}") from None
    branding = _branding(project)
    names = message_names(plan, ritual, as_of, page, project.config.branding.provider)
    subject = subject_line(settings.subject, **names)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the static edition's charts and the sparklines are each drawn by a vl-convert subprocess: together
        attached = pool.submit(full_report, html, notebook, settings.attach, branding)
        pdf = executive_pdf(plan.id, html.parent) if settings.attach_pdf else None
        banner = list(dict.fromkeys(banner_sources(notebook) + banner_sources(onepager_nb)))
        context = names | {
            "subject": subject,
            "agenda": ritual.agenda or "",
            "full_report": _attached_words(bool(pdf)),
        }
        body = render_body(page, context, branding, banner)
        full = attached.result()
    require_banner(plan.id, notebook, body.html, full.read_text(encoding="utf-8", errors="replace"))
    msg = new_message(settings, plan, to, subject)
    msg.set_content(body.text)
    msg.add_alternative(body.html, subtype="html")
    html_part = msg.get_payload()[1]
    for cid, (png, _text) in body.images.items():
        # inline, and no file name: mail clients then show it in the body and list no attachment
        html_part.add_related(png, "image", "png", cid=f"<{cid}>", disposition="inline")
    msg.add_attachment(
        full.read_bytes(),
        maintype="text",
        subtype="html",
        filename=f"{plan.id}-{ritual.audience}-{as_of}.html",
        params={"charset": "utf-8"},  # the bytes as written: a mail client must not guess their encoding
    )
    if pdf is not None:
        msg.add_attachment(
            pdf.read_bytes(), maintype="application", subtype="pdf", filename=f"{plan.id}-summary-{as_of}.pdf"
        )
    envelope = tuple(p.email.lower() for p in to) + settings.copies
    derived = {hashlib.sha256(png).hexdigest(): text for png, text in body.images.values()}
    if pdf is not None:  # the guard reads the page the PDF was printed from, as it reads the HTML parts
        printed = pdf.with_suffix(".html").read_text(encoding="utf-8", errors="replace")
        derived[hashlib.sha256(pdf.read_bytes()).hexdigest()] = STATIC_SCRIPT.sub("", printed)
    printed_from = pdf.with_suffix(".html") if pdf is not None else None
    files = (html, notebook, onepager_nb, full, pdf, printed_from)
    sources = tuple(dict.fromkeys(p for p in files if p is not None))
    return Outgoing(
        "report", plan.id, ritual.ritual, ritual.audience, as_of, msg, envelope, sources, html.parent, derived
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
