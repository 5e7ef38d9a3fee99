"""A real SMTP server on 127.0.0.1 that records what it receives, and a two-client project that mails it.

Two clients, alpha and beta, each with a report for AS_OF that carries its own canary string.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import nbformat
from aiosmtpd.controller import Controller
from builders import write_project
from nbformat.v4 import new_code_cell, new_notebook, new_output

from csnb.project.folder import Project
from csnb.report.onepager import ONEPAGER_MIME

AS_OF = "2026-10-15"
CANARY = {"alpha": "CANARY-ALPHA-4f1c", "beta": "CANARY-BETA-9b2e"}
NAMES = {"alpha": "Alpha Freight Group", "beta": "Beta Orchards Ltd"}
CHART = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "mark": "bar",
    "data": {"values": [{"week": "W1", "calls": 3}, {"week": "W2", "calls": 5}]},
    "encoding": {"x": {"field": "week", "type": "nominal"}, "y": {"field": "calls", "type": "quantitative"}},
}


class Recorder:
    """An SMTP handler that records messages and answers 550 (or stalls) for chosen recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.reject: set[str] = set()
        self.stall: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        if address in self.stall:
            await asyncio.sleep(3)
        if address in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def received(self) -> list[tuple[list[str], object]]:
        """(envelope recipients, parsed message) of everything received."""
        return [(rcpt, message_from_bytes(raw, policy=policy.default)) for rcpt, raw in self.messages]

    def by_client(self) -> dict[str, list]:
        """What was received, by the client each message says it is for."""
        out: dict[str, list] = {}
        for rcpt, msg in self.received():
            out.setdefault(msg["X-Csnb-Client"], []).append((rcpt, msg))
        return out


@contextmanager
def smtp_server(recorder: Recorder, port: int, **options: Any) -> Iterator[Recorder]:
    """An SMTP server on 127.0.0.1:``port`` handled by ``recorder`` (``options`` go to aiosmtpd)."""
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


def plan_yaml(client: str, extra_people: str = "") -> str:
    """A small valid plan with one e-mail ritual for the client's operators and the CSM."""
    return textwrap.dedent(f"""\
        client: {{id: {client}, name: {NAMES[client]}}}
        people:
          - {{id: dana, name: Dana Ortiz, side: provider, role: CSM, email: dana@provider.example}}
          - {{id: ops, name: Ops Lead, side: client, role: Operations, email: ops@{client}.example}}
          - {{id: boss, name: The Boss, side: client, role: COO,
              email: boss@{client}.example, executive: true}}
        {extra_people}
        cadence:
          - {{ritual: weekly-update, rrule: "FREQ=WEEKLY;BYDAY=MO", audience: operator, channel: email,
              recipients: [ops, dana], start: 2026-09-07, agenda: Metrics that moved}}
          - {{ritual: monthly-review, rrule: "FREQ=MONTHLY;BYDAY=1TU", audience: executive, channel: meeting,
              recipients: [client-executives]}}
        escalation:
          - {{level: 1, contacts: [dana], when: A risk triggers}}
        """)


def onepager(client: str, verdict: str) -> dict[str, Any]:
    """A one-pager as the report notebook records it (see csnb.report.onepager), for one amber client."""
    return {
        "version": 1,
        "client": NAMES[client],
        "as_of": AS_OF,
        "as_of_text": "15 Oct 2026",
        "band": "amber",
        "status_label": "Amber",
        "verdict": verdict,
        "health": {"score_text": "63 / 100", "band": "amber", "label": "Amber", "reason": "Held at amber."},
        "goals": [
            {
                "name": "Cut manual routing time",
                "status": "off_track",
                "label": "Off track",
                "band": "red",
                "current": "527 min",
                "target": "450 min by 31 Dec 2026",
                "data_as_of": "14 Oct 2026",
                "spark": [612.0, None, 580.5, 560.0, 527.1],
                "note": None,
            },
            {
                "name": "Forecast demand",
                "status": "no_data",
                "label": "No data yet",
                "band": "grey",
                "current": "—",
                "target": "90% by 31 Dec 2026",
                "data_as_of": "—",
                "spark": [],
                "note": "No data yet: expected from 1 Nov 2026 (Warehouse)",
            },
        ],
        "changed": ["Manual routing time fell from 560 min to 527 min."],
        "why": ["Routing time is the goal the renewal depends on."],
        "next": [{"text": "Agents trained (on track)", "owner": "Dana Ortiz", "date": "4 Nov 2026"}],
        "needed": [
            {
                "text": "Call recordings (overdue by 3 days)",
                "owner": "Ops Lead",
                "due": "12 Oct 2026",
                "overdue": True,
            }
        ],
        "recovery": [
            {
                "for": "Cut manual routing time",
                "action": "Second routing workshop",
                "owner": "Dana Ortiz",
                "due": "28 Oct 2026",
                "status": "Planned",
            }
        ],
        "full_report": "The full report, with every chart, milestone and risk, follows below.",
    }


def write_report(project: Path, client: str, text: str, chart: bool = False, summary: bool = True) -> Path:
    """An executed report notebook and its interactive HTML in reports/<client>/<as_of>/.

    ``text`` is the one-pager's verdict and the HTML's text; ``summary=False`` leaves the one-pager out,
    as in a report made by an older csnb.
    """
    folder = project / "reports" / client / AS_OF
    folder.mkdir(parents=True, exist_ok=True)
    data = {"text/html": f"<div class='csnb'><h2>Summary</h2><p>{text}</p></div>"}
    if summary:
        data[ONEPAGER_MIME] = onepager(client, text)
    html_out = new_output("display_data", data=data)
    cells = [new_code_cell("summary()", outputs=[html_out])]
    if chart:
        cells.append(
            new_code_cell(
                "chart()",
                outputs=[
                    new_output(
                        "display_data",
                        data={"application/vnd.vegalite.v5+json": CHART, "text/plain": "Calls per week"},
                    )
                ],
            )
        )
    nbformat.write(new_notebook(cells=cells), folder / "operator.ipynb")
    html = folder / "operator.html"
    html.write_text(
        f"<!DOCTYPE html><html><body><p>{text}</p><script>var drawCharts = 1;</script></body></html>",
        encoding="utf-8",
    )
    return html


def make_project(root: Path, port: int, mail: str = "", plans: dict[str, str] | None = None) -> Project:
    """Two clients with reports for AS_OF and a [mail] section pointing at the test server on ``port``.

    ``mail`` adds lines to the [mail] section; ``plans`` replaces a client's plan text.
    """
    settings = textwrap.dedent(f"""\
        [store]
        url = "sqlite:///{root / "store.db"}"
        [mail]
        host = "127.0.0.1"
        port = {port}
        security = "none"
        from = "Customer Success <cs@provider.example>"
        subject = "{{client_name}}: {{ritual}} for {{as_of}}"
        timeout = 1
        """)
    write_project(
        root,
        {client: plan_yaml(client) for client in NAMES} | (plans or {}),
        as_of=AS_OF,
        settings=settings + mail + "\n",
    )
    for client in NAMES:
        write_report(root, client, f"{NAMES[client]} is on track. {CANARY[client]}", chart=client == "alpha")
    return Project(root)
