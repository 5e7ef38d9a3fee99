"""The guard: the last check on every message before it leaves or is written as ``.eml``.

An address that is not in this client's plan, an address or domain of another plan's client-side
people, a client-side address outside ``client.domains``, a plan whose client id another plan file
claims too, a file from outside this client's report folder, or another client's name, id or address
anywhere in the message stops it with ``UnsafeMessageError``. The other plans are read as written, so a
plan that fails validation still protects its people.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import getaddresses
from pathlib import Path
from typing import TYPE_CHECKING

from csnb.delivery.smtp import DeliveryError
from csnb.plan.claims import read_claims
from csnb.plan.people import domain_of, within

if TYPE_CHECKING:
    from csnb.delivery.message import Outgoing
    from csnb.plan.models import Plan
    from csnb.project.folder import Project

STATIC_SCRIPT = re.compile(r"<script>.*?</script>", re.S)  # the bundle and chart glue: package code, no data
ACTIVE = re.compile(r"<script|javascript:|\son\w+\s*=|<iframe|<object|<embed|\bsrc=\"https?:", re.I)


class UnsafeMessageError(DeliveryError):
    """The guard stopped a message that could reach the wrong people or carry another client's data."""


# -- the guard -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Markers:
    """What identifies the project's other clients (ids, names, client-side addresses and domains), and
    why this plan cannot be told apart from them (``conflicts``: then nothing is sent)."""

    words: tuple[str, ...] = ()
    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    conflicts: tuple[str, ...] = ()

    def pattern(self) -> re.Pattern[str] | None:
        """One case-insensitive pattern matching any marker as a whole word."""
        parts = [r"\s+".join(map(re.escape, w.split())) for w in self.words]
        parts += [re.escape(a) for a in self.addresses]
        if not parts:
            return None
        return re.compile(
            r"(?<![\w.@-])(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?![\w@-])", re.I
        )

    def owner(self, address: str) -> str | None:
        """Why ``address`` belongs to another client (its address or its domain), or None."""
        address = address.lower()
        if address in self.addresses:
            return f"{address} is another client's contact"
        domain = domain_of(address)
        if any(within(domain, d) for d in self.domains):
            return f"the domain of {address} belongs to another client"
        return None


def foreign_markers(project: Project, plan: Plan) -> Markers:
    """Markers of every other plan file of the project, read as written (a plan that fails validation too)."""
    words: set[str] = set()
    addresses: set[str] = set()
    domains: set[str] = set()
    conflicts = _identity_conflicts(project, plan)
    for path in project.plan_paths():
        other = read_claims(path)
        if plan.path is not None and other.real == plan.path:
            continue
        if plan.id in other.ids:
            conflicts.append(f"client id {plan.id} is also claimed by {path.name}")
        words |= {c for c in other.ids if c != plan.id} | ({other.name} if other.name else set())
        addresses |= other.client_addresses()
        domains |= other.owned_domains()
    mine = " ".join([plan.id, plan.client.name] + [p.email or "" for p in plan.people])
    # a word that is also part of this client's own identity cannot tell the clients apart
    kept = tuple(w for w in sorted(words) if not Markers((w,)).pattern().search(mine))  # type: ignore[union-attr]
    # another client's contact stays a marker even when this plan lists it: then nothing is sent
    return Markers(kept, frozenset(addresses), frozenset(domains), tuple(conflicts))


def _identity_conflicts(project: Project, plan: Plan) -> list[str]:
    """Why this plan is not the one plan of its client id in this project, if it is not."""
    path = plan.path
    if path is None or path not in {p.resolve() for p in project.plan_paths()}:
        return [
            f"the plan of client {plan.id} was not read from this project's {project.config.parameters.name}/"
        ]
    if path.stem != plan.id:
        return [f"the plan file {path.name} says it is client {plan.id}; a plan's file name is its client id"]
    return []


def guard(out: Outgoing, plan: Plan, others: Markers, reports: Path, copies: tuple[str, ...] = ()) -> None:
    """Raise ``UnsafeMessageError`` unless the message is only this client's, for people of this plan."""
    problem = (
        _identity_problem(out, plan, others)
        or _address_problem(out, plan, others, copies)
        or _source_problem(out, plan, reports)
        or _content_problem(out, others)
    )
    if problem:
        raise UnsafeMessageError(f"client {plan.id}, {out.kind} {out.ritual}: not sent: {problem}")


