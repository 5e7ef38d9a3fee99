"""The executive edition as PDF: Chromium prints it with the page's print CSS, on one A4 page, offline.

Built on the demo (``csnb run acme --audience executive`` in a fresh folder); the page count is read from
the PDF's page objects, as a PDF reader counts them.
"""

from __future__ import annotations

import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from commands import run_csnb

from csnb.render.pdf import PdfUnavailableError, page_count, require_pdf, write_pdf
from csnb.render.vega import RenderError

AS_OF = "2026-10-15"


@pytest.fixture(scope="module")
def executive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Acme's executive report in a fresh demo folder."""
    root = tmp_path_factory.mktemp("pdf-demo")
    assert run_csnb("demo", "--dir", str(root)).returncode == 0
    done = run_csnb("run", "acme", "--audience", "executive", cwd=root, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "reports" / "acme" / AS_OF / "executive.html"


@pytest.mark.slow
@pytest.mark.browser
def test_the_executive_edition_prints_on_one_page(executive: Path, tmp_path: Path) -> None:
    from browser import chromium_or_skip

    chromium_or_skip()
    pdf = write_pdf(executive, tmp_path / "acme.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"/MediaBox [0 0 595" in data  # A4: 595 x 842 points
    assert page_count(pdf) == 1


@pytest.mark.slow
@pytest.mark.browser
def test_send_pdf_attaches_the_executive_pdf(executive: Path) -> None:
    from browser import chromium_or_skip

    chromium_or_skip()
    root = executive.parents[3]
    assert (
        run_csnb("run", "acme", cwd=root, timeout=600).returncode == 0
    )  # the weekly update's operator report
    sent = run_csnb("send", "acme", "--dry-run", "--pdf", cwd=root)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    eml = executive.parent / "weekly-update.eml"
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    kinds = {a.get_filename(): a.get_content_type() for a in msg.iter_attachments()}
    assert kinds == {
        f"acme-operator-{AS_OF}.html": "text/html",
        f"acme-summary-{AS_OF}.pdf": "application/pdf",
    }
    [pdf] = [a for a in msg.iter_attachments() if a.get_content_type() == "application/pdf"]
    assert pdf.get_content() == (executive.parent / "executive.pdf").read_bytes()
    assert "A one-page PDF of this summary is attached too." in msg.get_body(("plain",)).get_content()


def test_without_playwright_the_error_names_the_extra_and_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # import fails as if not installed
    with pytest.raises(PdfUnavailableError) as caught:
        require_pdf()
    assert "pip install 'csnb[pdf]'" in str(caught.value) and "apt-get install chromium" in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_missing_report_is_named(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="no report to print at .*executive.html"):
        write_pdf(tmp_path / "executive.html", tmp_path / "executive.pdf")


@pytest.mark.slow
@pytest.mark.browser
def test_run_pdf_writes_a_one_page_pdf_beside_the_executive_edition(executive: Path) -> None:
    from browser import chromium_or_skip

    chromium_or_skip()
    root = executive.parents[3]
    done = run_csnb("run", "acme", "--audience", "executive", "--pdf", cwd=root, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    pdf = executive.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert page_count(pdf) == 1
    assert b"/MediaBox [0 0 595" in pdf.read_bytes()  # A4
