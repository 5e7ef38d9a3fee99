"""The README's "first hour", run as a newcomer would: every command of its code block, in a fresh folder.

The commands are read from the README itself, so the manual and this test cannot drift apart. Each step
is a fresh ``csnb`` process; each must exit 0 and print no line with "WARNING" or "Traceback" on stderr.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from commands import CSNB, free_port, run_csnb

ALARMS = ("WARNING", "Traceback")
# what a team adds to the retro file that `csnb retro ... --template` wrote (the README says so)
LESSON = """\
lessons:
  - statement: Training in two shifts reached every team before go-live
    recommendation: Plan user training in at least two shifts
    category: people
    stage: adoption
    tags: [training]
    impact: medium
    owner: alex
"""


def first_hour(readme: Path) -> list[str]:
    """The command lines of the README's "The first hour" code block, comments removed."""
    section = readme.read_text(encoding="utf-8").split("\n## The first hour", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    lines = [line.split("  #")[0].strip() for line in block.splitlines()[1:]]
    return [line for line in lines if line]


def alarming(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if any(word in line for word in ALARMS)]


def add_lessons(retro_file: Path) -> None:
    """The team's judgement: the template's empty lesson list replaced by one lesson."""
    text = retro_file.read_text(encoding="utf-8")
    assert "\nlessons: []" in text, text
    retro_file.write_text(text.replace("lessons: []\n", LESSON, 1), encoding="utf-8")


def run_lab(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, str]:
    """`csnb lab ...` until it prints the address to open; then SIGTERM stops it (exit 0 expected)."""
    proc = subprocess.Popen(
        [*CSNB, *args, "--port", str(free_port())],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True)
    reader.start()
    timer = threading.Timer(300, lambda: os.killpg(proc.pid, signal.SIGKILL))  # a hung start fails the test
    timer.start()
    stdout = []
    try:
        for line in proc.stdout:
            stdout.append(line)
            if "open http://127.0.0.1:" in line:
                proc.send_signal(signal.SIGTERM)
                break
        assert proc.wait(timeout=60) == 0, "".join(stdout + stderr)
    finally:
        timer.cancel()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(timeout=10)
    return "".join(stdout), "".join(stderr)


@pytest.mark.slow
def test_the_readme_first_hour_runs_without_a_surprise(repo: Path, tmp_path: Path) -> None:
    commands = first_hour(repo / "README.md")
    assert [c.split()[1] for c in commands if c.startswith("csnb ")] == [
        "init", "validate", "status", "run", "send", "calendar", "retro", "retro", "lessons", "lab",
    ]  # fmt: skip
    env = {name: value for name, value in os.environ.items() if not name.startswith("CSNB_")}
    env |= {"JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    cwd = tmp_path / "newcomer"
    cwd.mkdir()
    outputs: dict[str, str] = {}
    for command in commands:
        args = shlex.split(command)
        if args[0] == "cd":
            cwd = cwd / args[1]
            continue
        if args[0] == "cp":
            shutil.copy(cwd / args[1], cwd / args[2])
            continue
        assert args[0] == "csnb", command
        if args[1] == "lab":
            out, err = run_lab(args[1:], cwd, env)
        else:
            done = run_csnb(*args[1:], cwd=cwd, env={n: None for n in os.environ if n.startswith("CSNB_")})
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            out, err = done.stdout, done.stderr
        assert not alarming(err), f"{command}: {alarming(err)}"
        outputs[command] = out
        if "--template" in args:
            add_lessons(cwd / "parameters" / "retros" / "example" / "M2.yaml")

    # what each step told the newcomer
    assert "1 valid, 0 invalid" in outputs["csnb validate"]
    assert outputs["csnb status example"].index("Goals") < outputs["csnb status example"].index("Metrics")
    ran = outputs["csnb run example"]
    assert re.search(r"operator report for 2026-02-25 -> reports/example/2026-02-25/operator\.html", ran), ran
    assert "portfolio: reports/index.html" in ran and (cwd / "reports" / "index.html").is_file()
    assert (cwd / "reports" / "example" / "2026-02-25" / "weekly-update.eml").is_file()  # the dry run
    assert (cwd / "reports" / "example" / "example.ics").is_file()
    assert "relevance 100%" in outputs["csnb lessons search training"]
    assert re.search(r"started in \d+\.\d s\): open http://127\.0\.0\.1:\d+/lab/tree/", outputs[commands[-1]])
