"""The client success plan: its models, loading with file:line errors, cross-checks, cadence and calendar."""

from __future__ import annotations

from csnb.plan.load import load_plan, plan_schema, validate_document
from csnb.plan.models import (
    Change,
    Client,
    ClientInput,
    Criterion,
    Decision,
    EscalationStep,
    Goal,
    Metric,
    Milestone,
    Person,
    Plan,
    Point,
    Raci,
    Risk,
    Ritual,
    Settings,
    Source,
    Trigger,
)

__all__ = [
    "Change",
    "Client",
    "ClientInput",
    "Criterion",
    "Decision",
    "EscalationStep",
    "Goal",
    "Metric",
    "Milestone",
    "Person",
    "Plan",
    "Point",
    "Raci",
    "Risk",
    "Ritual",
    "Settings",
    "Source",
    "Trigger",
    "load_plan",
    "plan_schema",
    "validate_document",
]
