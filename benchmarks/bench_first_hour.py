"""How long does each step of the README's "first hour" take a newcomer, from `csnb init` to `csnb lab`?

Runs the commands of the README's "The first hour" block in a fresh temporary folder, each as a fresh
``csnb`` process (as a person types them), and prints the wall time of each step; for ``csnb lab`` the
time until it prints the address to open. Then it compares ``csnb run --all`` over two clients (the
example copied once more) with two one-client runs, the figure issue 18 asked about.

    python benchmarks/bench_first_hour.py
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
CSNB = [str(Path(sys.executable).with_name("csnb"))]
LESSON = """\
lessons:
  - {statement: Training in two shifts reached every team, recommendation: Train in two shifts,
     category: people, stage: adoption, tags: [training], impact: medium, owner: alex}
"""


def first_hour() -> list[str]:
    """The command lines of the README's "The first hour" block."""
    section = README.read_text(encoding="utf-8").split("\n## The first hour", 1)[1].split("\n## ", 1)[0]
    lines = [line.split("  #")[0].strip() for line in section.split("```", 2)[1].splitlines()[1:]]
    return [line for line in lines if line]


def timed(args: list[str], cwd: Path) -> float:
    """Seconds a csnb command takes; it must succeed."""
    started = time.perf_counter()
    subprocess.run([*CSNB, *args], cwd=cwd, check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started


def lab_ready(args: list[str], cwd: Path) -> float:
    """Seconds until `csnb lab` prints the address to open (then it is stopped)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*CSNB, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        for line in proc.stdout:
            if "open http" in line:
                return time.perf_counter() - started
        raise SystemExit(f"csnb lab ended without an address (exit {proc.wait()})")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def main() -> None:
    """Print each step's time, then --all over two clients against two single runs."""
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        for command in first_hour():
            args = shlex.split(command)
            if args[0] == "cd":
                cwd = cwd / args[1]
                continue
            if args[0] == "cp":
                shutil.copy(cwd / args[1], cwd / args[2])
                continue
            seconds = lab_ready(args[1:], cwd) if args[1] == "lab" else timed(args[1:], cwd)
            print(f"{seconds:7.2f} s  {command}")
            if "--template" in args:
                retro = cwd / "parameters" / "retros" / "example" / "M2.yaml"
                retro.write_text(retro.read_text().replace("lessons: []\n", LESSON, 1))
        text = (cwd / "parameters" / "example.yaml").read_text()
        # a second client of its own: its own id, name and e-mail domain (no two plans share a domain)
        second = text.replace("id: example", "id: second").replace("Example Client", "Second Client")
        (cwd / "parameters" / "second.yaml").write_text(second.replace("example.org", "second.test"))
        singles = sum(timed(["run", client], cwd) for client in ("example", "second"))
        batch = timed(["run", "--all", "--force"], cwd)
        print(f"two one-client runs: {singles:.1f} s; csnb run --all over the same two: {batch:.1f} s")
        print(f"({os.cpu_count()} cores; the batch is {'not ' if batch <= singles else ''}slower)")


if __name__ == "__main__":
    main()
