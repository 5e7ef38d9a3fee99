"""Each report section as HTML (and charts) shown in the notebook; data prepared here, layout in templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from csnb.indicators.evaluation import SEVERITY
from csnb.plan.cadence import next_dates
from csnb.report import charts, onepager, timeline, words
from csnb.report import html as sections
from csnb.report.formats import day, days, money
from csnb.report.spark import sparkline_img
from csnb.report.texts import (
    RULES,
    forecast_text,
    freshness_text,
    health_reasons,
    lead_findings,
    missing_lines,
)

if TYPE_CHECKING:
    from csnb.report.build import Report

BANNER_META = "csnb_failed_sources"  # output metadata of a header that carries the source-error banner
BANNER_CLASS = "csnb-banner"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if (isinstance(v, float) and v != v) else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]


def banner(r: Report) -> list[dict[str, Any]]:
    """The failed sources a report made anyway (``on_source_error: report``) must name, by metric name."""
    names = dict(zip(r.snapshot.metrics["metric"], r.snapshot.metrics["name"], strict=False))
    # the client sees which source and numbers are missing, never its connection details
    return [{"source": f.source, "metrics": [names.get(m, m) for m in f.metrics]} for f in r.failed_sources]


def _header(r: Report) -> str:
    # provider, logo and the page title come from the export template; this is the report's own heading
    return sections.render(
        "header",
        client=r.plan.client.name,
        as_of=r.as_of,
        audience_label=r.audience.capitalize(),
        first=r.diff.first,
        previous=r.diff.before,
        banner=banner(r),
    )


def summary_context(r: Report) -> dict[str, Any]:
    """What the summary template needs: the one-pager, its sparklines, and the operator's extras."""
    data = onepager.one_pager(r)
    sparks = [
        sparkline_img(g["spark"], onepager.BAND_STYLE[g["band"]][0], f"Trend of {g.get('metric', g['name'])}")
        for g in data["goals"]
    ]
    operator = r.audience == "operator"
    names = dict(zip(r.snapshot.metrics["metric"], r.snapshot.metrics["name"], strict=False))
    details = {"reasons": health_reasons(r), "missing": missing_lines(r, names)} if operator else None
    return {
        "p": data,
        "sparks": sparks,
        "styles": onepager.BAND_STYLE,
        # the CSM's to-do, never the client's: the executive edition shows no empty promise
        "gaps": onepager.recovery_gaps(r) if operator else [],
        "details": details,
    }


def _summary(r: Report) -> str:
    return sections.render("summary", **summary_context(r))


def metric_blocks(r: Report) -> list[tuple[str, dict[str, Any]]]:
    """(HTML caption, metric row) per metric: lead indicators first, then lag; worst status first in each."""
    m = r.snapshot.metrics.assign(
        order=lambda f: f["kind"].map({"lead": 0, "lag": 1}),
        severity=lambda f: -f["status"].map(SEVERITY).fillna(0),
    )
    out = []
    for i, (_, row) in enumerate(m.sort_values(["order", "severity"], kind="stable").iterrows()):
        heading = "Metrics" if i == 0 else None
        intro = (
            "Lead indicators (forward signals) first, then lag indicators (outcomes); "
            "the worst first in each."
            if i == 0
            else None
        )
        data = dict(row)
        mid = row["metric"]
        data.update(
            forecast=row["forecast_date"],
            forecast_text=forecast_text(row),
            freshness=freshness_text(row),
            # the lead analysis (links and delays) is the CSM's: it lives in the appendix, in words
            lead_note="",
            # numbers already in the metric's own format (the template's fmt passes text through)
            current=words.value(r, mid, row["current"]),
            baseline=words.value(r, mid, row["baseline"]),
            target=words.value(r, mid, row["target"]),
            unit="",
            status_word=words.status_word(row["status"]),
            source_name=words.source_name(r.plan.metric(mid).source),
            expected_from=onepager.expected_from(r, mid) if row["status"] == "no_data" else None,
        )
        out.append((sections.render("metric", m=data, heading=heading, intro=intro), row))
    return out


