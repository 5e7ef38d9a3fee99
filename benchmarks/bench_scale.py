"""Does a batch of 1,000 clients cost 1,000 times one? ``csnb run --all`` at 250, 500 and 1,000 clients.

For each size, a fresh project of that many small plans (one CSV source, two metrics, two milestones)
and a tiny report notebook in the project's ``notebooks/`` (the parameters cell and one line), so the
time measured is csnb's own per-report work outside the notebook: plan loading, job selection, the
worker round trip, kernel start, export, store writes, the portfolio page. Prints per size:

- ``csnb run --all --dry-run``, twice: validating every plan, then with the validated plans cached;
- ``csnb run --all --jobs J``: wall time, milliseconds per report, and the per-report overhead outside
  the notebook's cells (wall time x jobs / reports, less the cells' own time), from ``--json``;

A step that grows faster than linearly shows as a per-client figure that rises with the size.

    python benchmarks/bench_scale.py [--sizes 250,500,1000] [--jobs 2] [--engine warm-kernel]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

PLAN = """\
client: {{id: {client}, name: "Client {n}", timezone: UTC}}
people:
  - {{id: dana, name: Dana Ortiz, side: provider, role: Customer Success Manager}}
goals:
  - {{id: speed, statement: Answer calls faster, metrics: [handle_time]}}
sources:
  exports: {{kind: csv, path: ../data/metrics.csv}}
metrics:
  - {{id: handle_time, name: Average handle time, kind: lag, unit: minutes, direction: down, source: exports,
     aggregate: mean, frequency: week, baseline: {{value: 10, date: 2026-09-01}},
     target: {{value: 6, date: 2026-11-30}}, owner: dana}}
  - {{id: trained, name: Agents trained, kind: lead, leads: [handle_time], unit: agents, direction: up,
     source: exports, series: handle_time, aggregate: last, frequency: week,
     baseline: {{value: 0, date: 2026-09-01}}, target: {{value: 50, date: 2026-10-31}}, owner: dana}}
milestones:
  - {{id: M1, title: Agents trained, stage: onboarding, owner: dana, start: 2026-09-01, due: 2026-10-30,
     criteria: [{{metric: handle_time, op: "<=", value: 8}}]}}
  - {{id: M2, title: Routing live, stage: adoption, owner: dana, start: 2026-10-01, due: 2026-11-30,
     depends_on: [M1], criteria: [{{check: Routing switched on, done: false}}]}}
cadence:
  - {{ritual: weekly-update, rrule: "FREQ=WEEKLY;BYDAY=MO", audience: operator}}
"""
PARAMETERS = 'plan_path = ""\nas_of = None\naudience = "operator"\nstore_url = None'
CELL = "print(plan_path.rsplit('/', 1)[-1])"  # the notebook's only work: one line of output


def write_project(root: Path, clients: int) -> None:
    """A project of ``clients`` plans, their CSV and the tiny report notebook."""
    (root / "parameters").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "notebooks").mkdir()
    (root / "csnb.toml").write_text('[project]\nas_of = "2026-10-15"\n')
    rows = ["date,value"] + [f"2026-{m:02d}-{d:02d},{9 - d / 20:.2f}" for m in (9, 10) for d in range(1, 29)]
    (root / "data" / "metrics.csv").write_text("\n".join(rows) + "\n")
    for n in range(clients):
        client = f"client-{n:05d}"
        (root / "parameters" / f"{client}.yaml").write_text(PLAN.format(client=client, n=n))
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'plan_path = ""\nas_of = None\naudience = "operator"\nstore_url = None'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "notebooks" / "client_report.ipynb")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def csnb(root: Path, *args: str) -> tuple[float, float, dict]:
    """Wall time, CPU time (the command and every process it waited for) and ``--json`` summary of
    ``csnb run ARGS --json`` in ``root``. On a busy machine the CPU time moves less than the wall time."""
    command = [sys.executable, "-m", "csnb.cli", "run", *args, "--json"]
    began, began_cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=os.environ.copy())
    wall, cpu = time.perf_counter() - began, _children_cpu() - began_cpu
    if done.returncode not in (0, 1):
        sys.exit(f"csnb run {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return wall, cpu, json.loads(done.stdout)


def measure(size: int, jobs: int, engine: str) -> tuple[float, float]:
    """Print the dry run and the batch figures of one project size; return the cached dry run's and the
    batch's wall times."""
    with tempfile.TemporaryDirectory(prefix="csnb-scale-") as folder:
        root = Path(folder)
        write_project(root, size)
        for label in ("cold", "cached"):  # the first run validates every plan, the next reads .csnb/plans/
            dry, dry_cpu, planned = csnb(root, "--all", "--dry-run")
            print(
                f"{size:>6,} clients  dry run ({label:>6}) {dry:7.2f} s  {dry / size * 1000:6.1f} ms/client "
                f"(CPU {dry_cpu:.2f} s, {dry_cpu / size * 1000:.1f} ms/client)",
                flush=True,
            )
        wall, cpu, summary = csnb(root, "--all", "--jobs", str(jobs), "--engine", engine)
        results = summary["results"]
        ok = sum(r["status"] == "ok" for r in results)
        cells = sum(r.get("phases", {}).get("cells", 0.0) for r in results)
        overhead = (wall * jobs - cells) / max(len(results), 1)
        phases: dict[str, float] = {}
        for r in results:
            for name, seconds in r.get("phases", {}).items():
                phases[name] = phases.get(name, 0.0) + seconds
        mean = ", ".join(f"{k} {v / max(len(results), 1) * 1000:.0f} ms" for k, v in sorted(phases.items()))
        print(
            f"{size:>6,} clients  batch   {wall:7.2f} s  {wall / size * 1000:6.1f} ms/report "
            f"(CPU {cpu / size * 1000:.0f} ms/report; {ok}/{len(planned['planned'])} ok, --jobs {jobs}); "
            "outside the notebook: "
            f"{overhead * 1000:.0f} ms/report; mean phases: {mean}",
            flush=True,
        )
    return dry, wall


def main() -> None:
    """Run the sizes and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,500,1000")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--engine", default="warm-kernel")
    args = parser.parse_args()
    figures = [(size, *measure(size, args.jobs, args.engine)) for size in map(int, args.sizes.split(","))]
    # fixed costs (imports, the worker start) cancel out between sizes: what is left is the cost per client
    for (small, dry_a, batch_a), (large, dry_b, batch_b) in zip(figures, figures[1:], strict=False):
        more = large - small
        print(
            f"from {small:,} to {large:,} clients, each further client costs: dry run (cached) "
            f"{(dry_b - dry_a) / more * 1000:.1f} ms, batch {(batch_b - batch_a) / more * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
