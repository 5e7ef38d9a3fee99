"""Escalation alerts: a risk newly triggered, a milestone newly late or health turning red, e-mailed once.

"Newly" compares a report's snapshot with the newest snapshot of the same client, of any audience,
before it; so the operator and executive reports of one day raise one alert, and a re-run raises none.
Level 1 of the plan's escalation path always gets the alert; every level gets it when health turns
red or a high-impact risk triggers. Alerts go to provider-side people only (``guard`` enforces it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from csnb.delivery.courier import Courier, Delivered
from csnb.delivery.message import Outgoing, new_message, subject_line
from csnb.delivery.smtp import DeliveryError
from csnb.report.build import AUDIENCES
from csnb.store.runs import Store
from csnb.templating import environment

if TYPE_CHECKING:
    from csnb.plan.models import Person, Plan


@dataclass(frozen=True)
class Event:
    """One status that turned bad between two snapshots."""

    kind: str  # risk | milestone | health
    item: str  # risk or milestone id, or "health"
    title: str
    before: str | None
    after: str
    as_of: dt.date
    severe: bool  # health turned red, or a high-impact risk: every escalation level hears of it

    @property
    def name(self) -> str:
        """A short name for the subject line."""
        verb = {"risk": "triggered", "milestone": "is late", "health": "is red"}[self.kind]
        return f"{self.title} {verb}" if self.kind != "health" else "health is red"


def events(plan: Plan, now: dict[str, Any], before: dict[str, Any] | None) -> list[Event]:
    """The risks newly triggered, milestones newly late and a health newly red between two summaries."""
    if before is None:  # the first report: nothing is "newly" anything yet
        return []
    as_of = dt.date.fromisoformat(now["as_of"])
    found = []
    for risk in plan.risks:
        if now["risks"].get(risk.id) == "triggered" != before["risks"].get(risk.id):
            found.append(
                Event(
                    "risk",
                    risk.id,
                    f"Risk {risk.id} ({risk.description})",
                    before["risks"].get(risk.id),
                    "triggered",
                    as_of,
                    risk.impact == "high",
                )
            )
    for ms in plan.milestones:
        after = now["milestones"].get(ms.id, {}).get("status")
        prior = before["milestones"].get(ms.id, {}).get("status")
        if after == "late" != prior:
            found.append(
                Event("milestone", ms.id, f"Milestone {ms.id} ({ms.title})", prior, "late", as_of, False)
            )
    if now["health"]["band"] == "red" != before["health"]["band"]:
        found.append(Event("health", "health", "Health", before["health"]["band"], "red", as_of, True))
    return found


def contacts(plan: Plan, event: Event) -> list[Person]:
    """Who hears of an event: level 1 of the escalation path, every level when the event is severe."""
    steps = sorted(plan.escalation, key=lambda s: s.level)
    wanted = {c for s in steps[: None if event.severe else 1] for c in s.contacts}
    return [p for p in plan.people if p.id in wanted and p.side == "provider" and p.email]


def why_and_contingency(plan: Plan, event: Event, now: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Why the event matters (goals, dates, dependents) and what the plan says to do about it."""
    if event.kind == "risk":
        risk = next(r for r in plan.risks if r.id == event.item)
        metric = risk.trigger.metric if risk.trigger else None
        why = [f"Likelihood {risk.likelihood}, impact {risk.impact}; owner {_name(plan, risk.owner)}."]
        why += _goal_lines(plan, {metric} if metric else set())
        plan_says = [risk.contingency] + ([f"Mitigation: {risk.mitigation}"] if risk.mitigation else [])
        return why, plan_says
    if event.kind == "milestone":
        ms = plan.milestone(event.item)
        waiting = [m.id for m in plan.milestones if ms.id in m.depends_on]
        why = [f"Due {ms.due.isoformat()}; owner {_name(plan, ms.owner)}."]
        why += [f"Waiting on it: {', '.join(waiting)}."] if waiting else []
        metrics = {c.metric for c in ms.criteria if c.metric}
        why += _goal_lines(plan, metrics)
        risks = [r for r in plan.risks if r.trigger and r.trigger.metric in metrics]
        return why, [f"{r.id}: {r.contingency}" for r in risks] or [_no_contingency(plan)]
    bad = [
        f"{m['name']}: {m['status'].replace('_', ' ')}"
        for m in now["metrics"].values()
        if m["status"] in ("off_track", "missed")
    ]
    bad += [f"{k}: late" for k, m in now["milestones"].items() if m["status"] == "late"]
    why = [f"Health score {now['health']['score']:.0f} (was {event.before or 'unknown'})."] + bad
    triggered = [r for r in plan.risks if now["risks"].get(r.id) == "triggered"]
    return why, [f"{r.id}: {r.contingency}" for r in triggered] or [_no_contingency(plan)]


