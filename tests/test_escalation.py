"""Escalation alerts: newly triggered risks, newly late milestones and health turning red, once per event."""

from __future__ import annotations

import textwrap

import pytest

from csnb.delivery.escalation import alert_message, escalate_report, events
from csnb.delivery.send import Courier, UnsafeMessageError, foreign_markers, guard
from csnb.store.runs import Store

pytest.importorskip("aiosmtpd")
from mailkit import AS_OF, make_project  # noqa: E402

BEFORE = "2026-10-08"
PLAN = textwrap.dedent("""\
    client: {id: alpha, name: Alpha Freight Group}
    people:
      - {id: dana, name: Dana Ortiz, side: provider, role: CSM, email: dana@provider.example}
      - {id: priya, name: Priya Nair, side: provider, role: Head of CS, email: priya@provider.example}
      - {id: ops, name: Ops Lead, side: client, role: Operations, email: ops@alpha.example}
    goals:
      - {id: g1, statement: Every driver trained by November, metrics: [trained],
         why: Untrained drivers lose routes}
    sources:
      sheet: {kind: csv, path: trained.csv}
    metrics:
      - {id: trained, name: Drivers trained, kind: lag, unit: drivers, direction: up, source: sheet,
         aggregate: last, frequency: week, baseline: {value: 0, date: 2026-09-01},
         target: {value: 100, date: 2026-11-01}}
    milestones:
      - {id: M1, title: Training complete, stage: onboarding, owner: dana, start: 2026-09-01, due: 2026-10-10,
         criteria: [{metric: trained, op: ">=", value: 100}]}
      - {id: M2, title: Go live, stage: adoption, owner: dana, start: 2026-10-10, due: 2026-11-01,
         depends_on: [M1], criteria: [{check: Go-live signed off}]}
    risks:
      - {id: R1, description: Drivers miss training, owner: dana, likelihood: medium, impact: high,
         trigger: {metric: trained, op: "<", value: 50}, contingency: Run a weekend training session}
    cadence:
      - {ritual: weekly-update, rrule: "FREQ=WEEKLY;BYDAY=MO", audience: operator, channel: email,
         recipients: [ops, dana], start: 2026-09-07}
    escalation:
      - {level: 1, contacts: [dana], when: A risk triggers or a milestone is late}
      - {level: 2, contacts: [priya], when: Health turns red or a high-impact risk triggers}
    """)


def summary(as_of: str, risk: str, milestone: str, band: str, score: float) -> dict:
    return {
        "client": "alpha",
        "as_of": as_of,
        "health": {"score": score, "band": band},
        "metrics": {"trained": {"status": "off_track", "current": 40.0, "name": "Drivers trained"}},
        "milestones": {
            "M1": {"status": milestone, "title": "Training complete"},
            "M2": {"status": "blocked", "title": "Go live"},
        },
        "risks": {"R1": risk},
        "changes_approved": [],
    }


@pytest.fixture
def project(tmp_path, smtp):
    return make_project(tmp_path, smtp[1], plans={"alpha": PLAN})


def record(project, audience: str, *summaries: dict) -> None:
    import datetime as dt

    store = Store(project.config.store_url)
    for s in summaries:
        store.record_snapshot("alpha", audience, dt.date.fromisoformat(s["as_of"]), s)
    store.dispose()


def alerts(recorder) -> dict[str, tuple[list[str], object]]:
    return {msg["Subject"]: (sorted(rcpt), msg) for rcpt, msg in recorder.received()}


def test_each_new_event_alerts_the_escalation_path_once(project, smtp):
    import datetime as dt

    recorder, _ = smtp
    record(
        project,
        "operator",
        summary(BEFORE, "clear", "on_track", "amber", 60),
        summary(AS_OF, "triggered", "late", "red", 35),
    )
    courier = Courier(project)
    done = escalate_report(courier, project.plan("alpha"), "operator", dt.date.fromisoformat(AS_OF))
    assert sorted((d.ritual, d.status) for d in done) == [
        ("health-health", "sent"),
        ("milestone-M1", "sent"),
        ("risk-R1", "sent"),
    ]
    got = alerts(recorder)
    both, dana = ["dana@provider.example", "priya@provider.example"], ["dana@provider.example"]
    risk = got["Alert, Alpha Freight Group: Risk R1 (Drivers miss training) triggered"]
    late = got["Alert, Alpha Freight Group: Milestone M1 (Training complete) is late"]
    red = got["Alert, Alpha Freight Group: health is red"]
    assert risk[0] == both and red[0] == both and late[0] == dana  # level 2 hears of severe events only
    text = risk[1].get_body(("plain",)).get_content()
    assert "clear -> triggered" in text and "Run a weekend training session" in text
    assert "Untrained drivers lose routes" in text
    late_text = late[1].get_body(("plain",)).get_content()
    assert "Waiting on it: M2" in late_text and "R1: Run a weekend training session" in late_text
    assert all("alpha.example" not in str(m["To"]) for _, m in got.values())  # the client never gets alerts

    # the executive report of the same day, and a re-run, raise nothing new
    record(project, "executive", summary(AS_OF, "triggered", "late", "red", 35))
    again = escalate_report(
        Courier(project), project.plan("alpha"), "executive", dt.date.fromisoformat(AS_OF)
    )
    again += escalate_report(
        Courier(project), project.plan("alpha"), "operator", dt.date.fromisoformat(AS_OF)
    )
    assert {d.status for d in again} == {"skipped"} and len(recorder.messages) == 3


def test_the_first_report_and_unchanged_statuses_raise_nothing(project):
    plan = project.plan("alpha")
    now = summary(AS_OF, "triggered", "late", "red", 35)
    assert events(plan, now, None) == []
    assert events(plan, now, summary(BEFORE, "triggered", "late", "red", 30)) == []
    cleared = events(plan, now, summary(BEFORE, "clear", "late", "red", 30))
    assert [(e.kind, e.item) for e in cleared] == [("risk", "R1")]


def test_an_alert_to_a_client_address_is_stopped(project):
    import datetime as dt

    plan = project.plan("alpha")
    courier = Courier(project, dry_run=True)
    [event] = events(
        plan,
        summary(AS_OF, "triggered", "on_track", "amber", 60),
        summary(BEFORE, "clear", "on_track", "amber", 60),
    )
    out = alert_message(
        courier, plan, event, summary(AS_OF, "triggered", "on_track", "amber", 60), "operator"
    )
    guard(out, plan, foreign_markers(project, plan), project.config.reports)
    del out.message["To"]
    out.message["To"] = "dana@provider.example, ops@alpha.example"
    out.envelope = ("dana@provider.example", "ops@alpha.example")
    with pytest.raises(UnsafeMessageError, match="ops@alpha.example"):
        guard(out, plan, foreign_markers(project, plan), project.config.reports)
    assert dt.date.fromisoformat(AS_OF) == event.as_of
