"""Delivering reports by e-mail: recipients from the plan, one message per (client, ritual), a guard, SMTP.

A message is built from one client's report folder: an e-mail-safe body (the report rendered in static
mode, CSS inlined, charts as PNG images referenced by ``cid:``), the interactive HTML attached, and a
subject from ``[mail] subject`` in ``csnb.toml``. ``guard`` runs on every message at the last step
before it leaves or is written as ``.eml``: an address that is not in this client's plan, a file from
outside this client's report folder, or another client's name, id or address anywhere in the message
stops it. Deliveries are recorded in the store (table ``deliveries``), so a report sent for a ritual is
not sent again, and refused recipients or failed messages are retried on the next run.

``mailbody`` builds, ``mailguard`` checks, ``maillog`` records, ``mailsend`` sends; re-exported here.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csnb.delivery.guard import Markers, UnsafeMessageError, foreign_markers, guard
from csnb.delivery.message import (
    Outgoing,
    email_body,
    new_message,
    recipients,
    report_message,
    subject_line,
    svgs_to_png,
)
from csnb.delivery.smtp import DeliveryError, MailSettings, Transport, describe_error, mail_settings
from csnb.errors import ConfigError, CsnbError, InputError, PlanError
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
    "email_body",
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
    "svgs_to_png",
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


@dataclass
class Delivered:
    """What happened to one message: sent, partly refused, failed, written (dry run) or skipped."""

    kind: str
    client: str
    ritual: str
    as_of: str
    status: str  # sent | partial | failed | written | skipped | unsafe
    recipients: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    path: str | None = None
    message_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return dict(self.__dict__)


# -- carrying it out -------------------------------------------------------------------------------------


class Courier:
    """One delivery session: settings, the record, one SMTP connection; each message passes ``guard`` last."""

    def __init__(
        self,
        project: Project,
        *,
        dry_run: bool = False,
        force: bool = False,
        store_url: str | None = None,
        transport: Transport | None = None,
    ):
        cfg = project.config
        self.project, self.dry_run, self.force = project, dry_run, force
        self.settings = mail_settings(cfg.extra, str(cfg.root / "csnb.toml"))
        if not dry_run and not self.settings.sender:
            raise ConfigError("set [mail] from (and host, port, security) in csnb.toml before sending")
        if not dry_run and self.settings.user and (self.settings.password_env or "") not in os.environ:
            raise ConfigError(
                f"[mail] user is set: put the password in the environment variable named by "
                f"password_env ({self.settings.password_env or 'not set'})"
            )
        self.store_url = store_url or cfg.store_url
        self.log = None if dry_run else MailLog(self.store_url)
        self.transport = transport or Transport(self.settings)
        self._markers: dict[str, Markers] = {}

    def markers(self, plan: Plan) -> Markers:
        """The other clients' markers, computed once per client and session."""
        if plan.id not in self._markers:
            self._markers[plan.id] = foreign_markers(self.project, plan)
        return self._markers[plan.id]

    def dispatch(self, key: str, values: dict[str, Any], plan: Plan, build: Any) -> Delivered:
        """Claim, build, guard and send (or write) one message; every failure is recorded, never raised."""
        base = Delivered(values["kind"], plan.id, values["ritual"], values["as_of"], "skipped")
        previous = {} if self.dry_run else self.log.claim(key, values, self.force)  # type: ignore[union-attr]
        if previous is None:
            base.error = "already sent (use --force to send again)"
            return base
        try:
            out: Outgoing = build()
            _narrow(out, previous, self.force)
            guard(out, plan, self.markers(plan), Path(self._reports()), self.settings.copies)
        except CsnbError as exc:
            return self._failed(key, base, exc, "unsafe" if isinstance(exc, UnsafeMessageError) else "failed")
        base.recipients, base.message_id = list(out.envelope), out.message["Message-ID"]
        if self.dry_run:
            base.status, base.path = "written", str(_write_eml(out))
            return base
        return self._send(key, base, out, previous)

    def _reports(self) -> Path:
        return self.project.config.reports

    def _send(self, key: str, base: Delivered, out: Outgoing, previous: dict[str, Any]) -> Delivered:
        try:
            refused = self.transport.send(out.message, out.envelope)
        except (smtplib.SMTPException, OSError) as exc:
            base.status, base.error, refused = "failed", describe_error(exc), {}
        else:
            everyone = set(refused) >= set(out.envelope)
            base.status = "failed" if everyone else "partial" if refused else "sent"
            base.refused = refused
            base.error = "; ".join(f"{a}: {r}" for a, r in refused.items()) or None
        accepted = sorted(
            set(previous.get("accepted") or []) | (set(out.envelope) - set(refused))
            if base.status != "failed"
            else previous.get("accepted") or []
        )
        raw = out.message.as_bytes() if out.kind == "alert" else None  # a retried alert keeps its words
        self.log.finish(
            key,
            status=base.status,
            accepted=accepted,
            refused=refused,  # type: ignore[union-attr]
            error=base.error,
            message_id=base.message_id,
            recipients=list(out.envelope),
            subject=str(out.message["Subject"]),
            raw=raw,
        )
        return base

    def _failed(self, key: str, base: Delivered, exc: CsnbError, status: str) -> Delivered:
        base.status, base.error = status, str(exc)
        if self.log is not None:
            self.log.finish(key, status="failed", error=base.error)
        return base

    def close(self) -> None:
        """Close the SMTP connection and the store."""
        self.transport.close()
        if self.log is not None:
            self.log.dispose()


def _narrow(out: Outgoing, previous: dict[str, Any], force: bool) -> None:
    """A retry goes only to the addresses that refused it last time, under the same Message-ID."""
    if force or not previous:
        return
    if previous.get("message_id"):
        del out.message["Message-ID"]
        out.message["Message-ID"] = previous["message_id"]
    if previous.get("status") == "partial" and previous.get("refused"):
        out.envelope = tuple(a for a in out.envelope if a in previous["refused"])


def _write_eml(out: Outgoing) -> Path:
    """Write the message for review, atomically, next to the report."""
    path = out.eml_path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(out.message.as_bytes())
    os.replace(tmp, path)
    return path


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

    from csnb.plan.cadence import latest_occurrence

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
    from csnb.delivery.escalation import escalate_report
    from csnb.project.folder import Project

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
) -> list[Delivered]:
    """``csnb send``: e-mail one client's newest report (or the one of ``as_of``) for each e-mail ritual."""
    from csnb.delivery.escalation import escalate_report
    from csnb.project.folder import Project

    project = project or Project()
    plan = project.plan(client)
    rituals = email_rituals(plan, ritual=ritual)
    if not rituals:
        raise InputError(f"client {client}: no ritual of the plan's cadence has channel: email")
    courier = Courier(project, dry_run=dry_run, force=force, store_url=store_url, transport=transport)
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
    folder = project.config.reports / client
    if as_of is not None:
        return folder / as_of.isoformat() / f"{audience}.html"
    days = sorted(p.parent.name for p in folder.glob(f"*/{audience}.html") if _is_date(p.parent.name))
    return folder / (days[-1] if days else "no-report") / f"{audience}.html"


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
            from csnb.delivery.escalation import resend_alert

            done.append(
                resend_alert(courier, plan, row, message_from_bytes(row["raw"], policy=policy.default))
            )
    return done
