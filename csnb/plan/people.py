"""Who a ritual reaches: the plan's people, with the recipient groups a cadence entry may name."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csnb.plan.models import Person, Plan, Ritual

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
