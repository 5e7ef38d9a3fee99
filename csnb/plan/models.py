"""Pydantic models of a client success plan: every section of ``parameters/<client>.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from csnb.plan.datasource import Source
from csnb.plan.fields import (
    EMAIL_PATTERN,
    TIME_PATTERN,
    Audience,
    ClientId,
    Date,
    Domain,
    Id,
    Level,
    Line,
    Model,
    Number,
    Op,
    OptLine,
    Prose,
    Stage,
    Text,
)
from csnb.plan.rules import check_rule


class Client(Model):
    """The client this plan is for."""

    id: ClientId = Field(
        description="the plan's file name without .yaml; may be omitted, the loader fills it in"
    )
    name: Line
    timezone: str = Field("UTC", description="IANA time zone in which the plan's dates are read")
    industry: OptLine | None = None
    domains: list[Domain] = Field(
        default_factory=list,
        description="the client's e-mail domains; every client-side address must be in one (or a subdomain)",
    )

    @field_validator("domains", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return [d.lower() if isinstance(d, str) else d for d in value] if isinstance(value, list) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from None
        return value


class Person(Model):
    """Someone on the provider's or the client's side."""

    id: Id
    name: Line
    side: Literal["provider", "client"]
    role: Line
    email: Annotated[str, Field(pattern=EMAIL_PATTERN)] | None = None
    executive: bool = False


class RecoveryAction(Model):
    """One step of a recovery plan for a goal or milestone that is behind: what, who, by when, how far."""

    action: Text
    owner: Id = Field(description="the person who does it (a person id)")
    due: Date
    status: Literal["planned", "in_progress", "done"] = "planned"


RECOVERY_HELP = (
    "recovery actions, shown in both editions while this is behind (off track, missed, late, at risk)"
)


class Goal(Model):
    """A business goal in the client's words, measured by one or more metrics."""

    id: Id
    statement: Line
    metrics: list[Id] = Field(min_length=1)
    why: Prose | None = Field(None, description="why it matters to the client; used in the summary")
    recovery: list[RecoveryAction] = Field(default_factory=list, description=RECOVERY_HELP)


class Point(Model):
    """A value on a date (baseline or target)."""

    value: Number
    date: Date


class NumberFormat(Model):
    """How a metric's numbers read in the report; every field is optional."""

    decimals: int | None = Field(None, ge=0, le=6, description="digits after the decimal point")
    percent: bool = Field(False, description="the value is a share (0.53) shown as 53%")
    currency: bool = Field(False, description="the value is money, shown in the project's currency")
    unit: OptLine | None = Field(None, description="how the unit reads after a number (default: `unit`)")


class Metric(Model):
    """A lead (forward signal) or lag (outcome) metric with baseline and target."""

    id: Id
    name: Line
    kind: Literal["lead", "lag"]
    leads: list[Id] = Field(
        default_factory=list, description="on a lead metric: the lag metrics it should move"
    )
    unit: OptLine = ""
    format: NumberFormat = Field(default_factory=NumberFormat)
    direction: Literal["up", "down"] = "up"
    source: Id
    query: Prose | None = Field(None, max_length=20000)
    series: OptLine | None = Field(None, description="name of the metric in the source (default: its id)")
    aggregate: Literal["sum", "mean", "last", "min", "max", "count"] = "last"
    frequency: Literal["day", "week", "month"] = "week"
    baseline: Point
    target: Point
    tolerance: float = Field(0.10, ge=0, le=1)
    owner: Id | None = None
    description: Prose | None = None
    # status rules (DESIGN "Status rules"): data older than this is reported as stale, not judged
    freshness_days: int | None = Field(
        None,
        ge=0,
        le=3650,
        description="days after which the metric's newest data is stale (default: day 2, week 10, month 35)",
    )

    @property
    def better(self) -> int:
        """+1 when larger is better, -1 when smaller is better."""
        return 1 if self.direction == "up" else -1


class Criterion(Model):
    """An acceptance criterion: a metric threshold or a manual check."""

    metric: Id | None = None
    op: Op | None = None
    value: Number | None = None
    check: Line | None = None
    done: bool = False
    done_on: Date | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Criterion:
        if (self.metric is None) == (self.check is None):
            raise ValueError(
                "a criterion has either `metric` (with op and value) or `check`, not both or neither"
            )
        if self.metric is not None and (self.op is None or self.value is None):
            raise ValueError(f"metric criterion on {self.metric!r} needs `op` and `value`")
        if self.check is not None and (self.op is not None or self.value is not None):
            raise ValueError("a manual `check` takes `done` and `done_on`, not `op`/`value`")
        if self.check is not None and self.done and self.done_on is None:
            raise ValueError("a done check needs `done_on` (the date it was done)")
        return self

    @property
    def label(self) -> str:
        """Human-readable text of the criterion."""
        return self.check if self.check is not None else f"{self.metric} {self.op} {self.value:g}"


class Raci(Model):
    """Who is responsible, accountable, consulted and informed."""

    responsible: list[Id] = Field(default_factory=list)
    accountable: list[Id] = Field(default_factory=list)
    consulted: list[Id] = Field(default_factory=list)
    informed: list[Id] = Field(default_factory=list)


