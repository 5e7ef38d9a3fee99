"""Failed data sources, grouped for people: one line per source with the metrics it could not give.

A source that fails (unreachable, refused, timed out, a rejected query) makes its metrics ``error``;
by default the run fails closed (DESIGN "Runs and the store"). Messages come from ``SourceError``,
whose details were redacted when the pull caught them: passwords never reach these lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from csnb.errors import SourceError


@dataclass
class FailedSource:
    """One source of one client that failed, the metrics it could not give and why."""

    client: str
    source: str
    metrics: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def line(self) -> str:
        """'source warehouse failed for metrics calls, handle_time: connection refused'."""
        what = "metric" if len(self.metrics) == 1 else "metrics"
        return f"source {self.source} failed for {what} {', '.join(self.metrics)}: {'; '.join(self.details)}"


def failed_sources(errors: Iterable[SourceError]) -> list[FailedSource]:
    """The errors of a pull grouped by (client, source), in the order the sources were tried."""
    found: dict[tuple[str, str], FailedSource] = {}
    for e in errors:
        client, source = getattr(e, "client", ""), getattr(e, "source", "") or "?"
        group = found.setdefault((client, source), FailedSource(client, source))
        if e.metric:
            group.metrics.append(e.metric)
        detail = getattr(e, "detail", str(e))
        if detail not in group.details:
            group.details.append(detail)
    return list(found.values())


def source_failure(client: str, errors: Iterable[SourceError]) -> SourceError:
    """One error naming every failed source and metric of a client: what fails a run closed."""
    groups = failed_sources(errors)
    lines = "; ".join(g.line() for g in groups)
    hint = "no report was made; fix the source, or set `on_source_error: report` in the plan"
    return SourceError(f"{lines} ({hint})", client=client)  # each source is named in the lines
