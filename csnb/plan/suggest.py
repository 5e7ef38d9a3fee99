"""'Did you mean ...?': the closest known name to a typo, for unknown fields and unknown ids in a plan."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from typing import Any


def closest(name: object, known: Iterable[str]) -> str | None:
    """The known name most like ``name`` (difflib, cutoff 0.75: a far-off word gets no guess), or None."""
    if not isinstance(name, str):
        return None
    choices = {k.lower(): k for k in known if isinstance(k, str)}
    found = difflib.get_close_matches(name.lower(), list(choices), n=1, cutoff=0.75)
    return choices[found[0]] if found else None


def did_you_mean(name: object, known: Iterable[str]) -> str:
    """' (did you mean 'tolerance'?)', or '' when nothing is close enough to suggest."""
    found = closest(name, known)
    return f" (did you mean {found!r}?)" if found and found != name else ""


@functools.cache
def _schema() -> dict[str, Any]:
    from csnb.plan.models import Plan

    return Plan.model_json_schema()


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    """The object schemas ``node`` may be: through ``$ref`` and every branch of ``anyOf``/``oneOf``."""
    if "$ref" in node:
        return _resolve(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    branches = node.get("anyOf") or node.get("oneOf") or node.get("allOf")
    if branches:
        return [found for branch in branches for found in _resolve(branch, defs)]
    return [node]


def fields_at(location: tuple[Any, ...]) -> list[str]:
    """The field names the plan's schema allows in the mapping at ``location`` (e.g. ``("metrics", 0)``)."""
    schema = _schema()
    defs = schema.get("$defs", {})
    nodes = _resolve(schema, defs)
    for step in location:
        following: list[dict[str, Any]] = []
        for node in nodes:
            if isinstance(step, int) and "items" in node:
                following += _resolve(node["items"], defs)
            elif isinstance(step, str) and step in node.get("properties", {}):
                following += _resolve(node["properties"][step], defs)
            elif isinstance(step, str):  # a mapping keyed by the user's names, such as sources
                values = [node.get("additionalProperties"), *node.get("patternProperties", {}).values()]
                following += [found for v in values if isinstance(v, dict) for found in _resolve(v, defs)]
        nodes = following
    return sorted({name for node in nodes for name in node.get("properties", {})})
