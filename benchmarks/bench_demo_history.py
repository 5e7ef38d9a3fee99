"""What does the demo's history cost? ``make demo``'s reports, with and without the three earlier weeks.

Builds the demo (``csnb demo``) in two temporary folders and times, with the ``csnb`` command line as
``make demo`` runs it:

- before: the last week only, one batch per edition (what ``make demo`` ran before it had history);
- after: the four weeks of ``csnb.demo.data.REPORT_WEEKS``, oldest first, one batch per week and
  edition, so each report compares with the week before it.

It prints each batch's wall time, both totals and the difference, with the machine's load average
(the batches share the CPU with whatever else runs). Retrospectives, the lessons export and the
e-mails are the same before and after, so they are left out.

    python benchmarks/bench_demo_history.py [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from csnb.demo.build import build_demo
from csnb.demo.data import REPORT_WEEKS

CSNB = [str(Path(sys.executable).with_name("csnb"))]
EDITIONS = ("operator", "executive")


def batch(root: Path, week: str, audience: str, jobs: int | None) -> float:
    """Run one ``csnb run --all`` batch in ``root``; return its wall time in seconds."""
    args = [*CSNB, "run", "--all", "--audience", audience, "--as-of", week]
    if jobs:
        args += ["--jobs", str(jobs)]
    started = time.perf_counter()
    done = subprocess.run(args, cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"csnb run failed in {root}:\n{done.stdout}\n{done.stderr}")
    print(f"  {week} {audience:<9} {took:6.1f} s")
    return took


def reports(weeks: list[str], jobs: int | None) -> float:
    """Build a demo in a new folder and run ``weeks`` of reports in it; return the total wall time."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for _ in build_demo(root):
            pass
        return sum(batch(root, week, audience, jobs) for week in weeks for audience in EDITIONS)


def main() -> None:
    """Print the time of the demo's reports with and without history."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="parallel jobs per batch (default: cores)")
    jobs = parser.parse_args().jobs
    weeks = [w.isoformat() for w in REPORT_WEEKS]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("before: the last week only")
    before = reports(weeks[-1:], jobs)
    print(f"after: {len(weeks)} weeks")
    after = reports(weeks, jobs)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"reports before {before:.1f} s, after {after:.1f} s: history adds {after - before:.1f} s")
    print(f"per extra week (both editions): {(after - before) / (len(weeks) - 1):.1f} s")


if __name__ == "__main__":
    main()
