"""``csnb init``: a new project folder with the bundled notebooks, a ``csnb.toml`` and an example plan."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from csnb.errors import ConfigError, CsnbError, Issue
from csnb.project.config import CONFIG_FILE

EXAMPLE_START = "2026-01-05"  # a Monday; the example data covers 16 weeks from here
# The example's pinned "today": M1 and M2 done, M3 under way, the lead metric ahead of its lag
EXAMPLE_AS_OF = "2026-02-25"
EXAMPLE_FOLDER = "examples"  # outside parameters/, so no batch and no send picks the example up
EXAMPLE_WEEKS = 16
TRAINED_PER_WEEK = (10, 25, 15, 30, 20, 35, 25, 20, 15, 10, 10, 5, 0, 0, 0, 0)  # training sessions on Mondays

CONFIG_TEXT = """\
# csnb project settings.
[project]
timezone = "UTC"
# "today" is pinned so that the example plan (examples/example.yaml, data from January to April 2026)
# reads the same on any day. Delete this line when your own plans go into parameters/: reports are then
# made for the current date in each plan's time zone.
as_of = "{as_of}"

[branding]
provider = "Customer Success"
accent = "#1f5f8b"
# logo = "logo.png"

# [store]
# url = "postgresql+psycopg://csnb@db.example.com/csnb"   # default: a SQLite file in .csnb/
"""

GITIGNORE = """\
# csnb output and local state
reports/
.csnb/
"""

EXAMPLE_PLAN = """\
# An example client success plan. csnb reads plans only from parameters/, so this one is in no batch
# and no e-mail until you copy it there (cp examples/example.yaml parameters/example.yaml); then make
# it yours. `csnb validate` checks it and `csnb schema` gives your editor the full format.
client: {id: example, name: Example Client, timezone: UTC, domains: [example.org]}

people:
  - {id: alex, name: Alex Kim, side: provider, role: Customer Success Manager, email: alex.kim@example.com}
  - {id: jamie, name: Jamie Fox, side: client, role: Head of Operations, email: jamie.fox@example.org,
     executive: true}

goals:
  - id: adoption
    statement: 200 weekly active users within 90 days
    metrics: [weekly_active_users]
    why: The licence renews on active use

# Metric data: a CSV file with columns client, metric, date, value (relative to this file;
# the same path works from examples/ and from parameters/).
sources:
  example: {kind: csv, path: ../data/example.csv}

metrics:
  - id: users_trained
    name: Users who completed training
    kind: lead                # a forward signal...
    leads: [weekly_active_users]   # ...of this outcome
    unit: users
    source: example
    aggregate: last
    frequency: week
    baseline: {value: 0, date: 2026-01-05}
    target: {value: 220, date: 2026-03-02}
    owner: alex
  - id: weekly_active_users
    name: Weekly active users
    kind: lag                 # the outcome the client cares about
    unit: users
    direction: up
    source: example
    aggregate: mean           # sum | mean | last | min | max | count
    frequency: week           # day | week | month
    baseline: {value: 20, date: 2026-01-05}
    target: {value: 200, date: 2026-04-05}
    tolerance: 0.10
    owner: jamie

milestones:
  - id: M1
    title: Kick-off and accounts created
    stage: onboarding
    owner: alex
    start: 2026-01-05
    due: 2026-01-16
    criteria:
      - {check: Single sign-on configured, done: true, done_on: 2026-01-14}
    raci: {responsible: [alex], accountable: [jamie]}
  - id: M2
    title: First 100 users trained
    stage: adoption
    owner: alex
    start: 2026-01-19
    due: 2026-02-13
    depends_on: [M1]
    criteria:
      - {metric: users_trained, op: ">=", value: 100}
  - id: M3
    title: 200 weekly active users
    stage: value
    owner: jamie
    start: 2026-02-16
    due: 2026-04-05
    depends_on: [M2]
    criteria:
      - {metric: weekly_active_users, op: ">=", value: 200}

