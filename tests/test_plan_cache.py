"""Validated plans kept in ``.csnb/plans/``: used while the file, its name and its environment stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from batchkit import PLAN

from csnb.errors import PlanError
from csnb.project.plancache import PlanCache

WAREHOUSE = PLAN.replace(
    "exports: {{kind: csv, path: ../data/metrics.csv}}", 'exports: {{kind: sql, url: "${{WH_URL}}"}}'
).replace(
    "source: exports", 'source: exports\n    query: "SELECT day AS date, value FROM t WHERE c = :client"'
)


def _plan(root: Path, client: str = "acme", text: str = PLAN, name: str = "Acme") -> Path:
    path = root / "parameters" / f"{client}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.format(client=client, name=name))
    return path


def _load(root: Path, path: Path):
    """Load through a fresh cache and keep what it validated, as a command whose plans are all valid does."""
    cache = PlanCache(root)
    plan = cache.load(path)
    cache.save()
    return plan


def _entries(root: Path) -> list[Path]:
    return sorted((root / ".csnb" / "plans").glob("*.pickle"))


def test_a_plan_is_validated_once_and_again_when_its_file_changes(tmp_path: Path) -> None:
    path = _plan(tmp_path)

    first = _load(tmp_path, path)
    again = _load(tmp_path, path)
    _plan(tmp_path, name="Acme Logistics")
    changed = _load(tmp_path, path)

    assert first == again and again.path == path.resolve() and again.client.name == "Acme"
    assert changed.client.name == "Acme Logistics"
    assert len(_entries(tmp_path)) == 2


def test_a_plan_that_fails_is_never_kept(tmp_path: Path) -> None:
    path = _plan(tmp_path, text=PLAN.replace("direction: down", "direction: sideways"))

    for _ in range(2):
        with pytest.raises(PlanError, match="direction"):
            _load(tmp_path, path)
    assert _entries(tmp_path) == []


def test_nothing_is_kept_until_the_command_saves(tmp_path: Path) -> None:
    cache = PlanCache(tmp_path)
    cache.load(_plan(tmp_path))

    assert not (tmp_path / ".csnb").exists()  # a batch refused for another, bad plan writes nothing
    cache.save()
    assert len(_entries(tmp_path)) == 1


def test_a_cached_plan_whose_environment_variable_is_gone_is_validated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _plan(tmp_path, text=WAREHOUSE)
    monkeypatch.setenv("WH_URL", "sqlite:///warehouse.db")
    assert _load(tmp_path, path).sources["exports"].kind == "sql"

    monkeypatch.delenv("WH_URL")
    with pytest.raises(PlanError, match="environment variable WH_URL is not set"):
        _load(tmp_path, path)


def test_the_same_text_under_another_file_name_is_checked_for_its_name(tmp_path: Path) -> None:
    _load(tmp_path, _plan(tmp_path))
    other = tmp_path / "parameters" / "globex.yaml"
    other.write_bytes((tmp_path / "parameters" / "acme.yaml").read_bytes())

    with pytest.raises(PlanError, match="globex"):
        _load(tmp_path, other)


def test_a_damaged_entry_is_ignored(tmp_path: Path) -> None:
    path = _plan(tmp_path)
    _load(tmp_path, path)
    (entry,) = _entries(tmp_path)
    entry.write_bytes(b"not a pickle")

    assert _load(tmp_path, path).client.id == "acme"
    assert entry.read_bytes() != b"not a pickle"  # written again, whole


def test_entries_unused_for_a_month_are_removed_and_used_ones_stay(tmp_path: Path) -> None:
    import os
    import time

    used, edited = _plan(tmp_path, "acme"), _plan(tmp_path, "globex", name="Globex")
    _load(tmp_path, used)
    _load(tmp_path, edited)
    month_ago = time.time() - 31 * 86400
    for entry in _entries(tmp_path):
        os.utime(entry, (month_ago, month_ago))
    _load(tmp_path, used)  # a hit marks its entry as used
    edited.write_text(PLAN.format(client="globex", name="Globex Ltd"))
    _load(tmp_path, edited)  # a new entry is kept, and the old version of globex's goes
    names = {PlanCache(tmp_path).load(p).client.name for p in (used, edited)}
    assert len(_entries(tmp_path)) == 2 and names == {"Acme", "Globex Ltd"}
