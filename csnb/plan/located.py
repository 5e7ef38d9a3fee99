"""Safe YAML loading that remembers where every value came from (file, line, column)."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from csnb.errors import InputError, Issue
from csnb.plan.fields import escape_controls

MAX_BYTES = 2 * 1024 * 1024  # a hand-written plan is a few KB; refuse before reading a 50 MB file
MAX_NODES = 200_000  # caps alias expansion ("billion laughs") while converting
MAX_DEPTH = 64  # no plan nests this deep; deeper input is an error, not a stack overflow

_FLOW = re.compile(r"[\[\]{}]")
Path_ = tuple[str | int, ...]
Positions = dict[Path_, tuple[int, int]]


def format_path(path: Iterable[str | int]) -> str:
    """Render a field path as ``milestones[2].due``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return escape_controls(out)  # a key may hold a control character: shown escaped, never sent raw


class Located:
    """A loaded YAML document as plain Python values plus the line/column of every field."""

    def __init__(self, file: str, data: Any, positions: Positions):
        self.file, self.data, self.positions = file, data, positions

    def where(self, path: Iterable[str | int]) -> tuple[int, int]:
        """Line and column of the deepest part of ``path`` that exists in the file."""
        path = tuple(path)
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return (1, 1)

    def issue(self, path: Iterable[str | int], message: str) -> Issue:
        """An ``Issue`` for ``path`` located in this file."""
        path = tuple(path)
        line, col = self.where(path)
        return Issue(self.file, line, col, format_path(path), message)


def _fail(file: str, message: str, line: int = 0, column: int = 0) -> InputError:
    return InputError([Issue(file, line, column, "", message)])


