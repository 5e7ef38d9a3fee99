"""The demo's report e-mails, as their recipients' mail clients receive them.

The demo is built in a fresh folder, both editions are run, and ``csnb send CLIENT --dry-run`` writes each
client's weekly update as an ``.eml``. Each message is read back with the standard ``email`` parser and
checked the way a mail client treats it: Gmail clips an HTML part over 102 KB, an image that is not an
inline part of ``multipart/related`` shows up as an attachment, a body that loads anything from the
network is blocked or tracked, and a message over a few MB is refused by some servers.
"""

from __future__ import annotations

import base64
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from commands import run_csnb
from pages import visible_text

from csnb.delivery.body import read_onepager
from csnb.project.folder import Project

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]  # a demo, two batches, three sends

AS_OF = "2026-10-15"  # the demo's csnb.toml pins it
MAX_HTML = 100_000  # Gmail clips a message whose HTML is over 102 KB
MAX_MESSAGE = 1_500_000
URL_ATTRIBUTE = re.compile(r"""\b(?:src|href|background|action)\s*=\s*["']?([^"'\s>]*)""", re.I)


def _message(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


@pytest.fixture(scope="module")
def demo_mail(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """The demo after both editions ran and each client's weekly update was written as ``.eml``."""
    root = tmp_path_factory.mktemp("mail-demo")
    assert run_csnb("demo", "--dir", str(root)).returncode == 0
    for audience in ("executive", "operator"):
        done = run_csnb("run", "--all", "--audience", audience, cwd=root, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
    emls = {}
    for path in Project(root).plan_paths():
        sent = run_csnb("send", path.stem, "--dry-run", cwd=root)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        emls[path.stem] = root / "reports" / path.stem / AS_OF / "weekly-update.eml"
    assert len(emls) == 3
    return root, emls


def test_the_subject_names_client_ritual_date_and_the_reports_status(demo_mail) -> None:
    root, emls = demo_mail
    for client, eml in emls.items():
        name = Project(root).plan(client).client.name
        folder = eml.parent
        page, _ = read_onepager([folder / "operator.ipynb"])
        assert page["status_label"] in ("Green", "Amber", "Red", "Not scored")
        assert _message(eml)["Subject"] == f"{name} · weekly update · 15 Oct 2026 · {page['status_label']}"


def test_the_html_part_is_small_inline_styled_and_loads_nothing(demo_mail) -> None:
    _, emls = demo_mail
    for client, eml in emls.items():
        html = _message(eml).get_body(("html",)).get_content()
        assert len(html.encode("utf-8")) < MAX_HTML, client
        assert "<script" not in html.lower() and "<svg" not in html.lower() and "<style" not in html.lower()
        targets = URL_ATTRIBUTE.findall(html)
        assert targets and all(t.startswith(("cid:", "mailto:", "#")) for t in targets), (client, targets)
        assert "http://" not in html and "https://" not in html
        assert 'width="700"' not in html and "max-width: 640px" in html


def test_every_cid_image_is_an_inline_part_and_none_is_an_attachment(demo_mail) -> None:
    _, emls = demo_mail
    for client, eml in emls.items():
        msg = _message(eml)
        html = msg.get_body(("html",)).get_content()
        cids = set(re.findall(r'src="cid:([^"]+)"', html))
        assert cids, f"{client}: no sparkline"  # every demo client has goals with data
        related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
        parts = {p["Content-ID"].strip("<>"): p for p in related.iter_parts() if p["Content-ID"]}
        assert set(parts) == cids, client  # each image the body shows is carried, and nothing else
        for part in parts.values():
            assert part.get_content_type() == "image/png" and part.get_content().startswith(b"\x89PNG")
            assert part.get_content_disposition() in (None, "inline") and part.get_filename() is None
        assert all(a.get_content_maintype() != "image" for a in msg.iter_attachments())


def test_the_static_report_is_attached_and_the_message_stays_small(demo_mail) -> None:
    root, emls = demo_mail
    for client, eml in emls.items():
        msg = _message(eml)
        [report] = list(msg.iter_attachments())
        assert report.get_filename() == f"{client}-operator-{AS_OF}.html"
        page = report.get_content()
        assert "<script" not in page.lower() and "<svg" in page  # charts as SVG, no JavaScript
        assert Project(root).plan(client).client.name in page
        assert len(eml.read_bytes()) < MAX_MESSAGE, f"{client}: {len(eml.read_bytes())} bytes"


def test_the_plain_text_part_says_what_the_html_says(demo_mail) -> None:
    _, emls = demo_mail
    for eml in emls.values():
        msg = _message(eml)
        text = msg.get_body(("plain",)).get_content()
        page, _ = read_onepager([eml.parent / "operator.ipynb"])
        assert page["verdict"] in text and page["health"]["score_text"] in text
        for goal in page["goals"]:
            assert goal["name"] in text and goal["target"] in text
            assert goal["current"] in text or goal["current"] == "—"  # a goal without data shows its note
        assert "GOALS" in text and "WHAT CHANGED" in text and "<" not in text.replace("<=", "")


def test_what_the_client_reads_is_plain_language(demo_mail) -> None:
    root, emls = demo_mail
    for client, eml in emls.items():
        msg = _message(eml)
        plan = Project(root).plan(client)
        ids = [m.id for m in plan.metrics if re.search(r"[_\-]", m.id)]
        for where, text in (
            ("html", visible_text(msg.get_body(("html",)).get_content())),
            ("text", msg.get_body(("plain",)).get_content()),
            ("subject", str(msg["Subject"])),
        ):
            assert "r =" not in text and "(s)" not in text, (client, where)
            assert not re.search(r"\w_\w", text), (client, where, re.findall(r"\S*\w_\w\S*", text))
            assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), (client, where)  # dates read 15 Oct 2026
            for metric in ids:
                assert not re.search(rf"\b{re.escape(metric)}\b", text), (client, where, metric)


def test_attach_interactive_sends_the_page_with_interactive_charts(demo_mail) -> None:
    root, emls = demo_mail
    client = "acme"
    done = run_csnb("send", client, "--dry-run", "--attach", "interactive", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    [report] = list(_message(emls[client]).iter_attachments())
    assert report.get_content() == (root / "reports" / client / AS_OF / "operator.html").read_text()
    bad = run_csnb("send", client, "--dry-run", "--attach", "pdf", cwd=root)
    assert bad.returncode == 2 and "--attach: use static or interactive" in bad.stderr


def _body_file(eml: Path, folder: Path) -> Path:
    """The HTML part as a mail client shows it: each cid: image swapped for its bytes."""
    msg = _message(eml)
    html = msg.get_body(("html",)).get_content()
    for part in msg.walk():
        if part["Content-ID"]:
            data = base64.b64encode(part.get_content()).decode()
            html = html.replace(f"cid:{part['Content-ID'].strip('<>')}", f"data:image/png;base64,{data}")
    path = folder / f"{eml.parent.parent.name}-body.html"
    path.write_text(html, encoding="utf-8")
    return path


NAMED_AT = """(name) => Array.from(document.querySelectorAll('body *'))
  .filter((el) => Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.includes(name)))
  .filter((el) => el.getClientRects().length && getComputedStyle(el).display !== 'none')
  .map((el) => Math.round(el.getBoundingClientRect().top))"""


@pytest.mark.browser
def test_the_body_reads_on_a_laptop_and_a_phone(demo_mail, tmp_path: Path) -> None:
    from browser import chromium_or_skip, open_report
    from playwright.sync_api import sync_playwright

    root, emls = demo_mail
    bodies = {client: _body_file(eml, tmp_path) for client, eml in emls.items()}
    for client, body in bodies.items():
        for width in (1280, 390):
            shot = tmp_path / f"{client}-mail-{width}.png"
            seen = open_report(body, width=width, screenshot=shot)
            assert seen.requests == [] and seen.page_errors == [], (client, width)
            assert not seen.layout.scrolls_sideways, (client, width, seen.layout)
            assert seen.layout.small_text == [], (client, width)
            assert shot.is_file()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_or_skip(), args=["--no-sandbox"])
        try:
            for client, body in bodies.items():
                name = Project(root).plan(client).client.name
                for width in (1280, 390):
                    page = browser.new_page(viewport={"width": width, "height": 900})
                    page.goto(body.resolve().as_uri())
                    tops = page.evaluate(NAMED_AT, name)
                    assert len([t for t in tops if t < 150]) == 1, (client, width, tops)
                    page.close()
        finally:
            browser.close()
