"""Validated plans kept between commands, keyed by what validation reads: 1,000 plans load in a blink.

Validating a plan (YAML with line marks, pydantic, cross-checks) takes about 12 ms; a batch over
1,000 plans spent most of its dry run there. A plan that validated is kept in ``.csnb/plans/`` under
a key of its file's bytes, its path (the file name is the client id) and the code that validates it
(csnb's version and its plan modules' sizes and times). The environment is read again on every use:
a cached plan is used only while every environment variable its sources need is still set, otherwise
the plan is validated again (and reports the missing variable as usual). A plan that fails validation
is never kept, so its problems are reported every time, and nothing is kept until every plan a
command reads is valid. An unreadable or stale entry is ignored. Each use marks an entry's time; an
entry unused for ``KEEP_DAYS`` (an old version of an edited plan, a client gone) is removed the next
time a command keeps a plan.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import time
from pathlib import Path

import csnb
from csnb.errors import OutputError
from csnb.fs import write_atomic
from csnb.plan.load import load_plan
from csnb.plan.models import Plan

CACHE_FOLDER = Path(".csnb") / "plans"
_PLAN_CODE = Path(csnb.__file__).parent / "plan"
KEEP_DAYS = 30  # an entry no command used for this long is removed


def _code_key() -> bytes:
    """What the validating code is: csnb's version and each plan module's size and modification time."""
    parts = [getattr(csnb, "__version__", "")]
    for module in sorted(_PLAN_CODE.glob("*.py")):
        stat = module.stat()
        parts.append(f"{module.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts).encode()


def _needed_env(plan: Plan) -> list[str]:
    """The environment variables without a default that the plan's sources reference."""
    return sorted({var for src in plan.sources.values() for _, var, default in src.env_refs() if not default})


class PlanCache:
    """Validated plans of one project, under ``ROOT/.csnb/plans/``."""

    def __init__(self, root: str | os.PathLike[str]):
        self.folder = Path(root) / CACHE_FOLDER
        self.code = _code_key()
        self._pending: dict[Path, bytes] = {}

    def _entry(self, path: Path, data: bytes) -> Path:
        key = hashlib.sha256(self.code + b"\0" + str(path).encode() + b"\0" + data).hexdigest()
        return self.folder / f"{key[:40]}.pickle"

    def load(self, path: str | os.PathLike[str]) -> Plan:
        """The validated plan at ``path``: from the cache when its key and environment still match."""
        path = Path(path).resolve()
        data = path.read_bytes()
        entry = self._entry(path, data)
        cached = self._read(entry)
        if cached is not None:
            plan, needed = cached
            if all(var in os.environ for var in needed):
                plan._path = path
                with contextlib.suppress(OSError):  # in use: not pruned (a read-only project just skips this)
                    os.utime(entry)
                return plan
        plan = load_plan(path)  # a plan that fails raises here and is never kept
        self._pending[entry] = pickle.dumps((plan, _needed_env(plan)), protocol=pickle.HIGHEST_PROTOCOL)
        return plan

    def save(self) -> None:
        """Keep the plans validated since the last save (called once every plan of a command is valid,
        so a command refused for a bad plan writes nothing)."""
        if not self._pending:
            return
        for entry, data in self._pending.items():
            with contextlib.suppress(OSError, OutputError):  # a read-only project loads plans, only slower
                write_atomic(entry, data)
        self._pending.clear()
        self.prune()

    def prune(self, days: float = KEEP_DAYS) -> int:
        """Remove the entries no command used for ``days`` days; return how many were removed."""
        oldest = time.time() - days * 86400
        removed = 0
        for entry in self.folder.glob("*.pickle"):
            with contextlib.suppress(OSError):  # gone already (another command pruned it) or read-only
                if entry.stat().st_mtime < oldest:
                    entry.unlink()
                    removed += 1
        return removed

    @staticmethod
    def _read(entry: Path) -> tuple[Plan, list[str]] | None:
        try:
            plan, needed = pickle.loads(entry.read_bytes())
        except Exception:  # noqa: BLE001 - missing, truncated or from another csnb: validate again
            return None
        return (plan, needed) if isinstance(plan, Plan) else None
