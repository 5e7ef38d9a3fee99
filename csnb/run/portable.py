"""Jobs for workers that cannot see the project folder: a job travels with its files, the report returns.

The coordinator ``pack``s a ``Parcel``: the plan as written, the report notebook, ``csnb.toml``, the
branding logo, every local file the plan's sources read (CSV, Parquet, SQLite), the other plans that
read the same SQL database (so a query without ``:client`` is refused there as here), the previous
report's snapshot summary and the lessons of the store. A worker ``deliver``s it: it rebuilds the
project in a scratch folder of its own, runs the report there as locally (pulling server data itself,
with its own environment's credentials), and returns a ``Delivery``: the result, the bytes of every
report file, the run record and the new snapshot. The coordinator ``receive``s it: it writes the files
into the project's reports folder atomically and records the run and the snapshot in the project's
store. Nothing of the project is read on the worker, nothing of the worker is left behind.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from csnb.errors import OutputError
from csnb.fs import write_atomic
from csnb.plan.load import load_plan
from csnb.project.config import CONFIG_FILE
from csnb.run.job import Job, Result, run_values
from csnb.run.worker import run_isolated, run_warm
from csnb.sources.pull import local_files
from csnb.store.lessons import open_kb, tags_text
from csnb.store.runs import Store

SCRATCH_PREFIX = "csnb-job-"
NOTEBOOK = "notebooks/client_report.ipynb"


@dataclass(frozen=True)
class Parcel:
    """A job and everything it reads, as plain values: files by path relative to the project folder."""

    job: Job
    plan: str  # the plan's path inside the project, e.g. parameters/acme.yaml
    files: dict[str, bytes]
    previous: dict[str, Any] | None = None  # the snapshot summary of the client's previous report
    previous_as_of: str | None = None
    lessons: bytes = b""  # a SQLite file holding the store's lessons ("" when it has none)


@dataclass
class Delivery:
    """What a worker sends back: the result, the report files, the run row and the new snapshot."""

    result: Result
    files: dict[str, bytes] = field(default_factory=dict)  # by name in the report's folder
    run: dict[str, Any] = field(default_factory=dict)
    snapshot: dict[str, Any] | None = None


def _inside(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` (POSIX form), or None when it is outside."""
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


class Packer:
    """Packs the jobs of one batch; what all jobs share (the lessons) is read once."""

    def __init__(self, store_url: str | None):
        self.store_url = store_url
        self._lessons: bytes | None = None
        self._shared: dict[Path, bytes] = {}  # files many plans read (one CSV of every client) read once

    def lessons(self) -> bytes:
        """The store's lessons as a SQLite file (empty bytes without a store or lessons)."""
        if self._lessons is None:
            self._lessons = lessons_file(self.store_url) if self.store_url else b""
        return self._lessons

    def read(self, path: Path) -> bytes:
        """A file's bytes, read once per batch."""
        path = path.resolve()
        if path not in self._shared:
            self._shared[path] = path.read_bytes()
        return self._shared[path]

    def pack(self, job: Job) -> Parcel:
        """The parcel of one job."""
        root = Path(job.project_root)
        plan_path = Path(job.plan_path)
        plan = _inside(plan_path, root) or f"parameters/{plan_path.name}"
        files = {plan: plan_path.read_bytes(), NOTEBOOK: Path(job.notebook).read_bytes()}
        extra = [root / CONFIG_FILE, *local_files(load_plan(plan_path))]
        logo = job.branding.get("logo")
        if logo:
            extra.append(Path(logo))
        for path in extra:
            rel = _inside(path, root)
            if rel and path.is_file() and rel not in files:
                files[rel] = self.read(path)
        previous, previous_as_of = self._previous(job)
        return Parcel(job, plan, files, previous, previous_as_of, self.lessons())

    def _previous(self, job: Job) -> tuple[dict[str, Any] | None, str | None]:
        if not self.store_url:
            return None, None
        store = Store(self.store_url)
        try:
            history = store.previous_summary(job.client, job.audience, before=job.as_of)
        finally:
            store.dispose()
        # the worker's store only needs it to be strictly before as_of: the day before will do
        return history, (job.as_of - dt.timedelta(days=1)).isoformat() if history else None


def lessons_file(store_url: str) -> bytes:
    """The store's lessons copied into a new SQLite file, as bytes (empty when there are none)."""
    kb = open_kb(store_url)
    try:
        records = kb.list(limit=1_000_000)
    finally:
        kb.dispose()
    if not records:
        return b""
    with tempfile.TemporaryDirectory(prefix="csnb-lessons-") as folder:
        url = f"sqlite:///{Path(folder) / 'store.db'}"
        copy = open_kb(url)
        try:
            copy.upsert([{**r, "tags": tags_text(r.get("tags") or [])} for r in records])
        finally:
            copy.dispose()
        return (Path(folder) / "store.db").read_bytes()