def _slip(slip: float) -> str:
    """'1 day late', '3 days early', 'on the due date'; nothing when the milestone is not done."""
    if slip != slip:
        return ""
    if slip == 0:
        return "on the due date"
    return f"{days(abs(int(slip)))} {'late' if slip > 0 else 'early'}"


def _checklist(r: Report) -> str:
    crit = r.snapshot.criteria
    titles = dict(zip(r.snapshot.milestones["milestone"], r.snapshot.milestones["title"], strict=False))
    rows = []
    for _, m in r.snapshot.milestones.iterrows():
        cs = crit[crit["milestone"] == m["milestone"]]
        slip_text = _slip(m["slip_days"])
        rows.append(
            {
                "title": m["title"],
                "status": m["status"],
                "due": m["due"],
                "owner": r.person(m["owner"]),
                "critical": bool(m["critical"]),
                "leap": bool(m["leap"]),
                "achieved_on": m["achieved_on"],
                "slip": slip_text,
                "blocked_by": ", ".join(titles.get(b, b) for b in m["blocked_by"])
                if m["status"] == "blocked"
                else "",
                "criteria": [
                    {
                        # a sentence, not "routing_minutes <= 450": the client reads the metric's name
                        "label": words.criterion(r, c["metric"], c["op"], c["value"], c["label"])
                        if c["kind"] == "metric"
                        else c["label"],
                        "holds": bool(c["holds"]),
                        "current": words.value(r, c["metric"], c["current"]) if c["kind"] == "metric" else "",
                    }
                    for c in cs.to_dict("records")
                ],
            }
        )
    return sections.render("checklist", milestones=rows)


def _raci(r: Report) -> dict[str, Any]:
    people = [
        p
        for p in r.plan.people
        if any(
            p.id in getattr(m.raci, role)
            for m in r.plan.milestones
            if m.raci
            for role in ("responsible", "accountable", "consulted", "informed")
        )
    ]
    rows = []
    for m in r.plan.milestones:
        cells = []
        for p in people:
            letters = "".join(
                k
                for k, role in (
                    ("R", "responsible"),
                    ("A", "accountable"),
                    ("C", "consulted"),
                    ("I", "informed"),
                )
                if m.raci and p.id in getattr(m.raci, role)
            )
            cells.append(letters)
        rows.append({"title": m.title, "cells": cells})
    return {"people": [p.name for p in people], "rows": rows}


def _operations(r: Report) -> str:
    risks = [
        {
            **row,
            "owner": r.person(row["owner"]),
            "trigger": (
                words.criterion(r, row["metric"], row["op"], row["value"], None)
                + (f" after {day(row['after'])}" if row["after"] else "")
            )
            if row["metric"]
            else "—",
            "likelihood": str(row["likelihood"]).capitalize(),
            "impact": str(row["impact"]),
        }
        for row in _records(r.snapshot.risks)
    ]
    changes = [
        {
            "description": c.description,
            "requested_on": c.requested_on,
            "by": r.person(c.by),
            "impact": ", ".join(
                x
                for x in (
                    f"{days(abs(c.impact.days))} {'later' if c.impact.days > 0 else 'earlier'}"
                    if c.impact.days
                    else "",
                    f"costs {money(c.impact.cost, r.currency, r.locale)}" if c.impact.cost else "",
                    c.impact.scope or "",
                )
                if x
            )
            or "—",
            "status": words.status_word(c.status),
            "decided_on": c.decided_on,
        }
        for c in r.plan.changes
    ]
    cadence = [
        {
            "ritual": words.humanize(c.ritual),
            "audience": f"{c.audience.capitalize()} edition",
            "channel": words.humanize(c.channel),
            # the one date format, with the weekday and time a meeting needs
            "next": [f"{d:%a} {day(d)}, {d:%H:%M}" for d in next_dates(r.plan, c, r.as_of)],
        }
        for c in r.plan.cadence
    ]
    escalation = [
        f"{', '.join(r.person(p) for p in e.contacts)} — {e.when}"
        for e in sorted(r.plan.escalation, key=lambda e: e.level)
    ]
    return sections.render(
        "operations",
        risks=risks,
        changes=changes,
        decisions=r.plan.decisions,
        raci=_raci(r),
        cadence=cadence,
        escalation=escalation,
    )


