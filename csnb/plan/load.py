"""Loading a plan file: YAML with line marks -> validated ``Plan``, every problem reported at once."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from csnb.errors import InputError, Issue, PlanError
from csnb.plan.checks import cross_check
from csnb.plan.datasource import Source
from csnb.plan.fields import PATTERN_HINTS
from csnb.plan.located import Located, load_located
from csnb.plan.models import (
    Change,
    Decision,
    EscalationStep,
    Goal,
    Metric,
    Milestone,
    Person,
    Plan,
    Risk,
    Ritual,
)

SECTIONS: dict[str, type] = {
    "people": Person,
    "goals": Goal,
    "metrics": Metric,
    "milestones": Milestone,
    "risks": Risk,
    "cadence": Ritual,
    "escalation": EscalationStep,
    "changes": Change,
    "decisions": Decision,
}


def _pydantic_issues(doc: Located, exc: ValidationError, prefix: tuple = ()) -> list[Issue]:
    issues = []
    for err in exc.errors(include_url=False):
        loc = prefix + tuple(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown field {loc[-1]!r} (is it a typo?)"
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "string_pattern_mismatch":
            msg = PATTERN_HINTS.get(err.get("ctx", {}).get("pattern", ""), msg)
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        issues.append(doc.issue(loc, msg))
    return issues


def _without(data: Any, paths: list[tuple]) -> Any:
    """A copy of ``data`` with the keys at ``paths`` removed (unknown fields), so the rest can be checked."""
    data = copy.deepcopy(data)
    for path in paths:
        node = data
        for part in path[:-1]:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return data


def _valid_items(doc: Located, exc: ValidationError) -> dict[str, list[tuple[int, Any]]]:
    """Per section, the (index, model) of every item that validates once its unknown fields are dropped."""
    extras = [tuple(e["loc"]) for e in exc.errors() if e["type"] == "extra_forbidden"]
    data = _without(doc.data, extras) if isinstance(doc.data, dict) else {}
    out: dict[str, list[tuple[int, Any]]] = {}
    for name, cls in SECTIONS.items():
        items = data.get(name)
        out[name] = []
        for i, item in enumerate(items if isinstance(items, list) else []):
            try:
                out[name].append((i, cls.model_validate(item)))
            except ValidationError:
                pass
    sources = data.get("sources")
    out["sources"] = []
    for key, value in sources.items() if isinstance(sources, dict) else []:
        try:
            out["sources"].append((key, Source.model_validate(value)))
        except ValidationError:
            pass
    return out


def validate_document(
    doc: Located, env: dict[str, str] | None = None, model: type[Plan] = Plan
) -> tuple[Plan | None, list[Issue]]:
    """Validate a loaded document; return the plan (or None) and every issue found."""
    env = os.environ if env is None else env
    if not isinstance(doc.data, dict):
        return None, [doc.issue((), f"a plan is a YAML mapping, not a {type(doc.data).__name__}")]
    try:
        plan = model.model_validate(doc.data)
        issues: list[Issue] = []
        parts = {name: list(enumerate(getattr(plan, name))) for name in SECTIONS}
        parts["sources"] = list(plan.sources.items())
    except ValidationError as exc:
        plan, issues = None, _pydantic_issues(doc, exc)
        parts = _valid_items(doc, exc)
    issues += cross_check(doc, parts, env)
    issues = sorted(set(issues), key=lambda i: (i.line, i.column, i.field, i.message))
    return (plan if not issues else None), issues


def load_plan(
    path: str | os.PathLike[str],
    env: dict[str, str] | None = None,
    display: str | None = None,
    model: type[Plan] = Plan,
) -> Plan:
    """Load and validate a plan file; raise ``PlanError`` listing every problem at once."""
    try:
        doc = load_located(path, display)
    except InputError as exc:
        raise PlanError(exc.issues) from None
    plan, issues = validate_document(doc, env, model)
    if issues or plan is None:
        raise PlanError(issues)
    plan._path = Path(path).resolve()
    return plan


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of a plan file, for editors."""
    schema = Plan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "csnb client success plan"
    return schema
