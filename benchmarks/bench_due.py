"""How long does ``csnb run --due`` take to find what is due in a project of 1,000 plans?

Generates a project of 1,000 distinct valid plans (``bench_plan``'s generator) in a temporary folder,
whose rituals are the ones that used to be slow: daily and weekly rules started in 2000, the largest
COUNT a plan may hold, a UTC UNTIL, yearly and monthly rules, and two rules whose dates never line up
with their start (dateutil alone walks those to the year 9999). Then it prints:

- the time ``csnb.plan.cadence.due_reports`` takes over the 1,000 loaded plans (goal: under a second),
  and the longest a report waits for one ritual's next three dates (its cadence table);
- the wall time of ``csnb run --due --dry-run`` on the project, first validating every plan, then with
  the validated plans cached (``csnb.project.plancache``), and how long validating them takes here.

    python benchmarks/bench_due.py [--plans 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_plan import ENV, plan_yaml

from csnb.plan import Plan, Ritual, load_plan
from csnb.plan.cadence import due_reports, next_dates

RULES = [  # (rule, start): what plans write, and what used to take seconds per question
    ("FREQ=WEEKLY;BYDAY=MO", None),
    ("FREQ=MONTHLY;BYDAY=1TU", None),
    ("FREQ=DAILY", "2000-01-03"),
    ("FREQ=WEEKLY;BYDAY=MO,TH", "2000-01-03"),
    ("FREQ=YEARLY", "2000-01-03"),
    ("FREQ=DAILY;COUNT=10000", "2000-01-03"),
    ("FREQ=WEEKLY;BYDAY=MO;UNTIL=20271231T235959Z", "2000-01-03"),
    ("FREQ=WEEKLY;BYSETPOS=3;BYDAY=MO", "2000-01-03"),  # never: one Monday a week
    ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "2000-01-03"),  # never: every 7th day from a Monday
]
AT = dt.datetime(2026, 10, 15, 23, 59, 59, tzinfo=dt.UTC)


def cadence_yaml(rng: random.Random) -> str:
    """Two rituals, drawn from ``RULES``, one per audience."""
    lines = []
    for ritual, audience in (("update", "operator"), ("review", "executive")):
        rule, start = rng.choice(RULES)
        since = f", start: {start}" if start else ""
        lines.append(f'  - {{ritual: {ritual}, rrule: "{rule}", audience: {audience}{since}}}\n')
    return "cadence:\n" + "".join(lines)


def write_project(root: Path, plans: int, rng: random.Random) -> list[Path]:
    """A project folder with ``plans`` plans (a database of their own each, so none reads another's rows)."""
    (root / "parameters").mkdir(parents=True)
    (root / "csnb.toml").write_text('[project]\nas_of = "2026-10-15"\n')
    paths = []
    for n in range(plans):
        text = plan_yaml(rng, n).split("cadence:\n")[0] + cadence_yaml(rng)
        text = text.replace('url: "${CSNB_WAREHOUSE_URL}"}', 'url: "${CSNB_WAREHOUSE_URL}", dedicated: true}')
        path = root / "parameters" / f"c{n}.yaml"
        path.write_text(text)
        paths.append(path)
    return paths


def best(fn, repeat: int = 3) -> tuple[float, object, float]:
    """The best wall time of ``repeat`` calls of ``fn``, its last result, and the best CPU time.

    The CPU time is this process's own: on a shared machine it moves less than the wall time.
    """
    times, cpu, result = [], [], None
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return min(times), result, min(cpu)


def next_dates_time(plan: Plan, ritual: Ritual) -> float:
    """Seconds for the next three dates of one ritual, as a report's cadence table asks (best of three)."""
    return best(lambda: next_dates(plan, ritual, AT.date()))[0]


def main() -> None:
    """Generate the project, time the cadence and the command, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        paths = write_project(root, args.plans, random.Random(args.seed))
        load, plans, _ = best(lambda: [load_plan(p, env=ENV) for p in paths], repeat=1)
        rituals = sum(len(p.cadence) for p in plans)
        due_time, due, due_cpu = best(lambda: due_reports(plans, AT, lambda *key: False))
        slowest = max(next_dates_time(p, r) for p in plans for r in p.cadence)
        print(f"{len(plans)} plans, {rituals} rituals ({len(due)} reports due at {AT:%Y-%m-%d %H:%M} UTC)")
        print(
            f"due_reports over {len(plans)} plans: {due_time:6.3f} s "
            f"({due_cpu:.3f} s of CPU; goal: under 1 s)"
        )
        print(f"a report's next three dates, slowest ritual: {slowest * 1000:.1f} ms")
        command = [sys.executable, "-m", "csnb.cli", "run", "--due", "--dry-run"]
        for label in ("validating every plan", "plans cached in .csnb/plans/"):
            began = time.perf_counter()
            done = subprocess.run(
                command, cwd=root, capture_output=True, text=True, env={**os.environ, **ENV}
            )
            wall = time.perf_counter() - began
            print(f"csnb run --due --dry-run, {label}: {wall:6.3f} s (exit {done.returncode})")
            if done.returncode:
                print(done.stderr[-2000:], file=sys.stderr)
        print(f"(loading and validating the {len(plans)} plans in this process took {load:.1f} s)")


if __name__ == "__main__":
    main()
