"""``csnb validate``, ``schema``, ``init``, ``demo`` and ``status``: plans and the project."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from csnb.cli.common import _date, _say, app, err, out
from csnb.errors import InputError


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Plan files or folders (default: parameters/).")
    ] = None,
) -> None:
    """Check plans and print every problem as file:line:column: field: message.

    Example: `csnb validate parameters/acme.yaml`
    """
    from csnb.project.folder import Project, check_files, display_path

    project = Project()
    paths = paths or [project.config.parameters]
    results = check_files(paths, project.plan_paths())
    if not results:
        example = project.root / "examples" / "example.yaml"
        hint = f"; to start, copy {display_path(example)} there" if example.is_file() else ""
        _say(f"no plan files found in {', '.join(map(str, paths))}{hint}", "red", err)
        raise typer.Exit(2)
    bad = 0
    for r in results:
        if r.plan is not None:
            p = r.plan
            _say(
                f"ok {display_path(r.path)}: {p.client.id} — {len(p.metrics)} metrics, "
                f"{len(p.milestones)} milestones, {len(p.risks)} risks",
                "green",
            )
            for warning in r.warnings:
                _say(str(warning), "yellow")
        else:
            bad += 1
            for issue in r.issues:
                _say(str(issue), "red")
    _say(f"{len(results) - bad} valid, {bad} invalid", "bold")
    if bad:
        raise typer.Exit(2)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a plan, for editors that validate YAML as you type.

    Example: `csnb schema > plan.schema.json`
    """
    from csnb.plan.load import plan_schema

    sys.stdout.write(json.dumps(plan_schema(), indent=2) + "\n")


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="New project folder (created; must be empty if it exists).")],
) -> None:
    """Create a project folder with the bundled notebooks, a csnb.toml and an example plan in examples/.

    The example stays out of parameters/ (no batch and no e-mail picks it up) until you copy it there.

    Example: `csnb init my-success-plans`
    """
    from csnb.project.scaffold import init_project, next_steps

    for path in init_project(folder):
        _say(f"wrote {path}")
    _say("next:", "bold")
    for line in next_steps(folder):
        _say(f"  {line}")


@app.command()
def demo(
    folder: Annotated[Path, typer.Option("--dir", help="Project folder to write the demo into.")] = Path("."),
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic warehouse.")] = 7,
) -> None:
    """Build the deterministic demo warehouse and demo plans, then summarise them.

    Example: `csnb demo --dir .`
    """
    from csnb.demo.build import build_demo

    for line in build_demo(folder, seed=seed):
        _say(line)


@app.command()
def status(
    client: Annotated[str | None, typer.Argument(help="Client id (the plan's file name).")] = None,
    all_clients: Annotated[bool, typer.Option("--all", help="Every plan in parameters/.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date to evaluate (default: today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print health, goals, metrics, milestones and risks of one client or the whole portfolio.

    Exit status: 0 every source answered, 1 a data source failed (named in the output).

    Example: `csnb status acme --as-of 2026-10-15`
    """
    from csnb.cli.status import exit_code, print_status
    from csnb.indicators.portfolio import portfolio_status
    from csnb.project.clock import today
    from csnb.project.folder import Project

    if not client and not all_clients:
        raise InputError("name a client or pass --all")
    project = Project()
    plans = {p.client.id: p for p in project.plans} if all_clients else {client: project.plan(client)}
    # one client is read on its own time zone's calendar; a portfolio on the project's (csnb.toml)
    day = _date(as_of, "--as-of") or today(project.config, None if all_clients else plans[client])
    result = portfolio_status(None if all_clients else [client], day)
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2, default=str) + "\n")
    else:
        for c in result["clients"]:  # what the tables name beside each value: units of time, goal metrics
            plan = plans[c["client"]]
            c["frequencies"] = {m.id: m.frequency for m in plan.metrics}
            c["goal_metrics"] = {g.id: list(g.metrics) for g in plan.goals}
        print_status(result, out, err)
    code = exit_code(result, err if as_json else None)  # 1: a failed source, named on stderr
    if code:
        raise typer.Exit(code)
