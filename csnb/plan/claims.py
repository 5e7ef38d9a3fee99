"""What each plan claims as its client's own, and where two plans of one project claim the same thing.

A plan claims its client id (its file name, and ``client.id`` when written), the addresses of its
client-side people, the client's e-mail domains (``client.domains`` and the domains of those
addresses), and the databases of its sql sources. Two plans may not claim one id, one client-side
address or one domain, and a database read by two plans must be read with ``:client`` bound in
every query (unless the plan says the source is ``dedicated`` to its client). Claims are read from
the YAML as written, so a plan that fails validation still protects its client's people.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csnb.errors import InputError, Issue
from csnb.plan.fields import ENV_REF
from csnb.plan.load import in_plans_folder
from csnb.plan.located import Located, load_located
from csnb.plan.people import PUBLIC_DOMAINS, domain_of

# How SQLAlchemy's text() finds bound parameters (":name", not "::cast" nor "\:escaped").
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


def binds_client(query: str) -> bool:
    """Whether an SQL query binds the ``:client`` parameter."""
    return "client" in _BIND.findall(query)


@dataclass(frozen=True)
class SqlUse:
    """One sql source of a plan: its database (the URL as written) and the metrics that query it."""

    name: str
    url: str
    dedicated: bool
    queries: tuple[tuple[int, bool], ...]  # (metric index, binds :client)


@dataclass(frozen=True)
class Claims:
    """What one plan file claims as its client's own, with the document to locate problems in."""

    file: str
    path: Path
    ids: frozenset[str]
    name: str = ""
    doc: Located | None = None
    addresses: tuple[tuple[str, tuple, str], ...] = ()  # (address, field path, side)
    domains: tuple[tuple[str, tuple], ...] = ()  # (domain, field path) from client.domains
    sql: tuple[SqlUse, ...] = ()
    email_rituals: tuple[int, ...] = ()
    real: Path = field(init=False, repr=False, compare=False)
    in_project: bool = field(init=False, repr=False, compare=False)  # in a parameters/ folder

    def __post_init__(self) -> None:
        object.__setattr__(self, "real", _real(self.path))
        object.__setattr__(self, "in_project", in_plans_folder(self.path))

    @property
    def client(self) -> str:
        """The client id the plan says it is for (``client.id``, else its file name)."""
        declared = _client(self.doc).get("id") if self.doc is not None else None
        return str(declared) if declared is not None else self.path.stem

    def client_addresses(self) -> set[str]:
        """The addresses of the client-side people."""
        return {a for a, _, side in self.addresses if side == "client"}

    def owned_domains(self) -> set[str]:
        """The client's domains: declared, and those of its client-side people, less public mail providers."""
        found = {d for d, _ in self.domains} | {domain_of(a) for a in self.client_addresses()}
        return {d for d in found if d and d not in PUBLIC_DOMAINS}

    def same_file(self, other: Claims) -> bool:
        """Whether both claims were read from one file."""
        return self.real == other.real


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _client(doc: Located | None) -> dict[str, Any]:
    client = doc.data.get("client") if doc is not None and isinstance(doc.data, dict) else None
    return client if isinstance(client, dict) else {}


def _items(doc: Located, section: str) -> Iterator[tuple[int, dict[str, Any]]]:
    items = doc.data.get(section) if isinstance(doc.data, dict) else None
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            yield i, item


def _addresses(doc: Located) -> tuple[tuple[str, tuple, str], ...]:
    return tuple(
        (p["email"].strip().lower(), ("people", i, "email"), str(p.get("side", "")))
        for i, p in _items(doc, "people")
        if isinstance(p.get("email"), str) and "@" in p["email"]
    )


def _domains(doc: Located) -> tuple[tuple[str, tuple], ...]:
    listed = _client(doc).get("domains")
    return tuple(
        (d.strip().lower().lstrip("@"), ("client", "domains", j))
        for j, d in enumerate(listed if isinstance(listed, list) else [])
        if isinstance(d, str) and d.strip()
    )


def _sql(doc: Located) -> tuple[SqlUse, ...]:
    sources = doc.data.get("sources") if isinstance(doc.data, dict) else None
    uses = []
    for name, spec in sources.items() if isinstance(sources, dict) else []:
        if not isinstance(spec, dict) or spec.get("kind") != "sql" or not isinstance(spec.get("url"), str):
            continue
        queries = tuple(
            (i, isinstance(m.get("query"), str) and binds_client(m["query"]))
            for i, m in _items(doc, "metrics")
            if m.get("source") == name
        )
        uses.append(SqlUse(str(name), spec["url"].strip(), spec.get("dedicated") is True, queries))
    return tuple(uses)


