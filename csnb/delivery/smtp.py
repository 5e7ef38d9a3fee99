"""Sending e-mail: the ``[mail]`` settings of ``csnb.toml`` and one SMTP connection.

``mail_settings`` reads and checks the settings (the password is never in the file, only the name of the
environment variable holding it); ``Transport`` sends a message to its envelope and reports refused
addresses; ``describe_error`` turns a sending error into one line for the record.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from csnb.errors import ConfigError, CsnbError, Issue

# "Acme Logistics · weekly update · 15 Oct 2026 · Amber": who, which ritual, when, and the verdict in a word
DEFAULT_SUBJECT = "{client_name} · {ritual_name} · {date} · {status}"
SUBJECT_FIELDS = (
    "client",
    "client_name",
    "ritual",
    "ritual_name",
    "audience",
    "as_of",
    "date",
    "status",
    "provider",
)
ATTACH = ("static", "interactive")  # which edition of the full report travels with the message
MAIL_KEYS = {
    "attach",
    "attach_pdf",
    "host",
    "port",
    "security",
    "user",
    "password_env",
    "from",
    "subject",
    "alert_subject",
    "timeout",
    "copies",
}
PORTS = {"ssl": 465, "starttls": 587, "none": 25}


class DeliveryError(CsnbError):
    """A message could not be built or sent; names the client and ritual, never a secret."""


# -- settings -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailSettings:
    """``[mail]`` of ``csnb.toml``; the password is read from ``password_env`` only when connecting."""

    host: str = "localhost"
    port: int = 0  # 0: the usual port of `security`
    security: str = "starttls"
    user: str | None = None
    password_env: str | None = None
    sender: str | None = None
    subject: str = DEFAULT_SUBJECT
    alert_subject: str = "Alert, {client_name}: {event}"
    timeout: float = 30.0
    copies: tuple[str, ...] = ()  # provider-side addresses that receive every report (an archive, a CRM)
    attach: str = "static"  # static: SVG charts and no script (safe in any mail client); interactive
    attach_pdf: bool = False  # also attach the executive edition as a one-page PDF

    @property
    def smtp_port(self) -> int:
        """The port to connect to."""
        return self.port or PORTS[self.security]


def mail_settings(extra: dict[str, Any], where: str = "csnb.toml") -> MailSettings:
    """The ``[mail]`` section as settings (defaults when absent); unknown keys and bad values are errors."""
    raw = dict(extra.get("mail", {}))
    issues = [
        Issue(where, 0, 0, f"mail.{k}", f"unknown setting (known: {', '.join(sorted(MAIL_KEYS))})")
        for k in raw
        if k not in MAIL_KEYS
    ]
    if raw.get("security", "starttls") not in PORTS:
        issues.append(Issue(where, 0, 0, "mail.security", "use starttls, ssl or none"))
    if raw.get("attach", "static") not in ATTACH:
        issues.append(Issue(where, 0, 0, "mail.attach", f"use {' or '.join(ATTACH)}"))
    if not isinstance(raw.get("attach_pdf", False), bool):
        issues.append(Issue(where, 0, 0, "mail.attach_pdf", "use true or false"))
    if "password" in raw:
        issues.append(
            Issue(
                where,
                0,
                0,
                "mail.password",
                "never write the password here: name an environment variable in password_env",
            )
        )
    if issues:
        raise ConfigError(issues)
    raw["sender"] = raw.pop("from", None)
    raw["copies"] = tuple(str(a).strip().lower() for a in raw.get("copies", ()))
    for key in ("subject", "alert_subject"):
        if key in raw:
            _check_template(str(raw[key]), key, where)
    try:
        return MailSettings(**{k: v for k, v in raw.items() if k in MailSettings.__dataclass_fields__})
    except TypeError as exc:
        raise ConfigError([Issue(where, 0, 0, "mail", str(exc))]) from None


def _check_template(text: str, key: str, where: str) -> None:
    import string

    allowed = set(SUBJECT_FIELDS) | ({"event"} if key == "alert_subject" else set())
    try:  # plain names only: "{client_name.__class__}" would reach into Python objects
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise ConfigError([Issue(where, 0, 0, f"mail.{key}", f"not a subject template: {exc}")]) from None
    if fields - allowed:
        raise ConfigError(
            [
                Issue(
                    where,
                    0,
                    0,
                    f"mail.{key}",
                    f"unknown field(s) {sorted(fields - allowed)} (use {', '.join(sorted(allowed))})",
                )
            ]
        )


# -- sending -------------------------------------------------------------------------------------------


class Transport:
    """One SMTP connection, opened on first use and reopened after an error; never logs the password."""

    def __init__(self, settings: MailSettings):
        self.settings = settings
        self.conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.smtp_port, timeout=s.timeout, context=context)
        else:
            conn = smtplib.SMTP(s.host, s.smtp_port, timeout=s.timeout)
            if s.security == "starttls":
                conn.starttls(context=context)
        if s.user:
            password = os.environ.get(s.password_env or "")
            if password is None:
                conn.close()
                raise ConfigError(
                    f"[mail] user is set but the environment variable "
                    f"{s.password_env or '(password_env)'} is not"
                )
            conn.login(s.user, password)
        return conn

    def send(self, msg: EmailMessage, envelope: Iterable[str]) -> dict[str, str]:
        """Send to ``envelope``; return refused addresses and replies (raises when nobody got it)."""
        try:
            self.conn = self.conn or self._connect()
            refused = self.conn.send_message(msg, to_addrs=list(envelope))
        except smtplib.SMTPRecipientsRefused as exc:
            return {a: _reply(code, text) for a, (code, text) in exc.recipients.items()}
        except (TimeoutError, smtplib.SMTPException, OSError):
            self.close()  # the connection's state is unknown: the next message starts afresh
            raise
        return {a: _reply(code, text) for a, (code, text) in refused.items()}

    def close(self) -> None:
        """Quit the connection, if any."""
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"[:300]


def describe_error(exc: BaseException) -> str:
    """A one-line description of a sending error (an SMTP reply, a timeout, a refused connection)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"[:300]
