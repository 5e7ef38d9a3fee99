"""Fast YAML 1.2 loading with positions: libyaml composes the node tree, csnb resolves the scalars.

ruamel's round-trip loader gives positions but is pure Python (about 80 ms for a 10 KB plan);
libyaml's composer gives the same positions in a few milliseconds. Scalars are resolved with the
YAML 1.2 core schema (so ``on``/``yes``/``no`` stay strings, as with ruamel). Any document libyaml
refuses is parsed again by ruamel, whose error messages the user then sees.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$"
)


class Duplicate(Exception):
    """A mapping repeats a key (line, column, key)."""


_LEAD = re.compile(r"[ \t]*(?:[-?:][ \t]+)*")


def shallow(text: str, limit: int) -> bool:
    """Whether no line can open more than ``limit`` levels (indentation plus leading ``- `` markers)."""
    return all(len(_LEAD.match(line).group()) <= limit for line in text.split("\n"))


def compose(text: str) -> Any:
    """The libyaml node tree of ``text`` (None for an empty document); raises ``yaml.YAMLError``."""
    return yaml.compose(text, Loader=_LOADER)


def resolve_scalar(node: ScalarNode) -> Any:
    """A scalar's value by the YAML 1.2 core schema; quoted and block scalars are strings."""
    value = node.value
    if node.style or not node.tag.startswith(_TAG):
        return value  # quoted, literal, folded, or a custom tag: text only, never constructed
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _OCT.match(value) or _HEX.match(value):
        return int(value, 8 if value[1] == "o" else 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return float("-inf") if value.startswith("-") else float("inf")
    if _NAN.match(value):
        return float("nan")
    return _timestamp(node) if _TIMESTAMP.match(value) else value


def _timestamp(node: ScalarNode) -> Any:
    """A date or time; the text when it names no calendar day (2026-02-30), for the model to report."""
    try:
        return yaml.constructor.SafeConstructor().construct_yaml_timestamp(node)
    except (ValueError, OverflowError):
        return node.value


def mapping_items(node: MappingNode) -> list[tuple[ScalarNode, Any]]:
    """(key node, value node) pairs with ``<<`` merge keys applied; raises ``Duplicate``."""
    own, merged = [], []
    for knode, vnode in node.value:
        if knode.tag == _TAG + "merge":
            sources = vnode.value if isinstance(vnode, SequenceNode) else [vnode]
            for src in sources:
                if isinstance(src, MappingNode):
                    merged += mapping_items(src)
        else:
            own.append((knode, vnode))
    seen: set[Any] = set()
    for knode, _ in own:
        key = knode.value if isinstance(knode, ScalarNode) else id(knode)
        if key in seen:
            raise Duplicate(knode.start_mark.line + 1, knode.start_mark.column + 1, key)
        seen.add(key)
    return own + [(k, v) for k, v in merged if k.value not in seen and not seen.add(k.value)]
