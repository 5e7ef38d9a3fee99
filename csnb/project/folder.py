"""A csnb project folder: its configuration and its plans."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from csnb.errors import Issue, PlanError
from csnb.plan.load import load_plan
from csnb.plan.models import Plan
from csnb.project.config import Config, load_config


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (as users typed it)."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def plan_files(paths: list[Path]) -> list[Path]:
    """The plan files named by ``paths``: files as given, folders expanded to their ``*.yaml``/``*.yml``."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            out.append(path)
    return out


@dataclass
class Checked:
    """The outcome of validating one plan file."""

    path: Path
    plan: Plan | None
    issues: tuple[Issue, ...]


def check_files(paths: list[Path]) -> list[Checked]:
    """Validate every plan file, collecting issues instead of stopping at the first bad file."""
    results = []
    for path in plan_files(paths):
        try:
            plan = load_plan(path, display=display_path(path))
            results.append(Checked(path, plan, ()))
        except PlanError as exc:
            results.append(Checked(path, None, exc.issues))
    return results


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
        """Every plan of the project (raises ``PlanError`` on the first invalid one)."""
        return [load_plan(p, model=self.plan_model) for p in self.plan_paths()]

    def plan_path(self, client: str) -> Path:
        """The plan file of ``client``."""
        for suffix in (".yaml", ".yml"):
            path = self.config.parameters / f"{client}{suffix}"
            if path.is_file():
                return path
        known = ", ".join(p.stem for p in self.plan_paths()) or "none"
        raise PlanError(
            [Issue(str(self.config.parameters), 0, 0, "", f"no plan for client {client!r} (known: {known})")]
        )

    def plan(self, client: str) -> Plan:
        """The plan of ``client``."""
        return load_plan(self.plan_path(client), model=self.plan_model)

    def __repr__(self) -> str:
        return f"Project({str(self.root)!r}, plans={len(self.plan_paths())})"
