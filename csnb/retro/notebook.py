"""A milestone retrospective: facts + the team's judgement, shown by the notebook, recorded as lessons.

``csnb retro CLIENT MILESTONE`` runs ``notebooks/retrospective.ipynb`` with papermill, exports it to
offline HTML with the report exporter, and upserts the retro's lessons into the knowledge base.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csnb.errors import CsnbError, InputError, RunError
from csnb.fs import temp_path, write_atomic
from csnb.indicators.assess import assess_file
from csnb.ipckernel import IpcKernelManager
from csnb.plan.load import load_plan
from csnb.plan.models import Plan
from csnb.project.clock import today
from csnb.project.folder import Project
from csnb.project.layout import ReportsFolder
from csnb.project.scaffold import bundled_notebooks
from csnb.render.exporter import render_notebook
from csnb.retro.facts import Facts, compute_facts
from csnb.retro.lessons import record_retro, render
from csnb.retro.team import Retro, load_retro, retro_path
from csnb.store.lessons import open_kb

RETRO_NOTEBOOK = "retrospective.ipynb"
SECTIONS = ("facts", "team", "lessons")


@dataclass
class RetroReport:
    """One milestone's retrospective: the plan, the computed facts and the team's input (if written yet)."""

    plan: Plan
    facts: Facts
    retro: Retro | None
    retro_file: str

    def html(self, section: str) -> str:
        """The HTML of one section: ``facts``, ``team`` or ``lessons``."""

        if section not in SECTIONS:
            raise ValueError(f"section must be one of {', '.join(SECTIONS)}, not {section!r}")
        people = {p.id: p.name for p in self.plan.people}
        return render(
            f"retro_{section}",
            facts=self.facts,
            retro=self.retro,
            client=self.plan.client.name,
            person=lambda pid: people.get(pid, pid) if pid else "—",
            retro_file=self.retro_file,
        )

    def show(self, section: str) -> None:
        """Display one section in the notebook."""
        from IPython.display import HTML, display

        display(HTML(self.html(section)))

    def record(self, store_url: str | None) -> int:
        """Upsert the retro's lessons into the knowledge base at ``store_url``; return how many."""

        if not store_url or self.retro is None:
            return 0
        kb = open_kb(store_url)
        try:
            return record_retro(kb, self.plan, self.retro, self.facts)
        finally:
            kb.dispose()


def prepare_retro(
    plan: str | Path,
    milestone: str,
    as_of: str | dt.date | None = None,
    retro_file: str | Path | None = None,
    project_root: str | Path | None = None,
) -> RetroReport:
    """Load the plan, pull its data up to ``as_of``, compute the facts, read the retro file if any."""
    assessed = assess_file(plan, as_of, project_root)
    plan_obj, config = assessed.plan, assessed.config
    if milestone not in {m.id for m in plan_obj.milestones}:
        known = ", ".join(m.id for m in plan_obj.milestones) or "none"
        raise InputError(f"{plan_obj.client.id} has no milestone {milestone!r} (known: {known})")
    facts = compute_facts(plan_obj, assessed.snapshot, milestone)
    path = Path(retro_file) if retro_file else retro_path(config.root, plan_obj.client.id, milestone)
    retro = load_retro(path, plan_obj, display=_shown(path, config.root)) if path.is_file() else None
    return RetroReport(plan=plan_obj, facts=facts, retro=retro, retro_file=_shown(path, config.root))