def _at(file: str, message: str, raw: bytes, offset: int) -> InputError:
    """An error located at byte ``offset`` of the file's ``raw`` bytes (line and column from 1)."""
    line = raw.count(b"\n", 0, offset) + 1
    column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
    return _fail(file, message, line, column)


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, except that an impossible date (2026-02-30) stays text."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        """The date or time, or the node's text when it names no calendar date (the model says so)."""
        try:
            return super().construct_yaml_timestamp(node, values)
        except (ValueError, OverflowError):
            return str(node.value)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def read_text(path: Path, display: str) -> str:
    """Read a small UTF-8 text file, refusing huge or binary files with a clear error."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise _fail(display, "file not found") from None
    except OSError as exc:
        raise _fail(display, f"cannot read file: {exc.strerror}") from None
    if path.is_dir():
        raise _fail(display, "is a directory, expected a YAML file")
    if size > MAX_BYTES:
        raise _fail(
            display, f"file is {size / 1e6:.1f} MB; plans are limited to {MAX_BYTES // 1024 // 1024} MB", 1, 1
        )
    with path.open("rb") as fh:
        # read one byte past the limit: devices and pipes report size 0 but never end
        raw = fh.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        limit = MAX_BYTES // 1024 // 1024
        raise _fail(display, f"file is larger than {limit} MB; plans are limited to that", 1, 1)
    if b"\x00" in raw:
        raise _at(display, "binary file (contains NUL bytes), expected YAML text", raw, raw.index(b"\x00"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _at(display, f"not UTF-8 text (invalid byte at offset {exc.start})", raw, exc.start) from None


def load_located(path: str | os.PathLike[str], display: str | None = None) -> Located:
    """Parse a YAML file into plain values with positions; raise ``InputError`` on bad YAML."""
    path = Path(path)
    display = display or str(path)
    text = read_text(path, display)
    return parse_located(text, display)


def parse_located(text: str, display: str) -> Located:
    """Parse YAML text (already read) into a ``Located`` document."""
    _check_flow_depth(text, display)
    from csnb.plan import libyaml as yamlfast

    try:
        # libyaml's composer recurses in C: only shallow documents go to it (deep ones crash the process)
        node = yamlfast.compose(text) if yamlfast.shallow(text, 4 * MAX_DEPTH) else False
    except Exception:  # noqa: BLE001 - anything libyaml refuses gets ruamel's clearer message below
        node = False
    if node is None:
        raise _fail(display, "file is empty, expected a YAML mapping", 1, 1)
    if node is not False:
        positions: Positions = {}
        try:
            data = _from_node(node, (), positions, [MAX_NODES], display)
        except yamlfast.Duplicate as dup:
            line, col, key = dup.args
            raise _fail(display, f"invalid YAML: duplicate key {key}", line, col) from None
        except RecursionError:
            raise _fail(display, "invalid YAML: nesting is too deep", 1, 1) from None
        return Located(display, data, positions)
    return _parse_ruamel(text, display)


def _from_node(node: Any, path: Path_, pos: Positions, budget: list[int], file: str) -> Any:
    """Plain values from a libyaml node tree, recording the position of every key and item."""
    from yaml.nodes import MappingNode, SequenceNode

    from csnb.plan.libyaml import mapping_items, resolve_scalar

    budget[0] -= 1
    if budget[0] < 0:
        raise _fail(file, f"document expands to more than {MAX_NODES} values (YAML alias bomb?)", 1, 1)
    if len(path) > MAX_DEPTH:
        raise _fail(file, f"nesting deeper than {MAX_DEPTH} levels", *pos.get(path[:-1], (1, 1)))
    if isinstance(node, MappingNode):
        out = {}
        for knode, vnode in mapping_items(node):
            where = (knode.start_mark.line + 1, knode.start_mark.column + 1)
            if isinstance(knode, (MappingNode, SequenceNode)):
                raise _fail(file, "mapping keys must be plain scalars", *where)
            key = str(resolve_scalar(knode))
            pos.setdefault(path + (key,), where)
            out[key] = _from_node(vnode, path + (key,), pos, budget, file)
        return out
    if isinstance(node, SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            pos[path + (i,)] = (item.start_mark.line + 1, item.start_mark.column + 1)
            items.append(_from_node(item, path + (i,), pos, budget, file))
        return items
    return _scalar(resolve_scalar(node))


def _parse_ruamel(text: str, display: str) -> Located:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    try:
        doc = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if "duplicate key" in str(exc).lower():
            problem = "duplicate key " + str(exc).split('found duplicate key "')[-1].split('"')[0]
        raise _fail(display, f"invalid YAML: {problem}", line, col) from None
    except RecursionError:
        raise _fail(display, "invalid YAML: nesting is too deep", 1, 1) from None
    except (YAMLError, ValueError, TypeError, OverflowError) as exc:
        lines = str(exc).splitlines() or [""]
        raise _fail(display, f"invalid YAML: {type(exc).__name__}: {lines[0][:200]}", 1, 1) from None
    if doc is None:
        raise _fail(display, "file is empty, expected a YAML mapping", 1, 1)
    positions: Positions = {}
    budget = [MAX_NODES]
    data = _plain(doc, (), positions, budget, display)
    return Located(display, data, positions)


def _check_flow_depth(text: str, file: str) -> None:
    """Refuse deeply nested ``[``/``{`` before parsing: ruamel's scanner is quadratic in flow depth."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    # brackets inside quoted strings are counted too; no plan has MAX_DEPTH of them unclosed
    for match in _FLOW.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            raise _fail(file, f"nesting deeper than {MAX_DEPTH} levels", line, column)


def _plain(node: Any, path: Path_, pos: Positions, budget: list[int], file: str) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _fail(file, f"document expands to more than {MAX_NODES} values (YAML alias bomb?)", 1, 1)
    if len(path) > MAX_DEPTH:
        raise _fail(file, f"nesting deeper than {MAX_DEPTH} levels", *pos.get(path[:-1], (1, 1)))
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            if not isinstance(key, (str, int, float, bool, dt.date)) or isinstance(key, (list, dict)):
                raise _fail(file, "mapping keys must be plain scalars", *_key_pos(node, key))
            k = str(key) if not isinstance(key, str) else str(key)
            pos[path + (k,)] = _key_pos(node, key)
            out[k] = _plain(value, path + (k,), pos, budget, file)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            try:
                line, col = node.lc.item(i)
                pos[path + (i,)] = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError):
                pass
            items.append(_plain(value, path + (i,), pos, budget, file))
        return items
    return _scalar(node)


def _key_pos(node: CommentedMap, key: Any) -> tuple[int, int]:
    try:
        line, col = node.lc.key(key)
        return (line + 1, col + 1)
    except (KeyError, TypeError, AttributeError):
        return (node.lc.line + 1, node.lc.col + 1)


def _scalar(value: Any) -> Any:
    # ruamel returns subclasses (ScalarFloat, TimeStamp, LiteralScalarString); downstream wants plain types
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.datetime):
        return dt.datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            value.tzinfo,
        )
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    if isinstance(value, str):
        return str(value)
    # custom tags (!!python/object, !foo) are never constructed: keep their text only
    return str(getattr(value, "value", value))
