"""The team's retrospective input, ``parameters/retros/<client>/<milestone>.yaml``, validated like a plan."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator

from csnb.errors import InputError, Issue
from csnb.plan.fields import Id, Model, Stage, Text
from csnb.plan.load import _pydantic_issues
from csnb.plan.located import Located, load_located
from csnb.plan.models import Plan
from csnb.plan.suggest import did_you_mean

Category = Literal[
    "process", "people", "technology", "data", "communication", "scope", "vendor", "commercial"
]
TAG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
Level = Literal["low", "medium", "high"]


class RetroError(InputError):
    """A retrospective file failed to load or validate; carries every issue found."""


class FollowUp(Model):
    """The action that makes a lesson stick, and where it stands."""

    action: Text
    status: Literal["open", "in_progress", "done", "dropped"] = "open"
    owner: Id | None = None
    due: dt.date | None = None


class Lesson(Model):
    """One lesson: what we learned, what to do next time, and where it applies."""

    statement: Text
    recommendation: Text
    category: Category
    stage: Stage | None = Field(None, description="journey stage it applies to (default: the milestone's)")
    tags: list[str] = Field(default_factory=list, max_length=20)
    impact: Level = "medium"
    owner: Id | None = None
    follow_up: FollowUp | None = None

    @field_validator("tags")
    @classmethod
    def _valid_tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not TAG.match(tag):
                raise ValueError(
                    f"tag {tag!r} is not valid: use lower-case letters, digits and '-' "
                    "(e.g. data-access), at most 40"
                )
        return list(dict.fromkeys(value))


class Retro(Model):
    """The whole retro file: who took part, what happened in their judgement, and the lessons."""

    client: Id
    milestone: Id
    held_on: dt.date | None = None
    facilitator: Id | None = None
    participants: list[Text] = Field(min_length=1)
    went_well: list[Text] = Field(default_factory=list)
    went_wrong: list[Text] = Field(default_factory=list)
    lucky: list[Text] = Field(default_factory=list, description="where we got lucky")
    root_causes: list[Text] = Field(default_factory=list)
    lessons: list[Lesson] = Field(default_factory=list, max_length=50)
    ratings: dict[Id, Annotated[int, Field(ge=1, le=5)]] = Field(
        default_factory=dict, description="optional 1-5 scores"
    )


def _cross_check(doc: Located, retro: Retro, plan: Plan) -> list[Issue]:
    """References to the plan: same client, a known milestone, known people."""
    issues = []
    if retro.client != plan.client.id:
        issues.append(
            doc.issue(("client",), f"this retro is for {retro.client!r} but the plan is {plan.client.id!r}")
        )
    if retro.milestone not in {m.id for m in plan.milestones}:
        ids = [m.id for m in plan.milestones]
        hint = did_you_mean(retro.milestone, ids) or f" (the plan has: {', '.join(ids) or 'none'})"
        issues.append(doc.issue(("milestone",), f"unknown milestone {retro.milestone!r}{hint}"))
    people = {p.id for p in plan.people}
    refs = [(("facilitator",), retro.facilitator)]
    for i, lesson in enumerate(retro.lessons):
        refs.append((("lessons", i, "owner"), lesson.owner))
        if lesson.follow_up:
            refs.append((("lessons", i, "follow_up", "owner"), lesson.follow_up.owner))
    for path, ref in refs:
        if ref is not None and ref not in people:
            hint = did_you_mean(ref, people) or " (use an id from the plan's people)"
            issues.append(doc.issue(path, f"unknown person {ref!r}{hint}"))
    return issues


def validate_retro(doc: Located, plan: Plan | None = None) -> tuple[Retro | None, list[Issue]]:
    """Validate a loaded retro document (and its references to ``plan``); return the retro and issues."""
    if not isinstance(doc.data, dict):
        return None, [doc.issue((), f"a retro is a YAML mapping, not a {type(doc.data).__name__}")]
    try:
        retro = Retro.model_validate(doc.data)
    except ValidationError as exc:
        return None, sorted(set(_pydantic_issues(doc, exc)))
    issues = _cross_check(doc, retro, plan) if plan is not None else []
    return (None if issues else retro), sorted(set(issues))


def load_retro(path: str | os.PathLike[str], plan: Plan | None = None, display: str | None = None) -> Retro:
    """Load and validate a retro file; raise ``RetroError`` listing every problem as file:line:field."""
    try:
        doc = load_located(path, display)
    except InputError as exc:
        raise RetroError(list(exc.issues)) from None
    retro, issues = validate_retro(doc, plan)
    if issues or retro is None:
        raise RetroError(issues)
    return retro


def retro_path(root: str | os.PathLike[str], client: str, milestone: str) -> Path:
    """``parameters/retros/<client>/<milestone>.yaml`` under the project ``root``."""
    return Path(root) / "parameters" / "retros" / client / f"{milestone}.yaml"
