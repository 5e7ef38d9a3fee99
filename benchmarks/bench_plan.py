"""How fast are plans loaded and validated, and where does the time go?

Generates 1,000 distinct valid plans (different ids, numbers of metrics and milestones, dates) in a
temporary folder, loads each with ``load_plan`` and reports plans per second, then times the stages
separately: reading + YAML parsing with positions, pydantic validation alone, and the cross-checks.
Last, the peak memory of ``csnb validate`` refusing a 50 MB plan file (plans are limited to 2 MB, so it
must refuse it without reading it): goal under 300 MB.

    python benchmarks/bench_plan.py [--plans 1000] [--seed 7] [--big-file-mb 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from csnb.plan import Plan, load_plan, validate_document
from csnb.plan.located import load_located

ENV = {"CSNB_WAREHOUSE_URL": "postgresql://reporter@warehouse.example.com/analytics"}
STAGES = ["discovery", "onboarding", "adoption", "value", "renewal", "expansion"]


def metric_yaml(rng: random.Random, i: int, start: dt.date, lag_ids: list[str]) -> str:
    """One metric: lag metrics first, then leads that name one of them."""
    mid = f"m{i}_{rng.randrange(10**6)}"
    lead = bool(lag_ids) and rng.random() < 0.4
    direction = rng.choice(["up", "down"])
    base = rng.randint(10, 1000)
    target = base + rng.randint(1, 500) * (1 if direction == "up" else -1)
    end = start + dt.timedelta(days=rng.randint(14, 180))
    leads = f"[{rng.choice(lag_ids)}]" if lead else "[]"
    if not lead:
        lag_ids.append(mid)
    return (
        f"  - id: {mid}\n    name: Metric {i}\n    kind: {'lead' if lead else 'lag'}\n    leads: {leads}\n"
        f"    direction: {direction}\n    source: warehouse\n"
        f"    query: \"SELECT day AS date, value FROM metrics WHERE metric = '{mid}'\"\n"
        f"    aggregate: {rng.choice(['sum', 'mean', 'last'])}\n"
        f"    baseline: {{value: {base}, date: {start}}}\n    target: {{value: {target}, date: {end}}}\n"
        f"    owner: p{rng.randrange(3)}\n"
    )


def milestone_yaml(rng: random.Random, i: int, start: dt.date, metrics: list[str]) -> str:
    """One milestone depending on the previous one, with a metric and a manual criterion."""
    begin = start + dt.timedelta(days=7 * i)
    due = begin + dt.timedelta(days=rng.randint(3, 30))
    deps = f"[M{i - 1}]" if i else "[]"
    return (
        f"  - id: M{i}\n    title: Step {i}\n    stage: {rng.choice(STAGES)}\n    owner: p0\n"
        f"    start: {begin}\n    due: {due}\n    depends_on: {deps}\n    criteria:\n"
        f'      - {{metric: {rng.choice(metrics)}, op: ">=", value: {rng.randint(1, 100)}}}\n'
        f"      - {{check: Sign-off {i}, done: true, done_on: {begin}}}\n"
        f"    raci: {{responsible: [p0], accountable: [p1], informed: [p2]}}\n"
    )


def plan_yaml(rng: random.Random, n: int) -> str:
    """A valid plan for client ``c<n>``."""
    start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))
    lag_ids: list[str] = []
    metrics = "".join(metric_yaml(rng, i, start, lag_ids) for i in range(rng.randint(2, 12)))
    ids = [line.split(": ")[1] for line in metrics.splitlines() if line.startswith("  - id: ")]
    milestones = "".join(milestone_yaml(rng, i, start, ids) for i in range(rng.randint(2, 10)))
    people = "".join(
        f"  - {{id: p{i}, name: Person {i}, side: {'provider' if i != 1 else 'client'}, role: R{i}}}\n"
        for i in range(3)
    )
    return (
        f"client: {{id: c{n}, name: Client {n}}}\npeople:\n{people}"
        f"goals:\n  - {{id: g1, statement: Improve things, metrics: [{lag_ids[0]}]}}\n"
        f'sources:\n  warehouse: {{kind: sql, url: "${{CSNB_WAREHOUSE_URL}}"}}\n'
        f"metrics:\n{metrics}milestones:\n{milestones}"
        f"risks:\n  - {{id: R1, description: Slow adoption, owner: p0, likelihood: medium, impact: high,"
        f' trigger: {{metric: {ids[-1]}, op: "<", value: 5}}, contingency: Extra training}}\n'
        f'cadence:\n  - {{ritual: weekly, rrule: "FREQ=WEEKLY;BYDAY=MO"}}\n'
    )


def timed(label: str, count: int, fn: Callable[[], object], repeat: int = 1) -> float:
    """Run ``fn`` ``repeat`` times, print the best total time and rate, return seconds."""
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    seconds = min(runs)
    print(
        f"{label:<38} {seconds:8.2f} s  {count / seconds:9.0f} plans/s  {seconds / count * 1000:7.2f} ms/plan"
    )
    return seconds


def libyaml_parse(texts: list[str]) -> float | None:
    """Seconds PyYAML's C loader takes to parse ``texts``, or None when it is not installed."""
    try:
        import yaml

        loader = yaml.CSafeLoader
    except (ImportError, AttributeError):
        return None
    t0 = time.perf_counter()
    for text in texts:
        yaml.load(text, Loader=loader)  # noqa: S506 - the safe C loader
    return time.perf_counter() - t0


