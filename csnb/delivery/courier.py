"""Carrying messages out: one delivery session (settings, the record, one SMTP connection), every message
claimed in the record, guarded last, then sent or written as ``.eml``."""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csnb.delivery.guard import Markers, UnsafeMessageError, foreign_markers, guard
from csnb.delivery.message import Outgoing
from csnb.delivery.smtp import ATTACH, Transport, describe_error, mail_settings
from csnb.errors import ConfigError, CsnbError, InputError
from csnb.fs import write_atomic
from csnb.render.pdf import require_pdf
from csnb.store.deliveries import MailLog

if TYPE_CHECKING:
    from csnb.plan.models import Plan
    from csnb.project.folder import Project


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
        attach: str | None = None,
        attach_pdf: bool | None = None,
    ):
        cfg = project.config
        self.project, self.dry_run, self.force = project, dry_run, force
        self.settings = mail_settings(cfg.extra, str(cfg.root / "csnb.toml"))
        if attach is not None and attach not in ATTACH:
            raise InputError(f"--attach: use {' or '.join(ATTACH)}, not {attach!r}")
        # a command's options win over csnb.toml, for this session only
        chosen = {"attach": attach, "attach_pdf": attach_pdf}
        self.settings = replace(self.settings, **{k: v for k, v in chosen.items() if v is not None})
        if self.settings.attach_pdf:
            require_pdf()  # before any message: a missing browser is one clear error, not one per client
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
    return write_atomic(out.eml_path, out.message.as_bytes())
