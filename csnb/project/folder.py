"""A csnb project folder: its configuration and its plans."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from csnb.errors import InputError, Issue, PlanError
from csnb.plan.checks import plan_warnings
from csnb.plan.claims import ClaimIndex, Claims, read_claims
from csnb.plan.fields import CLIENT_ID_PATTERN
from csnb.plan.load import load_plan, read_plan
from csnb.plan.models import Plan
from csnb.plan.suggest import did_you_mean
from csnb.project.config import Config, load_config

SUFFIXES = (".yaml", ".yml")


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (as users typed it)."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def plan_files(paths: list[Path]) -> list[Path]:
    """The plan files named by ``paths``: files as given, folders expanded to their ``*.yaml``/``*.yml``."""
    out: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        found = (
            sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
            if path.is_dir()
            else [path]
        )
        for file in found:
            if file.absolute() not in seen:  # a file named twice is checked once
                seen.add(file.absolute())
                out.append(file)
    return out


@dataclass
class Checked:
    """The outcome of validating one plan file: the plan (None when invalid), its issues and warnings."""

    path: Path
    plan: Plan | None
    issues: tuple[Issue, ...]
    warnings: tuple[Issue, ...] = ()


def check_files(paths: list[Path], neighbours: list[Path] | None = None) -> list[Checked]:
    """Validate every plan file, on its own and against the project's plans (``neighbours``, and ``paths``
    that are in a ``parameters/`` folder).

    Across plans, one client id has one plan, a client-side address or domain belongs to one client, and a
    database read by two plans is read with ``:client`` bound. A draft outside ``parameters/`` is compared
    with the project's plans other than the one of its own client id, which it would replace.
    """
    read = []
    for path in plan_files(paths):
        plan, issues, doc = read_plan(path, display=display_path(path))
        read.append((path, plan, issues, read_claims(path, display_path(path), doc)))
    # the project's plans are compared with each other; a draft (outside parameters/) only with them
    mine = {c.real for *_, c in read}
    index = ClaimIndex([c for *_, c in read if c.in_project] + _claims(neighbours or [], mine))
    results = []
    for path, plan, issues, claims in read:
        found = sorted(set(issues + index.conflicts(claims)), key=lambda i: (i.line, i.column, i.field))
        warnings = plan_warnings(plan, claims.doc) if plan is not None and claims.doc is not None else []
        results.append(Checked(path, None if found else plan, tuple(found), tuple(warnings)))
    return results


def _claims(paths: list[Path], skip: set[Path]) -> list[Claims]:
    claims = (read_claims(p, display_path(p)) for p in plan_files([p for p in paths if p.exists()]))
    return [c for c in claims if c.real not in skip]


def client_id(value: str) -> str:
    """``value`` if it is a client id; ``InputError`` (exit 2) for anything else, a path above all."""
    if isinstance(value, str) and re.match(CLIENT_ID_PATTERN, value):
        return value
    stem = Path(str(value)).stem if str(value).endswith(SUFFIXES) else ""
    hint = f" (write {stem!r}, without .yaml)" if re.match(CLIENT_ID_PATTERN, stem) else ""
    raise InputError(
        f"{value!r} is not a client id{hint}: name a client by its plan's file name in parameters/ "
        "(lower-case letters, digits, '_' or '-'), never by a path"
    )


class Project:
    """A project folder: ``csnb.toml``, ``parameters/``, ``notebooks/``, ``reports/``."""

    plan_model: type[Plan] = Plan  # the analyst API's Project loads plans with notebook conveniences

    def __init__(self, root: str | os.PathLike[str] = "."):
        self.config: Config = load_config(Path(root))
        self.root = self.config.root

    def plan_paths(self) -> list[Path]:
        """Every plan file in ``parameters/``."""
        folder = self.config.parameters
        return plan_files([folder]) if folder.is_dir() else []

    @property
    def plans(self) -> list[Plan]:
        """Every plan of the project (raises ``PlanError`` on the first invalid one).

        Plans validated before come from the plan cache (``.csnb/plans/``): at 10,000 clients,
        validating every plan file again would be two minutes of every ``csnb status --all``.
        """
        if self.plan_model is not Plan:  # the analyst API's plans carry notebook conveniences
            return [load_plan(p, model=self.plan_model) for p in self.plan_paths()]
        from csnb.project.plancache import PlanCache

        cache = PlanCache(self.root)
        plans = [cache.load(p) for p in self.plan_paths()]
        cache.save()  # only now: a command refused for a bad plan keeps nothing
        return plans

    def plan_path(self, client: str) -> Path:
        """The plan file of ``client`` (a client id, never a path): ``parameters/<client>.yaml``."""
        found = [
            p for p in (self.config.parameters / f"{client_id(client)}{s}" for s in SUFFIXES) if p.is_file()
        ]
        if len(found) > 1:
            first, second = (display_path(p) for p in found)
            raise PlanError([Issue(second, 1, 1, "", f"client {client} also has the plan {first}: keep one")])
        if found:
            return found[0]
        stems = [p.stem for p in self.plan_paths()]
        hint = did_you_mean(client, stems) or f" (known: {', '.join(stems) or 'none'})"
        message = f"no plan for client {client!r}{hint}"
        raise PlanError([Issue(str(self.config.parameters), 0, 0, "", message)])

    def plan(self, client: str) -> Plan:
        """The plan of ``client``."""
        return load_plan(self.plan_path(client), model=self.plan_model)

    def __repr__(self) -> str:
        return f"Project({str(self.root)!r}, plans={len(self.plan_paths())})"
