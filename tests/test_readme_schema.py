"""The README documents every plan field `csnb schema` knows, and no field it does not.

Like sqlite-utils checking its README against `--help`: the table under "Every plan field" is compared
with the JSON Schema printed by `csnb schema`, both ways, so a new field cannot ship undocumented and a
removed one cannot linger in the manual.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from csnb.cli import app


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    return _resolve(defs[node["$ref"].rsplit("/", 1)[-1]], defs) if "$ref" in node else node


def schema_fields(node: dict[str, Any], defs: dict[str, Any], path: str = "") -> set[str]:
    """Every field path of a schema: ``metrics[].baseline.date``, ``sources.<name>.kind``."""
    node = _resolve(node, defs)
    found: set[str] = set()
    for branch in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
        found |= schema_fields(branch, defs, path)
    if "items" in node:
        found |= schema_fields(node["items"], defs, path + "[]")
    for value in node.get("patternProperties", {}).values():
        found |= schema_fields(value, defs, path + ".<name>")
    for name, value in node.get("properties", {}).items():
        field = f"{path}.{name}" if path else name
        found |= {field} | schema_fields(value, defs, field)
    return found


def readme_fields(readme: Path) -> set[str]:
    """The first column of the README's "Every plan field" table."""
    section = readme.read_text(encoding="utf-8").split("### Every plan field", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE))


def test_every_schema_field_is_in_the_readme_and_no_other(repo: Path) -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    in_schema = schema_fields(schema, schema.get("$defs", {}))
    documented = readme_fields(repo / "README.md")
    assert len(in_schema) > 100  # the walk reached every section, down to criteria and recovery actions
    assert sorted(in_schema - documented) == [], "fields of `csnb schema` missing from the README's table"
    assert sorted(documented - in_schema) == [], "fields in the README's table that `csnb schema` lacks"


def test_the_fields_a_newcomer_missed_are_documented(repo: Path) -> None:
    documented = readme_fields(repo / "README.md")
    assert {"cadence[].time", "cadence[].duration_minutes", "cadence[].agenda"} <= documented
    assert "milestones[].client_inputs[].received_on" in documented
