"""Delivering reports by e-mail: recipients from the plan, one message per (client, ritual), a guard, SMTP.

A message is built from one client's report folder: an e-mail-safe body (the report's executive
one-pager, styles inlined, sparklines as PNG images referenced by ``cid:``), the full report attached
(static by default, interactive on request, and optionally the one-page PDF), and a subject from
``[mail] subject`` in ``csnb.toml``. ``guard`` runs on every message at the last step
before it leaves or is written as ``.eml``: an address that is not in this client's plan, a file from
outside this client's report folder, or another client's name, id or address anywhere in the message
stops it. Deliveries are recorded in the store (table ``deliveries``), so a report sent for a ritual is
not sent again, and refused recipients or failed messages are retried on the next run.

``message`` builds, ``guard`` checks, the store's ``MailLog`` records, ``courier`` sends; re-exported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csnb.delivery.courier import Courier, Delivered
from csnb.delivery.escalation import escalate_report, resend_alert
from csnb.delivery.guard import Markers, UnsafeMessageError, foreign_markers, guard
from csnb.delivery.message import (
    Outgoing,
    new_message,
    recipients,
    report_message,
    subject_line,
)
from csnb.delivery.smtp import DeliveryError, MailSettings, Transport, describe_error, mail_settings
from csnb.errors import InputError, PlanError
from csnb.plan.cadence import latest_occurrence
from csnb.project.folder import Project
from csnb.store.deliveries import MailLog

if TYPE_CHECKING:
    from csnb.plan.models import Plan, Ritual
    from csnb.project.folder import Project

__all__ = [  # the names other modules and tests import from here
    "Courier",
    "Delivered",
    "DeliveryError",
    "MailLog",
    "MailSettings",
    "Markers",
    "Outgoing",
    "Transport",
    "UnsafeMessageError",
    "deliver",
    "describe_error",
    "email_rituals",
    "foreign_markers",
    "guard",
    "mail_settings",
    "new_message",
    "recipients",
    "report_message",
    "report_path",
    "retry_pending",
    "rituals_for",
    "send_client",
    "send_report",
    "subject_line",
]


# -- recipients -----------------------------------------------------------------------------------------


def email_rituals(plan: Plan, audience: str | None = None, ritual: str | None = None) -> list[Ritual]:
    """The plan's rituals delivered by e-mail (optionally one audience or one named ritual)."""
    if ritual is not None:
        found = [r for r in plan.cadence if r.ritual == ritual]
        if not found:
            known = ", ".join(r.ritual for r in plan.cadence) or "none"
            raise InputError(f"--ritual: client {plan.id} has no ritual {ritual!r} (known: {known})")
        if found[0].channel != "email":
            raise InputError(
                f"--ritual: {ritual} of client {plan.id} is delivered by {found[0].channel}, not e-mail"
            )
        return found
    return [r for r in plan.cadence if r.channel == "email" and (audience is None or r.audience == audience)]


def _report_values(plan: Plan, ritual: Ritual, html: Path) -> dict[str, Any]:
    return {
        "kind": "report",
        "client": plan.id,
        "ritual": ritual.ritual,
        "audience": ritual.audience,
        "as_of": html.parent.name,
        "report": str(html),
    }


def send_report(courier: Courier, plan: Plan, ritual: Ritual, html: Path) -> Delivered:
    """Deliver one ritual's report (the executed notebook beside ``html`` gives the e-mail body)."""
    values = _report_values(plan, ritual, html)
    key = f"report|{plan.id}|{ritual.ritual}|{ritual.audience}|{values['as_of']}"

    def build() -> Outgoing:
        notebook = html.with_suffix(".ipynb")
        if not html.is_file() or not notebook.is_file():
            raise DeliveryError(
                f"client {plan.id}: no report at {html} (run `csnb run {plan.id} "
                f"--audience {ritual.audience}` first)"
            )
        return report_message(courier.project, plan, ritual, html, notebook, courier.settings)

    return courier.dispatch(key, values, plan, build)


def rituals_for(plan: Plan, audience: str, ritual: str, as_of: dt.date) -> list[Ritual]:
    """The e-mail rituals a report serves: the one it was run for and any of its audience due the same day."""
    from zoneinfo import ZoneInfo

    rituals = email_rituals(plan, audience)
    if not ritual:
        return rituals
    end = dt.datetime.combine(as_of, dt.time(23, 59, 59), tzinfo=ZoneInfo(plan.client.timezone))
    return [
        r
        for r in rituals
        if r.ritual == ritual or ((w := latest_occurrence(plan, r, end)) is not None and w.date() == as_of)
    ]