def _identity_problem(out: Outgoing, plan: Plan, others: Markers) -> str | None:
    if out.client != plan.id or out.message.get("X-Csnb-Client") != plan.id:
        return f"the message was built for client {out.client!r}"
    return "; ".join(others.conflicts) or None


def _foreign_problem(plan: Plan, others: Markers, addresses: set[str], copies: set[str]) -> str | None:
    """An address that belongs to another client, or a client-side address outside ``client.domains``."""
    client_side = {p.email.lower() for p in plan.people if p.email and p.side == "client"}
    for address in sorted(addresses):
        found = others.owner(address) if address in client_side | copies else None
        if found is None and address in others.addresses:
            found = f"{address} is another client's contact"
        if found:
            return found
        domains = plan.client.domains
        if address in client_side and domains and not any(within(domain_of(address), d) for d in domains):
            return f"{address} is not in the client's domains ({', '.join(domains)})"
    return None


def _address_problem(out: Outgoing, plan: Plan, others: Markers, copies: tuple[str, ...]) -> str | None:
    sides = ("provider",) if out.kind == "alert" else ("provider", "client")
    allowed = {p.email.lower() for p in plan.people if p.email and p.side in sides}
    allowed |= set(copies) - others.addresses if out.kind == "report" else set()
    headers = {
        a.lower()
        for _, a in getaddresses(
            out.message.get_all("To", []) + out.message.get_all("Cc", []) + out.message.get_all("Bcc", [])
        )
    }
    envelope = {a.lower() for a in out.envelope}
    strangers = sorted((headers | envelope) - allowed)
    if strangers:
        return f"{', '.join(strangers)} {'is' if len(strangers) == 1 else 'are'} not in this plan's people"
    foreign = _foreign_problem(plan, others, headers | envelope, {c.lower() for c in copies})
    if foreign:
        return foreign
    if not envelope or not envelope <= headers:
        return "the envelope names addresses the message's headers do not"
    return None


def _source_problem(out: Outgoing, plan: Plan, reports: Path) -> str | None:
    home = (Path(reports) / plan.id).resolve()
    for source in out.sources:
        if not source.resolve().is_relative_to(home):
            return f"{source.name} is not in this client's report folder"
    if not out.folder.resolve().is_relative_to(home):
        return "the message's folder is not this client's"
    sources = {hashlib.sha256(s.read_bytes()).hexdigest() for s in out.sources}
    bodies = {id(out.message.get_body((kind,))) for kind in ("plain", "html")}
    for part in out.message.walk():
        if part.is_multipart() or id(part) in bodies:
            continue
        digest = hashlib.sha256(part.get_payload(decode=True) or b"").hexdigest()
        if part.get_content_maintype() == "image":
            if digest not in out.derived:
                return "an image that was not made from this client's report"
        elif digest not in sources:  # any other part must be one of this client's report files, unchanged
            name = part.get_filename() or part.get_content_type()
            return f"attachment {name} is not a file of this client's report"
    return None


def _texts(out: Outgoing) -> Iterator[tuple[str, str, bool]]:
    """(where, text, is_body) of every header and text part, and of the SVGs the images were drawn from."""
    for header in ("Subject", "From", "To"):
        yield header, str(out.message.get(header, "")), False
    for part in out.message.walk():
        if not part.is_multipart() and part.get_content_maintype() == "text":
            text = part.get_content()
            attached = bool(part.get_filename())
            yield (
                part.get_filename() or f"{part.get_content_type()} body",
                STATIC_SCRIPT.sub("", text) if attached else text,
                not attached,
            )
    for number, svg in enumerate(out.derived.values(), start=1):
        yield f"image {number}", svg, False


def _content_problem(out: Outgoing, others: Markers) -> str | None:
    pattern = others.pattern()
    for where, text, body in _texts(out):
        if body and ACTIVE.search(text):
            return f"the {where} holds script or remote content"
        found = pattern.search(text) if pattern else None
        if found and where != "From":
            return f"the {where} mentions another client ({found.group(0)!r})"
    return None