def _shown(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


@dataclass
class RetroResult:
    """What ``csnb retro`` produced."""

    html: Path
    notebook: Path
    lessons: int
    has_input: bool


def _notebook(config: Any) -> Path:
    path = config.notebooks / RETRO_NOTEBOOK
    if path.is_file():
        return path

    return bundled_notebooks() / RETRO_NOTEBOOK


def run_retro(
    client: str,
    milestone: str,
    *,
    as_of: dt.date | None = None,
    root: str | Path = ".",
    store_url: str | None = None,
    out_dir: str | Path | None = None,
    timeout: float | None = None,
) -> RetroResult:
    """Run the retrospective notebook into ``reports/<client>/retros/<milestone>.html``; record lessons."""

    project = Project(root)
    config = project.config
    plan_path = project.plan_path(client)
    plan = load_plan(plan_path)
    path = retro_path(config.root, client, milestone)
    retro = (
        load_retro(path, plan, display=_shown(path, config.root)) if path.is_file() else None
    )  # exit 2 first
    if milestone not in {m.id for m in plan.milestones}:
        raise InputError(
            f"{client} has no milestone {milestone!r} (known: {', '.join(m.id for m in plan.milestones)})"
        )
    folder = ReportsFolder(Path(out_dir) if out_dir else config.reports).retros(client)
    folder.mkdir(parents=True, exist_ok=True)
    as_of = as_of or today(config, plan)  # the plan's own calendar day, never UTC by accident
    params = {
        "plan": str(plan_path.resolve()),
        "milestone": milestone,
        "as_of": as_of.isoformat(),
        "store_url": store_url or config.store_url,
        "project_root": str(config.root),
    }
    nb = _execute(
        _notebook(config),
        temp_path(folder / f"{milestone}.ipynb", keep_suffix=True),
        params,
        config.root,
        timeout,
    )
    html = _export(
        nb,
        folder / f"{milestone}.html",
        title=f"{plan.client.name} — {milestone} retrospective",
        branding={"provider": config.branding.provider, "accent": config.branding.accent},
    )
    final_nb = folder / f"{milestone}.ipynb"
    os.replace(nb, final_nb)
    return RetroResult(
        html=html, notebook=final_nb, lessons=len(retro.lessons) if retro else 0, has_input=retro is not None
    )


def _execute(notebook: Path, out: Path, params: dict[str, Any], cwd: Path, timeout: float | None) -> Path:
    import papermill as pm

    try:
        pm.execute_notebook(
            str(notebook),
            str(out),
            parameters=params,
            cwd=str(cwd),
            progress_bar=False,
            log_output=False,
            kernel_name="python3",
            execution_timeout=timeout,
            shutdown_kernel="immediate",
            kernel_manager_class=IpcKernelManager,  # no TCP port, so ipykernel has nothing to warn about
        )
    except pm.PapermillExecutionError as exc:
        raise RunError(
            f"retrospective notebook: cell {exc.exec_count} raised {exc.ename}: {exc.evalue}"[:2000],
            cell=exc.exec_count,
            notebook=str(out),
        ) from None
    except CsnbError:
        raise
    except Exception as exc:  # noqa: BLE001 - kernel death or timeout: one message, notebook kept
        raise RunError(
            f"retrospective notebook: {type(exc).__name__}: {str(exc)[:500]}", notebook=str(out)
        ) from None
    return out


def _export(nb_path: Path, html_path: Path, *, title: str, branding: dict[str, Any]) -> Path:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    # the notes for analysts explain how to run the notebook; a reader of the retrospective needs none
    nb.cells = [c for c in nb.cells if "analyst" not in c.get("metadata", {}).get("tags", [])]
    html = render_notebook(nb, title=title, branding=branding, static=True)  # no charts: no script at all
    return write_atomic(html_path, html)


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (always valid, whatever the text)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def template_text(report: RetroReport) -> str:
    """A retro file pre-filled with the computed facts as comments: the team adds only judgement."""
    f, plan = report.facts, report.plan
    ms = plan.milestone(f.milestone)
    raci = ms.raci
    people = list(
        dict.fromkeys([ms.owner, *(raci.responsible + raci.accountable + raci.consulted if raci else [])])
    )
    facts = "\n".join(f"#   {' '.join(line.split())}" for line in f.lines())
    return f"""\
# Retrospective of {f.milestone} ({f.title}) for {plan.client.name}.
# Facts computed at {f.as_of} (csnb retro --template); they are comments, the retro shows them again:
{facts}
#
# Add your judgement below, then run: csnb retro {f.client} {f.milestone}
client: {f.client}
milestone: {f.milestone}
held_on: {f.as_of}
facilitator: {ms.owner}
participants: [{", ".join(people)}]   # person ids from the plan, or names
went_well: []      # e.g. - Training ran in two shifts, so nobody missed it
went_wrong: []
lucky: []          # where we got lucky: what would have gone wrong without it
root_causes: []
lessons: []
# lessons:
#   - statement: {_quote("What we learned, in one sentence")}
#     recommendation: {_quote("What the next team should do")}
#     category: process   # process | people | technology | data | communication | scope | vendor | commercial
#     stage: {f.stage}    # the journey stage it applies to
#     tags: [training]
#     impact: medium      # low | medium | high
#     owner: {ms.owner}
#     follow_up: {{action: {_quote("Update the onboarding playbook")}, status: open}}
# ratings: {{planning: 3, communication: 4}}   # optional, 1-5
"""


def write_template(
    client: str, milestone: str, *, as_of: dt.date | None = None, root: str | Path = ".", force: bool = False
) -> Path:
    """Write ``parameters/retros/<client>/<milestone>.yaml`` pre-filled with the facts (never overwrites)."""

    project = Project(root)
    path = retro_path(project.config.root, client, milestone)
    if path.exists() and not force:
        raise InputError(
            f"{_shown(path, project.config.root)} already exists; edit it, or pass --force to replace it"
        )
    report = prepare_retro(
        project.plan_path(client),
        milestone,
        as_of=as_of,
        retro_file=path.with_suffix(".none"),
        project_root=project.config.root,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template_text(report), encoding="utf-8")
    return path
