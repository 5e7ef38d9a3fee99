"""Loading a plan file: YAML with line marks -> validated ``Plan``, every problem reported at once."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from csnb.errors import InputError, Issue, PlanError
from csnb.plan.checks import cross_check
from csnb.plan.datasource import Source
from csnb.plan.fields import CLIENT_ID_PATTERN, PATTERN_HINTS
from csnb.plan.located import Located, load_located
from csnb.plan.models import (
    Change,
    Client,
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
from csnb.plan.suggest import did_you_mean, fields_at

PLANS_FOLDER = "parameters"  # a project's plans: parameters/<client>.yaml
DATE_ERRORS = ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact")
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
            hint = did_you_mean(loc[-1], fields_at(loc[:-1]))
            msg = f"unknown field {loc[-1]!r}" + (hint or " (is it a typo?)")
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "string_pattern_mismatch":
            msg = PATTERN_HINTS.get(err.get("ctx", {}).get("pattern", ""), msg)
        elif err["type"] in DATE_ERRORS:
            msg = _date_message(err)
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        issues.append(doc.issue(loc, msg))
    return issues


def _date_message(err: dict[str, Any]) -> str:
    """What a person reads for a value that is no calendar date (2026-02-30, 2026-13-01, next week)."""
    value = err.get("input")
    shown = value.isoformat() if hasattr(value, "isoformat") else str(value)
    detail = str(err.get("ctx", {}).get("error", "")).replace("_", " ")
    why = f" ({detail})" if detail and detail != "invalid character in year" else ""
    return f"not a valid date: {shown!r}{why}; write a calendar date as YYYY-MM-DD"


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
    try:
        out["client"] = [(0, Client.model_validate(data.get("client")))]
    except ValidationError:
        out["client"] = []
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
        parts["client"] = [(0, plan.client)]
    except ValidationError as exc:
        plan, issues = None, _pydantic_issues(doc, exc)
        parts = _valid_items(doc, exc)
    issues += cross_check(doc, parts, env)
    issues = sorted(set(issues), key=lambda i: (i.line, i.column, i.field, i.message))
    return (plan if not issues else None), issues


def in_plans_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a project's plan, ``parameters/<client>.yaml``: its file name is its client id."""
    return Path(path).absolute().parent.name == PLANS_FOLDER


def _identity(doc: Located, path: Path) -> list[Issue]:
    """The client id rule: the file name is the id; ``client.id`` may be omitted (then filled in) or equal it.

    Outside a ``parameters/`` folder (a draft) the file name is used only when ``client.id`` is omitted.
    """
    client = doc.data.get("client") if isinstance(doc.data, dict) else None
    if not isinstance(client, dict):
        return []
    stem, named = path.stem, in_plans_folder(path)
    declared = client.get("id")
    if declared is None:
        if re.match(CLIENT_ID_PATTERN, stem):
            client["id"] = stem
            return []
        hint = "rename the file" if named else "rename the file or set client.id"
        return [
            doc.issue(
                ("client",),
                f"the file name {stem!r} is not a client id; {hint} (lower-case "
                "letters, digits, '_' or '-', e.g. acme.yaml)",
            )
        ]
    if named and str(declared) != stem:
        return [
            doc.issue(
                ("client", "id"),
                f"client id {declared!r} differs from the file name {path.name!r}: a "
                f"plan's file name is its client id (name the file {declared}.yaml, or drop client.id)",
            )
        ]
    return []


def read_plan(
    path: str | os.PathLike[str],
    env: dict[str, str] | None = None,
    display: str | None = None,
    model: type[Plan] = Plan,
) -> tuple[Plan | None, list[Issue], Located | None]:
    """Read and validate a plan file: the plan (or None), every issue, the document (None if unreadable)."""
    try:
        doc = load_located(path, display)
    except InputError as exc:
        return None, list(exc.issues), None
    issues = _identity(doc, Path(path))
    plan, more = validate_document(doc, env, model)
    issues = sorted(set(issues + more), key=lambda i: (i.line, i.column, i.field, i.message))
    if issues or plan is None:
        return None, issues, doc
    plan._path = Path(path).resolve()
    return plan, [], doc


def load_plan(
    path: str | os.PathLike[str],
    env: dict[str, str] | None = None,
    display: str | None = None,
    model: type[Plan] = Plan,
) -> Plan:
    """Load and validate a plan file; raise ``PlanError`` listing every problem at once."""
    plan, issues, _ = read_plan(path, env, display, model)
    if plan is None:
        raise PlanError(issues)
    return plan


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of a plan file, for editors."""
    schema = Plan.model_json_schema()
    client = schema["$defs"]["Client"]
    client["required"] = [f for f in client.get("required", []) if f != "id"]  # the file name gives it
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "csnb client success plan"
    return schema