# -- worker side ------------------------------------------------------------------------------------


def deliver(
    parcel: Parcel, timeout: float | None = None, warm: bool = True, files: dict[str, bytes] | None = None
) -> Delivery:
    """Run a parcel's report in a scratch folder of this machine and return its files and records.

    ``files``, when given, replaces the parcel's own: a cluster sends large shared files separately.
    """
    if files is not None:
        parcel = replace(parcel, files=files)
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))  # the worker machine's own temporary folder
    try:
        job = unpack(parcel, scratch)
        result = run_warm(job, timeout) if warm else run_isolated(job, timeout)
        return _collect(job, result, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def unpack(parcel: Parcel, scratch: Path) -> Job:
    """Write the parcel's files into ``scratch`` and return its job with every path in there."""
    for rel, data in parcel.files.items():
        target = scratch / rel
        if _inside(target, scratch) is None:  # a parcel is data: it never writes outside its folder
            raise ValueError(f"refused: {rel} is outside the job's folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    db = scratch / ".csnb" / "store.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    if parcel.lessons:
        db.write_bytes(parcel.lessons)
    url = f"sqlite:///{db}"
    store = Store(url)
    try:
        if parcel.previous is not None and parcel.previous_as_of:
            day = dt.date.fromisoformat(parcel.previous_as_of)
            store.record_snapshot(parcel.job.client, parcel.job.audience, day, parcel.previous)
    finally:
        store.dispose()
    job = parcel.job
    logo = job.branding.get("logo")
    root = Path(job.project_root)
    branding = {**job.branding, "logo": str(scratch / (_inside(Path(logo), root) or "")) if logo else None}
    return replace(
        job,
        plan_path=str(scratch / parcel.plan),
        notebook=str(scratch / NOTEBOOK),
        project_root=str(scratch),
        out_dir=str(scratch / "reports"),
        store_url=url,
        branding=branding,
    )


def _collect(job: Job, result: Result, scratch: Path) -> Delivery:
    """The report's files, its run row and its snapshot, read from the scratch folder."""
    files = {p.name: p.read_bytes() for p in sorted(job.folder.glob("*")) if p.is_file()}
    files = {name: data for name, data in files.items() if not name.startswith(".")}
    store = Store(job.store_url)  # type: ignore[arg-type]
    try:
        run = next((r for r in store.runs(job.client, 10) if r["run_key"] == job.run_key), {})
        snapshot = None
        if result.status == "ok":
            history = store.snapshot_history(job.client, job.audience, limit=1)
            snapshot = history[0] if history else None
    finally:
        store.dispose()
    run = {k: v for k, v in run.items() if k not in ("id", "run_key", "outputs")}
    return Delivery(result, files, run, snapshot)


# -- coordinator side -------------------------------------------------------------------------------


def receive(delivery: Delivery, job: Job) -> Result:
    """Write a delivery's files into the project's report folder and record its run; return the result.

    A file that cannot be written fails the report (``cannot write PATH: reason``), as it would locally.
    """
    result = replace(delivery.result, error=_local(delivery.result.error, job))
    written: dict[str, Path] = {}
    try:
        for name, data in delivery.files.items():
            written[name] = write_atomic(job.folder / name, data)
    except OutputError as exc:
        result = replace(result, status="failed", html=None, error=f"client {job.client}: {exc}")
    html = written.get(job.html_path.name) if result.status == "ok" else None
    notebook = written.get(job.notebook_path.name)
    result = replace(result, html=str(html) if html else None, notebook=str(notebook) if notebook else None)
    if job.store_url:
        _record(delivery, job, result)
    return result


def _record(delivery: Delivery, job: Job, result: Result) -> None:
    """The run row (as the worker recorded it, with the project's paths) and the new snapshot."""
    store = Store(job.store_url)  # type: ignore[arg-type]
    try:
        if delivery.snapshot is not None and result.status == "ok":
            store.record_snapshot(job.client, job.audience, job.as_of, delivery.snapshot)
        outputs = {k: v for k, v in (("html", result.html), ("notebook", result.notebook)) if v}
        row = {
            **run_values(job),
            **delivery.run,
            "status": result.status,
            "error": result.error,
            "outputs": outputs,
        }
        row.setdefault("duration", result.duration)
        store.record_run(job.run_key, **row)
    finally:
        store.dispose()


def _local(error: str | None, job: Job) -> str | None:
    """An error message with the worker's scratch paths shown as the project's report paths."""
    if not error:
        return error
    for word in error.split():
        if SCRATCH_PREFIX in word and "/reports/" in word:
            error = error.replace(word, str(Path(job.out_dir) / word.split("/reports/", 1)[1]))
    return error
