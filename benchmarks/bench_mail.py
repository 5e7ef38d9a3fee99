"""The demo's report e-mails: how long each takes to build and how big it is, against mail clients' limits.

Builds the demo in a temporary folder, runs both editions, then builds each client's weekly update as
``csnb send --dry-run`` does, once per attachment choice (static, interactive, static + PDF), and prints
per client: seconds to build, the HTML part's size (Gmail clips over 102 KB), the number of inline images,
the attachments and the whole message's size (goal: under 1.5 MB with the default static attachment).

    python benchmarks/bench_mail.py            # static and interactive
    python benchmarks/bench_mail.py --pdf      # also static + the executive PDF (needs Chromium)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from email import message_from_bytes, policy
from pathlib import Path

from csnb.delivery.send import send_client
from csnb.project.folder import Project

HTML_LIMIT = 100_000
MESSAGE_LIMIT = 1_500_000


def csnb(*args: str, cwd: Path) -> None:
    """Run the csnb command line in ``cwd``; stop the benchmark if it fails."""
    subprocess.run([sys.executable, "-m", "csnb.cli", *args], cwd=cwd, check=True, capture_output=True)


def measure(root: Path, attach: str, pdf: bool) -> None:
    """Build every client's message with one attachment choice and print its figures."""
    project = Project(root)
    print(f"\nattach={attach}{' + pdf' if pdf else ''}")
    print(f"{'client':<12}{'build s':>9}{'html KB':>9}{'images':>8}{'message KB':>12}  attachments")
    for path in project.plan_paths():
        started = time.perf_counter()
        [done] = send_client(path.stem, project, dry_run=True, attach=attach, attach_pdf=pdf)
        seconds = time.perf_counter() - started
        if done.status != "written":
            print(f"{path.stem:<12} {done.status}: {done.error}")
            continue
        raw = Path(done.path).read_bytes()
        msg = message_from_bytes(raw, policy=policy.default)
        html = msg.get_body(("html",)).get_content().encode()
        images = sum(p.get_content_maintype() == "image" for p in msg.walk())
        files = ", ".join(
            f"{a.get_filename()} ({len(a.get_content()) // 1000} KB)" for a in msg.iter_attachments()
        )
        flags = ("  HTML OVER LIMIT" if len(html) > HTML_LIMIT else "") + (
            "  MESSAGE OVER 1.5 MB" if len(raw) > MESSAGE_LIMIT else ""
        )
        sizes = f"{len(html) / 1000:>9.1f}{images:>8}{len(raw) / 1000:>12.0f}"
        print(f"{path.stem:<12}{seconds:>9.1f}{sizes}  {files}{flags}")


def main() -> None:
    """Build the demo, run its reports, and measure its e-mails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", action="store_true", help="also measure static + the executive PDF")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        csnb("demo", "--dir", str(root), cwd=root)
        for audience in ("executive", "operator"):
            csnb("run", "--all", "--audience", audience, cwd=root)
        measure(root, "static", pdf=False)
        measure(root, "interactive", pdf=False)
        if args.pdf:
            measure(root, "static", pdf=True)


if __name__ == "__main__":
    main()
