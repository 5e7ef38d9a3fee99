"""``csnb send`` and ``csnb calendar``: e-mail a client's reports, and its rituals as an ``.ics`` file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from csnb.cli.common import _date, _say, app, err


@app.command()
def send(
    client: Annotated[str, typer.Argument(help="Client id (the plan's file name).")],
    ritual: Annotated[
        str | None, typer.Option(help="Only this ritual (default: every e-mail ritual).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Send the report of this date (default: newest).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write .eml files next to the reports; send nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Send again a report already sent for its ritual.")
    ] = False,
    store: Annotated[
        str | None, typer.Option(help="Store URL (default: csnb.toml or .csnb/store.db).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    attach: Annotated[
        str | None,
        typer.Option(
            help="Full report attached: static (SVG charts, no script) or interactive "
            "(default: [mail] attach, else static)."
        ),
    ] = None,
    pdf: Annotated[
        bool | None,
        typer.Option(
            "--pdf/--no-pdf",
            help="Also attach the executive edition as a one-page PDF (default: [mail] attach_pdf).",
        ),
    ] = None,
) -> None:
    """E-mail a client's report to the recipients of each e-mail ritual in its plan (`[mail]` in csnb.toml).

    The body is the report's one-page summary; the full report is attached.
    Exit status: 0 all delivered (or already sent), 1 some message failed, was refused or stopped as unsafe,
    2 bad option, plan or settings (PDF without Playwright and Chromium).

    Example: `csnb send acme --dry-run` · `csnb send acme --ritual weekly-update --attach interactive --pdf`
    """
    from csnb.delivery.send import send_client

    done = send_client(
        client,
        ritual=ritual,
        as_of=_date(as_of, "--as-of"),
        dry_run=dry_run,
        force=force,
        store_url=store,
        attach=attach,
        attach_pdf=pdf,
    )
    report(done, as_json)


def report(done: list[Any], as_json: bool = False) -> None:
    """Print what was delivered and exit 1 when something was not."""
    if as_json:
        sys.stdout.write(json.dumps([d.to_dict() for d in done], indent=2, default=str) + "\n")
    for d in [] if as_json else done:
        what = f"{d.kind} {d.client} {d.ritual} {d.as_of}".strip()
        if d.status in ("sent", "written"):
            _say(
                f"{d.status} {what} to {', '.join(d.recipients)}" + (f": {d.path}" if d.path else ""), "green"
            )
        elif d.status == "skipped":
            _say(f"skipped {what}: {d.error}", "dim")
        else:
            _say(f"{d.status} {what}: {d.error}", "red", err)
    if any(d.status in ("failed", "partial", "unsafe") for d in done):
        raise typer.Exit(1)


@app.command()
def calendar(
    client: Annotated[str, typer.Argument(help="Client id (the plan's file name).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="The .ics file (default: reports/CLIENT/CLIENT.ics).")
    ] = None,
) -> None:
    """Write the plan's rituals (recurring, with attendees and agenda) and milestone due dates to .ics.

    Example: `csnb calendar acme --out acme.ics`
    """
    from csnb.plan.calendar import write_calendar
    from csnb.project.folder import Project

    project = Project()
    plan = project.plan(client)
    path = write_calendar(plan, out or project.config.layout.calendar(plan.id))
    _say(f"wrote {path}")
