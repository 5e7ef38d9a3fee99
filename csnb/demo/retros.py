"""The demo's retro files: the team's judgement after completed milestones of two demo clients.

The texts are fixed so the demo is byte-identical on every build; ``write_demo_retros`` writes them
to ``parameters/retros/<client>/<milestone>.yaml`` (``csnb retro`` then runs each).
"""

from __future__ import annotations

from pathlib import Path

from csnb.fs import write_atomic
from csnb.retro.team import retro_path

NORTHWIND_M2 = """\
# Retrospective of M2 (Agent onboarding and training), held two days after it was met, a day late.
client: northwind
milestone: M2
held_on: 2026-09-16
facilitator: dana
participants: [dana, grace, tomas, sam]
went_well:
  - Training ran in two shifts, so agents on the late rota were not left out
  - Team leads trained first and answered their agents' questions on the floor
went_wrong:
  - The evening training slot was booked a day late, so training finished a day after the due date
  - Nobody confirmed attendance the day before; six agents missed their first session
lucky:
  - The old contract had a week of slack, so a one-day slip cost nothing
root_causes:
  - Training rooms were booked only after the numbers were provisioned, not in parallel
lessons:
  - statement: Training in two shifts reached every agent; a single slot would have missed the late rota
    recommendation: Schedule onboarding training in at least two shifts and confirm attendance the day before
    category: people
    stage: onboarding
    tags: [training, scheduling]
    impact: high
    owner: dana
    follow_up: {action: Add a second training shift to the onboarding playbook, status: done, owner: dana,
                due: 2026-09-30}
  - statement: Northwind team leads trained first and coached their agents, which cut questions to support
    recommendation: Train the client's team leads a day before their teams so they can coach on the floor
    category: people
    stage: onboarding
    tags: [training, champions]
    impact: medium
    owner: dana
  - statement: Agents went live about two days after training, so training completion predicted go-live
    recommendation: Track people trained as the lead indicator and plan go-live two days after training
    category: data
    stage: adoption
    tags: [training, lead-indicators, go-live]
    impact: medium
    owner: sam
    follow_up: {action: Add the trained-to-live lag to the plan template, status: in_progress, owner: sam}
ratings: {planning: 3, communication: 4, execution: 4}
"""

NORTHWIND_M4 = """\
# Retrospective of M4 (Scale to the full team), met four days early.
client: northwind
milestone: M4
held_on: 2026-10-07
facilitator: tomas
participants: [tomas, grace, mei, dana]
went_well:
  - The first campaign's agents coached the second wave, so scaling took two weeks instead of three
went_wrong:
  - The Spanish IVR change arrived in the middle of the rollout and took five days of the team's time
lucky:
  - Call volume was low in the week the IVR change went live
root_causes:
  - No scope freeze was agreed for the scale-up weeks
lessons:
  - statement: Scaling in waves let the first campaign's agents coach the rest, so adoption went faster
    recommendation: Scale adoption in waves and pair each new user with a pilot champion for the first week
    category: process
    stage: adoption
    tags: [rollout, champions, training]
    impact: high
    owner: tomas
  - statement: A scope change during the scale-up cost five days and nearly delayed the milestone
    recommendation: Agree a scope freeze for rollout weeks and queue change requests for the optimise phase
    category: scope
    stage: adoption
    tags: [change-control, scope]
    impact: medium
    owner: dana
    follow_up: {action: Add a scope-freeze clause to the rollout checklist, status: open, owner: dana,
                due: 2026-10-30}
"""

ACME_M2 = """\
# Retrospective of M2 (Pilot with the north depot team), met a day early.
client: acme
milestone: M2
held_on: 2026-09-01
facilitator: dana
participants: [dana, jordan, lee, sam]
went_well:
  - Dispatchers joined the pilot review and named the routes they still planned by hand
went_wrong:
  - The share of engine-planned routes stalled for a week while dispatchers distrusted the engine
lucky:
  - Jordan Blake happened to sit with the dispatchers during the stall and saw why
root_causes:
  - Dispatchers were told what the engine does but not shown why it picks a route
lessons:
  - statement: A pilot review with the daily users surfaced the manual overrides before the rollout
    recommendation: End every pilot with a review that includes the people who will use the tool every day
    category: process
    stage: adoption
    tags: [pilot, champions, adoption]
    impact: high
    owner: dana
  - statement: The engine-planned share moved a week before routing time did, so the outcome lagged its lead
    recommendation: Report the lead indicator every week so a lagging outcome is not mistaken for failure
    category: data
    stage: value
    tags: [lead-indicators, reporting]
    impact: medium
    owner: jordan
    follow_up: {action: Add the lead indicator to the weekly update, status: done, owner: dana}
ratings: {planning: 4, communication: 3}
"""

FERNHILL_M1 = """\
# Retrospective of M1 (Kick-off and success plan signed), met two days early.
client: fernhill
milestone: M1
held_on: 2026-09-21
facilitator: dana
participants: [dana, helen, owen]
went_well:
  - Both sides signed the success plan in the first week
went_wrong:
  - The plan assumed the point-of-sale vendor would open API access for every store in the first wave
root_causes:
  - Nobody asked the vendor for a written date before the data milestone was committed
lessons:
  - statement: We committed the first data milestone before the point-of-sale vendor confirmed API access
    recommendation: Get the vendor's written API access date before committing to a data integration milestone
    category: vendor
    stage: onboarding
    tags: [vendor, integration, data-access]
    impact: high
    owner: dana
    follow_up: {action: Ask the vendor for a dated access plan per store, status: in_progress, owner: owen}
  - statement: Store training was booked before the stores' data was flowing, so it now waits on the vendor
    recommendation: Book user training only after the data behind their dashboards is live
    category: process
    stage: adoption
    tags: [training, dependencies]
    impact: medium
    owner: dana
"""

DEMO_RETROS: dict[tuple[str, str], str] = {
    ("northwind", "M2"): NORTHWIND_M2,
    ("northwind", "M4"): NORTHWIND_M4,
    ("acme", "M2"): ACME_M2,
    ("fernhill", "M1"): FERNHILL_M1,
}


def write_demo_retros(folder: str | Path) -> list[Path]:
    """Write the demo's retro files under ``folder`` (a project root); return their paths."""
    out = []
    for (client, milestone), text in DEMO_RETROS.items():
        out.append(write_atomic(retro_path(folder, client, milestone), text))
    return out
