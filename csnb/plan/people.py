"""Who a ritual reaches: the plan's people, the recipient groups a cadence entry may name, their domains."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csnb.plan.models import Person, Plan, Ritual

# Mail providers anyone can sign up with: a domain here belongs to no one client, only its addresses do.
PUBLIC_DOMAINS = frozenset(
    {
        "aol.com",
        "fastmail.com",
        "gmail.com",
        "gmx.com",
        "gmx.de",
        "googlemail.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "web.de",
        "yahoo.com",
        "yandex.com",
        "zoho.com",
    }
)
# A ritual's `recipients` may name these groups as well as person ids.
GROUPS = {
    "client": lambda p: p.side == "client",
    "provider": lambda p: p.side == "provider",
    "client-executives": lambda p: p.side == "client" and p.executive,
    "provider-executives": lambda p: p.side == "provider" and p.executive,
    "everyone": lambda p: True,
}


def recipients(plan: Plan, ritual: Ritual) -> list[Person]:
    """The people a ritual names, groups expanded, each once, in the plan's order."""
    wanted = set(ritual.recipients)
    return [p for p in plan.people if p.id in wanted or any(GROUPS[g](p) for g in wanted & set(GROUPS))]


def domain_of(address: str) -> str:
    """The lower-case domain of an e-mail address."""
    return address.rpartition("@")[2].strip().lower()


def within(domain: str, parent: str) -> bool:
    """Whether ``domain`` is ``parent`` or one of its subdomains."""
    return domain == parent or domain.endswith("." + parent)
