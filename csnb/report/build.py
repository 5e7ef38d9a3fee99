"""The client report's content: everything the report notebook shows, built from a plan and its snapshot.

The notebook stays thin: it calls ``prepare(...)`` once and ``report.show(section)`` per section.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from csnb.indicators.assess import assess_file
from csnb.indicators.changes import Diff, diff, summary
from csnb.indicators.failures import FailedSource, failed_sources, source_failure
from csnb.indicators.snapshot import Snapshot
from csnb.plan.models import Plan
from csnb.report import sections as report_sections

AUDIENCES = {
    # the executive edition is the one-pager; its full charts live in the operator edition
    "executive": ("header", "summary"),
    "operator": (
        "header",
        "summary",
        "metrics",
        "milestones",
        "operations",
        "lessons",
        "glossary",
        "appendix",
    ),
}
SUMMARY_MIME = "application/vnd.csnb.summary+json"  # read by the runner, stripped before export


@dataclass
class Report:
    """One client's report at one ``as_of`` for one audience."""

    plan: Plan
    snapshot: Snapshot
    diff: Diff
    audience: str
    freshness: pd.DataFrame
    branding: dict[str, Any] = field(default_factory=dict)
    lessons: list[dict[str, Any]] = field(default_factory=list)
    currency: str = "GBP"  # csnb.toml [report]: how money and numbers read
    locale: str = "en_GB"
    # what several sections derive from the same snapshot (the one-pager), computed once per report
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def as_of(self) -> dt.date:
        """The date the report is computed for."""
        return self.snapshot.as_of

    def person(self, person_id: str | None) -> str:
        """A person's name (their id when unknown)."""
        if not person_id:
            return "—"
        return next((p.name for p in self.plan.people if p.id == person_id), person_id)

    @property
    def failed_sources(self) -> list[FailedSource]:
        """The data sources that failed (only in a plan with ``on_source_error: report``)."""
        return failed_sources(self.snapshot.source_errors)

    def includes(self, section: str) -> bool:
        """Whether ``section`` belongs in this audience's report."""
        return section in AUDIENCES[self.audience]

    def show(self, section: str) -> None:
        """Display one section in the notebook (nothing when the audience does not get it)."""

        if self.includes(section):
            report_sections.show(self, section)

    def summary(self) -> dict[str, Any]:
        """The snapshot summary the next report compares against."""
        return summary(self.snapshot, self.plan)

    def record(self) -> None:
        """Hand the snapshot summary to the runner (as an output it strips before export)."""
        from IPython.display import display

        display({SUMMARY_MIME: self.summary(), "text/plain": ""}, raw=True)

    def html(self, section: str) -> str:
        """The HTML of a text-only section (for tests and e-mail bodies)."""

        return report_sections.html(self, section)


def prepare(
    plan_path: str | Path,
    as_of: str | dt.date | None = None,
    audience: str = "operator",
    store_url: str | None = None,
    project_root: str | Path | None = None,
) -> Report:
    """Load the plan, pull its data, evaluate it and compare with the previous report.

    Raises ``SourceError`` (naming each failed source and metric) when a data source fails, unless the
    plan opts in with ``on_source_error: report``: then the report carries a banner naming the source.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    assessed = assess_file(plan_path, as_of, project_root)
    plan, config, as_of, snap = assessed.plan, assessed.config, assessed.as_of, assessed.snapshot
    if snap.source_errors and plan.on_source_error != "report":
        # fail closed: a report of "no data" from a source that did not answer reads like a fact
        raise source_failure(plan.client.id, snap.source_errors)
    previous = None
    if store_url:
        from csnb.store.runs import Store  # SQLAlchemy only when there is a store (JupyterLab: often not)

        previous = Store(store_url).previous_summary(plan.client.id, audience, before=as_of)
    branding = {
        "provider": config.branding.provider,
        "accent": config.branding.accent,
        "logo": config.branding.logo,
    }
    lessons: list[dict[str, Any]] = []
    if audience == "operator" and store_url:
        try:
            from csnb.report.lessons import suggest_for_report
        except ImportError:  # the knowledge base is optional for a report
            suggest_for_report = None
        if suggest_for_report:
            lessons = suggest_for_report(plan, snap, store_url)
    return Report(
        plan=plan,
        snapshot=snap,
        diff=diff(previous, snap, plan),
        audience=audience,
        freshness=assessed.observations.freshness,
        branding=branding,
        lessons=lessons,
        currency=config.report.currency,
        locale=config.report.locale,
    )