class ClientInput(Model):
    """Something the client must provide for a milestone."""

    description: Text
    owner: Id | None = None
    needed_by: Date | None = None
    received_on: Date | None = None


class Milestone(Model):
    """A dated step of the client journey with acceptance criteria."""

    id: Id
    title: Line
    stage: Stage
    owner: Id
    start: Date
    due: Date
    depends_on: list[Id] = Field(default_factory=list)
    criteria: list[Criterion] = Field(min_length=1)
    raci: Raci | None = None
    review_window_days: int | None = Field(None, ge=0, le=365)
    leap: bool = Field(
        False, description="an optional acceleration milestone, kept apart from the critical path"
    )
    client_inputs: list[ClientInput] = Field(default_factory=list)
    tags: list[Line] = Field(default_factory=list)
    description: Prose | None = None
    recovery: list[RecoveryAction] = Field(default_factory=list, description=RECOVERY_HELP)


class Trigger(Model):
    """The condition on a metric's current value that turns a risk into an issue."""

    metric: Id
    op: Op
    value: Number
    after: Date | None = None


class Risk(Model):
    """A risk with owner, likelihood, impact, trigger and contingency."""

    id: Id
    description: Text
    owner: Id
    likelihood: Level
    impact: Level
    trigger: Trigger | None = None
    contingency: Text
    mitigation: Prose | None = None


class Ritual(Model):
    """A communication ritual on an RFC 5545 recurrence rule."""

    ritual: Id
    rrule: str = Field(min_length=1, max_length=500)
    audience: Audience = "operator"
    channel: Literal["email", "meeting", "call", "chat", "portal"] = "email"
    recipients: list[str] = Field(
        default_factory=list, description="person ids or groups such as client-executives"
    )
    start: Date | None = Field(
        None, description="first date of the recurrence (default: first milestone start)"
    )
    time: str = Field("09:00", pattern=TIME_PATTERN)
    duration_minutes: int = Field(30, ge=0, le=1440)
    agenda: Prose | None = None

    @field_validator("rrule")
    @classmethod
    def _valid_rrule(cls, value: str) -> str:
        return check_rule(value)


class EscalationStep(Model):
    """One level of the escalation path."""

    level: int = Field(ge=1, le=10)
    contacts: list[Id] = Field(min_length=1)
    when: Line


class Impact(Model):
    """What a change costs in days, money and scope."""

    days: int = Field(0, ge=-36500, le=36500)
    cost: Number = 0
    scope: Prose | None = None


class Change(Model):
    """A change request: request -> impact -> approval -> documentation."""

    id: Id
    requested_on: Date
    by: Id
    description: Text
    impact: Impact = Field(default_factory=Impact)
    status: Literal["requested", "assessed", "approved", "rejected", "implemented"] = "requested"
    decided_on: Date | None = None
    decided_by: Id | None = None
    documented_in: OptLine | None = None
    affects: list[Id] = Field(default_factory=list, description="milestone or metric ids")


class Decision(Model):
    """A recorded decision and why it was taken."""

    on: Date
    decision: Line
    rationale: Text
    by: list[Id] = Field(default_factory=list)


class Settings(Model):
    """Tunables of the indicator engine for this plan."""

    trend_periods: int = Field(4, ge=2, le=52, description="periods in the trend slope")
    lead_max_shift: int = Field(4, ge=0, le=26, description="largest lead->lag shift tried, in periods")
    lead_min_r: float = Field(
        0.3, ge=0, le=1, description="a lead whose best |r| is below this predicts nothing"
    )
    review_window_days: int = Field(7, ge=0, le=365)


class Plan(Model):
    """A client success plan: the whole of ``parameters/<client>.yaml``."""

    client: Client
    people: list[Person] = Field(min_length=1)
    goals: list[Goal] = Field(default_factory=list)
    sources: dict[Id, Source] = Field(default_factory=dict)
    metrics: list[Metric] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    cadence: list[Ritual] = Field(default_factory=list)
    escalation: list[EscalationStep] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    glossary: dict[Line, Prose] = Field(default_factory=dict)
    settings: Settings = Field(default_factory=Settings)
    # runs (DESIGN "Runs and the store"): a failed source fails the run unless the plan opts in here
    on_source_error: Literal["fail", "report"] = Field(
        "fail",
        description="fail: no report and no e-mail when a data source fails; "
        "report: render it with a banner naming the missing source",
    )

    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The file this plan was loaded from, if any."""
        return self._path

    @property
    def id(self) -> str:
        """The client id."""
        return self.client.id

    def metric(self, metric_id: str) -> Metric:
        """The metric with this id."""
        return next(m for m in self.metrics if m.id == metric_id)

    def milestone(self, milestone_id: str) -> Milestone:
        """The milestone with this id."""
        return next(m for m in self.milestones if m.id == milestone_id)

    def person(self, person_id: str) -> Person:
        """The person with this id."""
        return next(p for p in self.people if p.id == person_id)

    def __repr__(self) -> str:
        return (
            f"Plan(client={self.client.id!r}, metrics={len(self.metrics)}, milestones={len(self.milestones)})"
        )
