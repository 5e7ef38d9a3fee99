"""The fast libyaml path reads plans exactly as the ruamel path does: same values, same positions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from csnb.plan.located import _parse_ruamel, parse_located

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("plan", sorted((REPO / "parameters").glob("*.yaml")), ids=lambda p: p.name)
def test_demo_plans_read_the_same_with_both_parsers(plan: Path) -> None:
    text = plan.read_text()
    fast, slow = parse_located(text, "p.yaml"), _parse_ruamel(text, "p.yaml")
    assert fast.data == slow.data
    assert fast.positions == slow.positions


@pytest.mark.parametrize(
    "text, value",
    [
        ("a: on", "on"),
        ("a: yes", "yes"),
        ("a: no", "no"),
        ("a: ~", None),
        ("a: null", None),
        ("a: true", True),
        ("a: 017", 17),
        ("a: 0o17", 15),
        ("a: 0x1F", 31),
        ("a: 1.5e3", 1500.0),
        ("a: '12'", "12"),
        ("a: 2026-09-01", dt.date(2026, 9, 1)),
        ("a: 1:30", "1:30"),
        ("a: !foo bar", "bar"),
    ],
)
def test_yaml_1_2_scalars(text: str, value: object) -> None:
    assert parse_located(text, "p.yaml").data == {"a": value}


def test_merge_keys_apply_without_overriding() -> None:
    text = "base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n"
    assert parse_located(text, "p.yaml").data["item"] == {"x": 1, "y": 3}


keys = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
scalars = st.one_of(
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
    st.text(alphabet="abc xyz-_.", min_size=1, max_size=8).map(str.strip).filter(bool),
    st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, documents, min_size=1, max_size=5))
def test_random_documents_read_the_same_with_both_parsers(doc: dict) -> None:
    from io import StringIO

    out = StringIO()
    YAML(typ="rt").dump(doc, out)
    text = out.getvalue()
    fast, slow = parse_located(text, "p.yaml"), _parse_ruamel(text, "p.yaml")
    assert fast.data == slow.data
    assert fast.positions == slow.positions