# Runs a command and prints its exit status and the peak RSS (KB) of the processes it waited for.
RSS_PROBE = """\
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def big_file_refusal(folder: Path, megabytes: int) -> None:
    """Peak memory of ``csnb validate`` on a plan file of ``megabytes`` MB."""
    big = folder / "plan.yaml"
    with big.open("w") as fh:
        for _ in range(megabytes):
            fh.write("- just a very long list\n" * (1024 * 1024 // 24))
    command = [sys.executable, "-c", RSS_PROBE, sys.executable, "-m", "csnb.cli", "validate", "plan.yaml"]
    probe = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)
    status, peak_kb = map(int, probe.stdout.split())
    print(
        f"\ncsnb validate on a {big.stat().st_size / 1e6:.1f} MB plan: exit {status}, "
        f"peak memory {peak_kb / 1024:.0f} MB (goal under 300 MB)"
    )


def main() -> None:
    """Generate the plans, time the full load and each stage, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--big-file-mb", type=int, default=50, help="size of the plan file to refuse")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / f"c{n}.yaml" for n in range(args.plans)]
        for n, path in enumerate(paths):
            path.write_text(plan_yaml(rng, n))
        size = sum(p.stat().st_size for p in paths) / len(paths)
        print(f"{len(paths)} plans, {size / 1024:.1f} KB on average, in a temporary folder")
        plans: list[Plan] = []
        total = timed(
            "full load_plan", len(paths), lambda: plans.extend(load_plan(p, env=ENV) for p in paths)
        )
        assert len({p.id for p in plans}) == len(paths)
        docs = []
        parse = timed(
            "  read + YAML with positions", len(paths), lambda: docs.extend(map(load_located, paths))
        )
        # the in-memory stages are short: best of three, so a busy machine distorts them less
        pyd = timed(
            "  pydantic only (Plan.model_validate)",
            len(docs),
            lambda: [Plan.model_validate(d.data) for d in docs],
            repeat=3,
        )
        both = timed(
            "  pydantic + cross-checks",
            len(docs),
            lambda: [validate_document(d, ENV) for d in docs],
            repeat=3,
        )
        texts = [p.read_text() for p in paths]
        fast = libyaml_parse(texts)
        print(
            f"\nshare of the full load (separate runs, so only roughly): YAML {parse / total:.0%}, "
            f"pydantic + cross-checks {both / total:.0%} (pydantic alone {pyd / total:.0%})"
        )
        if fast:
            print(
                f"for comparison, PyYAML's libyaml loader (no positions, YAML 1.1) parses "
                f"{len(texts) / fast:.0f} "
                "plans/s"
            )
        print(
            f"metrics per plan {sum(len(p.metrics) for p in plans) / len(plans):.1f}, "
            f"milestones per plan {sum(len(p.milestones) for p in plans) / len(plans):.1f}"
        )
    with tempfile.TemporaryDirectory() as folder:
        big_file_refusal(Path(folder), args.big_file_mb)


if __name__ == "__main__":
    main()