def read_claims(
    path: str | os.PathLike[str], display: str | None = None, doc: Located | None = None
) -> Claims:
    """The claims of the plan file at ``path`` (``doc``: already read); an unreadable plan claims its name."""
    path = Path(path)
    if doc is None:
        try:
            doc = load_located(path, display)
        except InputError:
            return Claims(display or str(path), path, frozenset({path.stem}))
    declared = _client(doc).get("id")
    ids = {str(declared)} if declared is not None else {path.stem}
    if in_plans_folder(path):
        ids.add(path.stem)  # a project's plan claims its file name too
    return Claims(
        file=doc.file,
        path=path,
        ids=frozenset(ids),
        name=str(_client(doc).get("name") or ""),
        doc=doc,
        addresses=_addresses(doc),
        domains=_domains(doc),
        sql=_sql(doc),
        email_rituals=tuple(i for i, r in _items(doc, "cadence") if r.get("channel", "email") == "email"),
    )


def database(url: str, env: Mapping[str, str]) -> set[str]:
    """The keys that name a source's database: the URL as written, and resolved when its variables are set."""
    keys = {url}
    refs = ENV_REF.findall(url)
    if all(name in env or default for name, default in refs):
        keys.add(ENV_REF.sub(lambda m: env.get(m.group(1)) or m.group(2) or "", url))
    return keys


def _suffixes(domain: str) -> Iterator[str]:
    """``domain`` and each domain it is a subdomain of (``eu.acme.com``, ``acme.com``, ``com``)."""
    labels = domain.split(".")
    for i in range(len(labels)):
        yield ".".join(labels[i:])


class ClaimIndex:
    """The claims of every plan of a project, indexed so each plan is compared with the others quickly."""

    def __init__(self, claims: Iterable[Claims], env: Mapping[str, str] | None = None):
        self.claims = list(claims)
        self.env = dict(os.environ) if env is None else env
        self.ids: dict[str, list[Claims]] = {}
        self.contacts: dict[str, list[Claims]] = {}
        self.domains: dict[str, list[Claims]] = {}  # an owned domain -> its owners
        self.covered: dict[str, list[Claims]] = {}  # a domain -> the owners of it or of a subdomain
        self.databases: dict[str, list[Claims]] = {}
        for c in self.claims:
            for key in c.ids:
                self.ids.setdefault(key, []).append(c)
            for address in c.client_addresses():
                self.contacts.setdefault(address, []).append(c)
            for domain in c.owned_domains():
                self.domains.setdefault(domain, []).append(c)
                for parent in _suffixes(domain):
                    self.covered.setdefault(parent, []).append(c)
            for key in {k for use in c.sql for k in database(use.url, self.env)}:
                self.databases.setdefault(key, []).append(c)

    def _other(self, index: dict[str, list[Claims]], keys: Iterable[str], mine: Claims) -> Claims | None:
        return next((c for key in keys for c in index.get(key, []) if self._apart(c, mine)), None)

    def _apart(self, other: Claims, mine: Claims) -> bool:
        # a draft (a plan outside parameters/) is the next version of the plan of its client id, not a rival
        return not other.same_file(mine) and (mine.in_project or not other.ids & mine.ids)

    def conflicts(self, mine: Claims) -> list[Issue]:
        """Every claim of ``mine`` that another plan of the project makes too, located in ``mine``'s file."""
        if mine.doc is None:
            return []
        return [mine.doc.issue(path, message) for path, message in self._problems(mine)]

    def _problems(self, mine: Claims) -> Iterator[tuple[tuple, str]]:
        where = ("client", "id") if "id" in _client(mine.doc) else ("client",)
        for client in sorted(mine.ids) if mine.in_project else ():
            rivals = sorted({c.file for c in self.ids.get(client, []) if self._apart(c, mine)})
            if rivals:
                also = " and ".join(rivals)
                yield (
                    where,
                    f"client id {client!r} is also claimed by {also}: each client has one plan ({_NAMED})",
                )
        for address, path, side in mine.addresses:
            if other := self._other(self.contacts, [address], mine):
                yield path, f"{address} is a contact of client {other.client} ({other.file}); {_OWN}"
            elif side == "client" and (
                other := self._other(self.domains, _suffixes(domain_of(address)), mine)
            ):
                yield path, f"the domain of {address} belongs to client {other.client} ({other.file}); {_OWN}"
        for domain, path in mine.domains:
            if domain not in PUBLIC_DOMAINS and (
                other := self._other(self.domains, _suffixes(domain), mine)
                or self._other(self.covered, [domain], mine)
            ):
                yield path, f"the domain {domain} belongs to client {other.client} ({other.file}) too"
        yield from self._shared_databases(mine)

    def _shared_databases(self, mine: Claims) -> Iterator[tuple[tuple, str]]:
        for use in mine.sql:
            other = None if use.dedicated else self._other(self.databases, database(use.url, self.env), mine)
            for index, binds in use.queries if other is not None else ():
                if not binds:
                    yield ("metrics", index, "query"), shared_message(use.name, other.file)


_OWN = "a plan lists only its own client's people"
_NAMED = "its file name is the client id"


def shared_message(source: str, other: str) -> str:
    """Why a query on a database shared with another plan must bind ``:client``."""
    return (
        f"source {source!r} reads the same database as {other}: bind :client in this query (… WHERE "
        "client = :client) so it returns only this client's rows, or mark the source `dedicated: true` "
        "if what it reads holds only this client's data"
    )
