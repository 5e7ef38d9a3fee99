"""Reading a report's HTML as its reader does: the visible text, and what must never reach it."""

from __future__ import annotations

import base64
import email
import email.policy
import fcntl
import os
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup

# What the notebook's cells and parameters say; none of it may reach the client.
CODE_AND_PARAMETERS = [
    "csnb.report",
    "report.show",
    "report.record",
    "prepare(",
    "import csnb",
    "plan_path",
    "store_url",
    "as_of =",
    "audience =",
    "injected-parameters",
    ".yaml",
]


def readable(html: str) -> BeautifulSoup:
    """The page without scripts and styles: what a reader sees."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return soup


def text_of(tag) -> str:
    """The text of ``tag``, its white space folded to single spaces."""
    return re.sub(r"\s+", " ", tag.get_text(" ", strip=True))


def visible_text(html: str) -> str:
    """Everything a reader of the page can read, as one line."""
    return text_of(readable(html))


def assert_no_code_or_parameters(html: str, root: Path) -> None:
    """No cell source, parameter, project path or traceback in a report made in the project ``root``."""
    for leak in CODE_AND_PARAMETERS:
        assert leak not in html, f"{leak!r} in the report"
    assert str(root) not in html and "Traceback" not in html


# --- the demo's client pages, as its clients receive them ------------------------------------------------

DEMO_CLIENTS = ("acme", "fernhill", "northwind")
AUDIENCES = ("executive", "operator")
EDITIONS = ("interactive", "static")


@dataclass
class DemoPages:
    """Every page the demo sends a client, and the portfolio page, in one demo project."""

    root: Path
    reports: dict[tuple[str, str, str], Path] = field(default_factory=dict)  # (client, audience, edition)
    emails: dict[str, list[Path]] = field(default_factory=dict)  # client -> .eml files of its newest report
    portfolio: Path | None = None

    def metric_ids(self, client: str) -> list[str]:
        """The metric ids of the client's plan (what a client must never read)."""
        plan = yaml.safe_load((self.root / "parameters" / f"{client}.yaml").read_text(encoding="utf-8"))
        return [m["id"] for m in plan.get("metrics", [])]


def newest(folder: Path, pattern: str) -> Path:
    """The file matching ``pattern`` in the newest report-date folder under ``folder``."""
    found = sorted(folder.glob(f"*/{pattern}"), key=lambda p: p.parent.name)
    assert found, f"no {pattern} under {folder}"
    return found[-1]


def build_demo_pages(folder: Path) -> DemoPages:
    """``csnb demo``, every client's report in both editions (as ``csnb run`` writes them), each also
    rendered static (the e-mail attachment), the portfolio page, and ``csnb send --dry-run``'s messages."""
    from commands import run_csnb
    from conftest import new_demo

    from csnb.project.config import load_config
    from csnb.render.exporter import write_html

    new_demo(folder)
    for audience in AUDIENCES:
        done = run_csnb("run", "--all", "--audience", audience, cwd=folder, timeout=1200)
        assert done.returncode == 0, done.stdout + done.stderr
    branding = load_config(folder).branding
    brand = {"provider": branding.provider, "accent": branding.accent, "logo": branding.logo}
    pages = DemoPages(folder, portfolio=folder / "reports" / "index.html")
    for client in DEMO_CLIENTS:
        for audience in AUDIENCES:
            html = newest(folder / "reports" / client, f"{audience}.html")
            static = html.with_name(f"{audience}-static.html")
            write_html(
                html.with_suffix(".ipynb"), static, title="Client success report", static=True, branding=brand
            )
            pages.reports[(client, audience, "interactive")] = html
            pages.reports[(client, audience, "static")] = static
        done = run_csnb("send", client, "--dry-run", cwd=folder, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        report_day = pages.reports[(client, "operator", "interactive")].parent
        pages.emails[client] = sorted(report_day.glob("*.eml"))
    return pages


_BUILT: dict[str, DemoPages] = {}


def shared_demo_pages(factory: Any) -> DemoPages:
    """``build_demo_pages`` once per test run, for every test file (and xdist worker) that only reads it.

    Under xdist the first worker to ask builds it in the run's shared temporary folder, under a file
    lock; the others wait for it and read the same pages. Never write into it.
    """
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        if "pages" not in _BUILT:
            _BUILT["pages"] = build_demo_pages(factory.mktemp("demo-pages"))
        return _BUILT["pages"]
    folder = factory.getbasetemp().parent / f"demo-pages-{run}"
    with open(f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        built = folder / "pages.pickle"
        if built.exists():
            return pickle.loads(built.read_bytes())
        folder.mkdir(exist_ok=True)
        pages = build_demo_pages(folder)
        built.write_bytes(pickle.dumps(pages))
        return pages


def email_parts(eml: Path) -> tuple[str, str]:
    """The HTML body of a message with its ``cid:`` images inlined (as a mail client shows it), and its
    plain-text part."""
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    html = message.get_body(preferencelist=("html",))
    plain = message.get_body(preferencelist=("plain",))
    text = html.get_content() if html is not None else ""
    for part in message.walk():
        cid = (part.get("Content-ID") or "").strip("<>")
        if cid and part.get_content_maintype() == "image":
            data = base64.b64encode(part.get_payload(decode=True)).decode("ascii")
            text = text.replace(f"cid:{cid}", f"data:{part.get_content_type()};base64,{data}")
    return text, plain.get_content() if plain is not None else ""