def _age(r: Report, metric: str) -> str:
    """'3 days' or '15 days (stale, limit 10)' for the appendix's freshness table."""
    rows = r.snapshot.metrics[r.snapshot.metrics["metric"] == metric]
    if not len(rows) or pd.isna(rows["age_days"].iloc[0]):
        return "—"
    age, limit = int(rows["age_days"].iloc[0]), int(rows["max_age"].iloc[0])
    text = days(age)
    return f"{text} (older than its limit of {days(limit)})" if bool(rows["stale"].iloc[0]) else text


def _appendix(r: Report) -> str:
    names = dict(zip(r.snapshot.metrics["metric"], r.snapshot.metrics["name"], strict=False))
    tables = [
        {
            "name": names[m],
            "unit": "",
            "rows": [
                {"date": d.date(), "value": words.value(r, m, v)}
                for d, v in zip(g["date"].tail(12), g["value"].tail(12), strict=False)
            ],
        }
        for m, g in r.snapshot.series.groupby("metric", sort=False)
    ]
    fresh = [
        {
            **f,
            "source": words.source_name(f["source"]),
            "metric": names.get(f["metric"], words.humanize(f["metric"])),
            "age": _age(r, f["metric"]),
        }
        for f in _records(r.freshness)
    ]
    # the client sees which numbers are missing, never connection details (hosts, paths, users): those
    # stay with the team, in `csnb status` and the run log
    errors = [
        f"{names.get(e.metric, words.humanize(e.metric)) if e.metric else 'Every metric'}: the data could "
        f"not be loaded from source “{words.source_name(e.source)}”; the team has the details."
        for e in r.snapshot.source_errors
    ]
    return sections.render("appendix", freshness=fresh, tables=tables, errors=errors, leads=lead_findings(r))


def html(r: Report, section: str) -> str:
    """HTML of a section without its charts."""
    builders = {
        "header": _header,
        "summary": _summary,
        "milestones": lambda r: sections.render("milestones") + _checklist(r),
        "operations": _operations,
        "glossary": lambda r: sections.render(
            "glossary", rules=RULES, glossary=sorted(r.plan.glossary.items())
        ),
        "appendix": _appendix,
        "lessons": lambda r: sections.render("lessons", lessons=r.lessons),
        "metrics": lambda r: "".join(h for h, _ in metric_blocks(r)),
    }
    return builders[section](r)


def show(r: Report, section: str) -> None:
    """Display a section: HTML, plus its charts for metrics and milestones."""
    from IPython.display import HTML, display

    charts.use_theme()  # the report's colour-blind-safe theme for every chart below
    if section == "metrics":
        for caption, row in metric_blocks(r):
            display(HTML(caption))
            series = r.snapshot.series[r.snapshot.series["metric"] == row["metric"]]
            style = words.metric_style(r, row["metric"])
            charts.display_chart(charts.metric_chart(row, series, style), label=str(row["name"]))
    elif section == "milestones":
        display(HTML(sections.render("milestones")))
        if len(r.snapshot.milestones):
            charts.display_chart(
                timeline.gantt_chart(r.snapshot.milestones, r.as_of, {p.id: p.name for p in r.plan.people}),
                label="Milestone timeline",
            )
        display(HTML(_checklist(r)))
    elif section == "summary":
        # the one-pager's data rides beside its HTML: the e-mail is built from it, exporters skip the mimetype
        display({"text/html": html(r, section), onepager.ONEPAGER_MIME: onepager.one_pager(r)}, raw=True)
    elif section == "header" and r.failed_sources:
        # the mark lets delivery refuse a message that lost the banner on its way (DESIGN: never sent without)
        display(HTML(html(r, section)), metadata={BANNER_META: [b["source"] for b in banner(r)]})
    else:
        display(HTML(html(r, section)))