risks:
  - id: R1
    description: Teams keep using the old tool
    owner: alex
    likelihood: medium
    impact: high
    trigger: {metric: weekly_active_users, op: "<", value: 100, after: 2026-03-01}
    contingency: Retire the old tool's write access in March

cadence:
  - {ritual: weekly-update, rrule: "FREQ=WEEKLY;BYDAY=MO", audience: operator, recipients: [jamie]}
  - {ritual: monthly-review, rrule: "FREQ=MONTHLY;BYDAY=1TU", audience: executive,
     channel: meeting, recipients: [client-executives, alex]}

escalation:
  - {level: 1, contacts: [alex], when: A milestone is late}

changes: []
decisions: []
"""


def bundled_notebooks() -> Path:
    """The folder of the notebooks shipped with csnb: inside the installed wheel, else the source checkout."""
    here = Path(__file__).resolve().parents[1]  # the csnb package
    for folder in (here / "_bundled" / "notebooks", here.parent / "notebooks"):
        if folder.is_dir():
            return folder
    raise CsnbError(
        "this csnb installation has no bundled notebooks; reinstall it (pip install --force-reinstall csnb)"
    )


def example_csv() -> str:
    """The example plan's data: 16 weeks of daily rows, the same every time (no randomness, no clock)."""
    import datetime as dt

    start = dt.date.fromisoformat(EXAMPLE_START)
    trained = [sum(TRAINED_PER_WEEK[: week + 1]) for week in range(EXAMPLE_WEEKS)]
    rows = ["client,metric,date,value"]
    for day in range(EXAMPLE_WEEKS * 7):
        date, week = (start + dt.timedelta(days=day)).isoformat(), day // 7
        # active use follows training a week later; weekends are quieter (the rhythm averages out per week)
        rhythm = (6 if day % 7 < 5 else -15) + (day * 3 % 5 - 2)
        active = 20 + 0.8 * (trained[week - 1] if week else 0) + rhythm
        rows.append(f"example,users_trained,{date},{trained[week]}")
        rows.append(f"example,weekly_active_users,{date},{active:g}")
    return "\n".join(rows) + "\n"


def _refuse_unless_empty(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            [Issue(str(folder), 0, 0, "", "is a file; `csnb init` needs a new or empty folder")]
        )
    if folder.is_dir() and any(folder.iterdir()):
        raise ConfigError(
            [
                Issue(
                    str(folder),
                    0,
                    0,
                    "",
                    "is not empty; `csnb init` only writes into a new or "
                    "empty folder, so it never overwrites your files",
                )
            ]
        )


def init_project(folder: str | os.PathLike[str]) -> list[Path]:
    """Create a csnb project in ``folder`` (new or empty); return every path written."""
    root = Path(folder)
    _refuse_unless_empty(root)
    notebooks = sorted(bundled_notebooks().glob("*.ipynb"))
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    root.mkdir(parents=True, exist_ok=True)
    write(CONFIG_FILE, CONFIG_TEXT.replace("{as_of}", EXAMPLE_AS_OF))
    write(".gitignore", GITIGNORE)
    write(f"{EXAMPLE_FOLDER}/example.yaml", EXAMPLE_PLAN)
    (root / "parameters").mkdir(exist_ok=True)
    write("data/example.csv", example_csv())
    (root / "notebooks").mkdir(exist_ok=True)
    for notebook in notebooks:
        target = root / "notebooks" / notebook.name
        shutil.copyfile(notebook, target)
        written.append(target)
    return written


def next_steps(folder: str | os.PathLike[str]) -> list[str]:
    """The three commands a new project runs next, from the folder ``csnb init`` was run in."""
    return [
        f"cd {folder} && cp {EXAMPLE_FOLDER}/example.yaml parameters/   # the example becomes a client",
        "csnb validate                                  # every plan in parameters/",
        "csnb run example                               # its report, in reports/example/",
    ]