def deliver(
    results: Iterable[Any],
    project: Project | None = None,
    *,
    dry_run: bool = False,
    force: bool = False,
    store_url: str | None = None,
    escalate: bool = True,
    transport: Transport | None = None,
) -> list[Delivered]:
    """E-mail a run's successful reports (``Result``s) to their rituals' recipients, alerts, retries."""

    project = project or Project()
    courier = Courier(project, dry_run=dry_run, force=force, store_url=store_url, transport=transport)
    done: list[Delivered] = []
    try:
        for result in results:
            if result.status != "ok" or not result.html:
                continue
            plan = _plan(project, result.client, done)
            if plan is None:
                continue
            as_of = dt.date.fromisoformat(result.as_of)
            for ritual in rituals_for(plan, result.audience, result.ritual, as_of):
                done.append(send_report(courier, plan, ritual, Path(result.html)))
            if escalate:
                done += escalate_report(courier, plan, result.audience, as_of)
        if not dry_run:
            done += retry_pending(courier, {(d.kind, d.client, d.ritual) for d in done})
    finally:
        courier.close()
    return done


def send_client(
    client: str,
    project: Project | None = None,
    *,
    ritual: str | None = None,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    force: bool = False,
    store_url: str | None = None,
    transport: Transport | None = None,
    attach: str | None = None,
    attach_pdf: bool | None = None,
) -> list[Delivered]:
    """``csnb send``: e-mail one client's newest report (or the one of ``as_of``) for each e-mail ritual.

    ``attach`` (static | interactive) and ``attach_pdf`` override ``[mail]`` of csnb.toml for this send.
    """

    project = project or Project()
    plan = project.plan(client)
    rituals = email_rituals(plan, ritual=ritual)
    if not rituals:
        raise InputError(f"client {client}: no ritual of the plan's cadence has channel: email")
    courier = Courier(
        project,
        dry_run=dry_run,
        force=force,
        store_url=store_url,
        transport=transport,
        attach=attach,
        attach_pdf=attach_pdf,
    )
    done: list[Delivered] = []
    try:
        for r in rituals:
            html = report_path(project, plan.id, r.audience, as_of)
            done.append(send_report(courier, plan, r, html))
        for audience, day in sorted(
            {(r.audience, report_path(project, plan.id, r.audience, as_of).parent.name) for r in rituals}
        ):
            if _is_date(day):
                done += escalate_report(courier, plan, audience, dt.date.fromisoformat(day))
    finally:
        courier.close()
    return done


def report_path(project: Project, client: str, audience: str, as_of: dt.date | None) -> Path:
    """The report of ``as_of``, else the newest one of this audience (a path that may not exist)."""
    layout = project.config.layout
    if as_of is None:
        days = layout.report_dates(client, audience)
        return layout.report(client, days[-1] if days else "no-report", audience)
    return layout.report(client, as_of, audience)


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
        return True
    except ValueError:
        return False


def _plan(project: Project, client: str, done: list[Delivered]) -> Plan | None:
    try:
        return project.plan(client)
    except PlanError as exc:
        done.append(Delivered("report", client, "", "", "failed", error=str(exc)))
        return None


def retry_pending(courier: Courier, handled: set[tuple[str, str, str]]) -> list[Delivered]:
    """Send again what failed or was refused on an earlier run, unless a newer report of it exists."""
    from email import message_from_bytes, policy

    rows = courier.log.retryable() if courier.log is not None else []
    newest: dict[tuple[str, str, str], str] = {}
    for row in courier.log.rows() if rows else []:  # type: ignore[union-attr]
        k = (row["kind"], row["client"], row["ritual"])
        newest[k] = max(newest.get(k, ""), row["as_of"])
    done = []
    for row in rows:
        k = (row["kind"], row["client"], row["ritual"])
        if k in handled or row["as_of"] < newest.get(k, ""):
            continue  # this run already dealt with it, or a newer report replaces it
        plan = _plan(courier.project, row["client"], done)
        if plan is None:
            continue
        if row["kind"] == "report":
            ritual = next((r for r in plan.cadence if r.ritual == row["ritual"]), None)
            if ritual is not None:
                done.append(send_report(courier, plan, ritual, Path(row["report"])))
        elif row["raw"]:
            done.append(
                resend_alert(courier, plan, row, message_from_bytes(row["raw"], policy=policy.default))
            )
    return done