def _goal_lines(plan: Plan, metrics: set[str]) -> list[str]:
    return [
        f"Goal: {g.statement}" + (f" — {g.why}" if g.why else "")
        for g in plan.goals
        if metrics & set(g.metrics)
    ]


def _no_contingency(plan: Plan) -> str:
    steps = "; ".join(f"level {s.level}: {s.when}" for s in sorted(plan.escalation, key=lambda s: s.level))
    return f"The plan names no contingency for this; the escalation path says {steps or 'nothing'}."


def _name(plan: Plan, person_id: str) -> str:
    return next((p.name for p in plan.people if p.id == person_id), person_id)


def alert_message(courier: Courier, plan: Plan, event: Event, now: dict[str, Any], audience: str) -> Outgoing:
    """The short plain-text alert of one event, for the provider-side escalation contacts."""
    to = contacts(plan, event)
    if not to:
        raise DeliveryError(f"client {plan.id}: the escalation path names nobody with an e-mail address")
    why, plan_says = why_and_contingency(plan, event, now)
    subject = subject_line(
        courier.settings.alert_subject,
        client=plan.id,
        client_name=plan.client.name,
        event=event.name,
        as_of=event.as_of.isoformat(),
    )
    msg = new_message(courier.settings, plan, to, subject, copies=False)  # alerts stay inside the provider
    msg.set_content(
        environment()
        .get_template("mail/alert.txt.j2")
        .render(
            plan=plan,
            event=event,
            why=why,
            plan_says=plan_says,
            steps=sorted(plan.escalation, key=lambda s: s.level),
        )
    )
    folder = courier.project.config.layout.folder(plan.id, event.as_of)
    return Outgoing(
        "alert",
        plan.id,
        f"{event.kind}-{event.item}",
        "",
        event.as_of.isoformat(),
        msg,
        tuple(p.email.lower() for p in to if p.email),
        (),
        folder,
    )


def summaries(store_url: str, client: str, audience: str, as_of: dt.date) -> tuple[dict | None, dict | None]:
    """The snapshot summary of a report and the newest one of any audience before it."""

    store = Store(store_url)
    try:
        now = store.previous_summary(client, audience, as_of + dt.timedelta(days=1))
        if now is None or now.get("as_of") != as_of.isoformat():
            return None, None
        earlier = [s for a in AUDIENCES if (s := store.previous_summary(client, a, as_of))]
        return now, max(earlier, key=lambda s: s["as_of"], default=None)
    finally:
        store.dispose()


def escalate_report(courier: Courier, plan: Plan, audience: str, as_of: dt.date) -> list[Delivered]:
    """Alert the escalation path about every event the report of ``as_of`` newly shows, once per event."""
    if not plan.escalation:
        return []
    now, before = summaries(courier.store_url, plan.id, audience, as_of)
    if now is None:
        return []
    done = []
    for event in events(plan, now, before):
        values = {
            "kind": "alert",
            "client": plan.id,
            "ritual": f"{event.kind}-{event.item}",
            "audience": "",
            "as_of": as_of.isoformat(),
            "report": None,
        }
        key = f"alert|{plan.id}|{values['ritual']}||{values['as_of']}"
        done.append(
            courier.dispatch(
                key, values, plan, lambda e=event: alert_message(courier, plan, e, now, audience)
            )
        )
    return done


def resend_alert(courier: Courier, plan: Plan, row: dict[str, Any], msg: EmailMessage) -> Delivered:
    """Retry an alert that failed, with the words it had the first time."""
    folder = courier.project.config.layout.folder(plan.id, row["as_of"])
    envelope = tuple(row.get("recipients") or ())
    values = {k: row[k] for k in ("kind", "client", "ritual", "audience", "as_of", "report")}
    return courier.dispatch(
        row["key"],
        values,
        plan,
        lambda: Outgoing("alert", plan.id, row["ritual"], "", row["as_of"], msg, envelope, (), folder),
    )
