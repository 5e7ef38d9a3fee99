"""Turning CLI requests into report jobs for one client or many, and running them as one batch.

A batch validates every input first (bad plans or options: ``InputError``, exit 2, nothing written),
then closes what a killed batch left open, picks the jobs (``--all``, ``--due``, ``--retry-failed``;
a report that already succeeded is skipped unless ``--force``), runs them on an executor, and writes
the portfolio page. Every job's outcome is a ``Result``; one failed client never stops the others.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from csnb.errors import InputError, OutputError, PlanError
from csnb.fs import cannot_write
from csnb.plan.cadence import due_reports
from csnb.plan.load import load_plan
from csnb.project.folder import Project
from csnb.project.plancache import PlanCache
from csnb.project.scaffold import bundled_notebooks
from csnb.registry import executors as registry
from csnb.render.portfolio import write_index
from csnb.run.engines import DEFAULT_ENGINE, is_warm
from csnb.run.executors import default_jobs
from csnb.run.forkserver import HereExecutor, run_forked, runs_here
from csnb.run.job import REPORT_NOTEBOOK, Job, Result, new_run_key, run_job
from csnb.run.lock import batch_lock
from csnb.run.options import BatchOptions, check_audience, check_engine, check_options, check_timeout
from csnb.run.process import pid_alive
from csnb.run.publish import publisher
from csnb.run.worker import run_isolated, sweep
from csnb.store.db import store_exists
from csnb.store.runs import Store

RETRYABLE = ("failed", "interrupted")


def make_job(
    project: Project,
    client: str,
    as_of: dt.date | None = None,
    audience: str = "operator",
    out_dir: Path | None = None,
    static: bool = False,
    store_url: str | None = None,
    ritual: str = "",
    engine: str = DEFAULT_ENGINE,
    cell_timeout: float | None = None,
    out_url: str | None = None,
    pdf: bool = False,
) -> Job:
    """A validated job for one client of ``project`` (raises ``PlanError`` for an invalid plan)."""

    check_audience(audience)
    check_engine(engine)
    check_timeout(cell_timeout, "--cell-timeout")
    path = project.plan_path(client)
    load_plan(path)  # invalid input stops here, with exit 2, before anything is written
    job = _job(project, client, path, as_of, audience, out_dir, static, store_url, ritual)
    return replace(job, engine=engine, cell_timeout=cell_timeout, out_url=out_url, pdf=pdf)


def _job(
    project: Project,
    client: str,
    path: Path,
    as_of: dt.date | None,
    audience: str,
    out_dir: Path | None,
    static: bool,
    store_url: str | None,
    ritual: str,
) -> Job:
    notebook = project.config.notebooks / REPORT_NOTEBOOK
    if not notebook.is_file():
        notebook = bundled_notebooks() / REPORT_NOTEBOOK
    cfg = project.config
    return Job(
        client=client,
        plan_path=str(path),
        as_of=as_of or cfg.today(),
        audience=audience,
        out_dir=str(out_dir or cfg.reports),
        store_url=store_url or cfg.store_url,
        notebook=str(notebook),
        project_root=str(cfg.root),
        ritual=ritual,
        static=static,
        branding={
            "provider": cfg.branding.provider,
            "accent": cfg.branding.accent,
            "logo": str(cfg.root / cfg.branding.logo) if cfg.branding.logo else None,
        },
    )


def run_single(client: str, timeout: float | None = None, **options: object) -> Result:
    """Run one client's report in a fork of this process (a stock kernel: here, or with ``timeout`` in a
    worker); a report that overruns ``timeout`` seconds is stopped."""
    check_timeout(timeout)
    job = make_job(Project(), client, **options)  # type: ignore[arg-type]
    job = replace(job, run_key=new_run_key(job))  # known here: a failed copy marks this run failed
    # an unusable --out URL stops here, with exit 2
    publish = publisher(job.out_url, job.out_dir, job.store_url, lambda _: job.run_key)
    if job.store_url:  # a store that cannot be opened stops here, with exit 2, before the report runs
        Store(job.store_url).dispose()
    if is_warm(job.engine):  # a crash in the report's cells is a failed client, not a dead command
        result = run_forked(job, timeout=timeout)
    elif timeout is None:
        result = run_job(job)
    else:
        result = run_isolated(job, timeout)
    return publish.result(result) if publish else result


@dataclass
class BatchSummary:
    """What a batch did: results per report, what it skipped as already done, and where the page is."""

    batch: str
    at: dt.datetime | None
    planned: list[Job] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    duration: float = 0.0
    index: str | None = None
    index_error: str | None = None  # the portfolio page could not be written
    dry_run: bool = False

    @property
    def failed(self) -> list[Result]:
        """The reports that failed."""
        return [r for r in self.results if r.status != "ok"]

    @property
    def exit_code(self) -> int:
        """0 when every report succeeded (or nothing was due); 1 when some failed or the page is missing."""
        return 1 if self.failed or self.index_error else 0

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` summary for schedulers."""
        return {
            "batch": self.batch,
            "at": self.at.isoformat() if self.at else None,
            "dry_run": self.dry_run,
            "planned": [
                {
                    "client": j.client,
                    "ritual": j.ritual,
                    "audience": j.audience,
                    "as_of": j.as_of.isoformat(),
                    "html": str(j.html_path),
                }
                for j in self.planned
            ],
            "ok": len(self.results) - len(self.failed),
            "failed": len(self.failed),
            "skipped": self.skipped,
            "duration": round(self.duration, 3),
            "index": self.index,
            "index_error": self.index_error,
            "results": [r.to_dict() for r in self.results],
        }


def resolve_at(project: Project, at: dt.datetime | None) -> dt.datetime:
    """When ``--due`` is evaluated: ``--at`` (naive: in csnb.toml's zone), the pinned day's end, or now."""
    zone = ZoneInfo(project.config.timezone)
    if at is not None:
        return at if at.tzinfo else at.replace(tzinfo=zone)
    if project.config.as_of:  # a pinned "today" (the demo) is evaluated at the end of that day
        return dt.datetime.combine(project.config.as_of, dt.time(23, 59, 59), tzinfo=zone)
    return dt.datetime.now(zone)


def _load_plans(project: Project, clients: tuple[str, ...]) -> dict[str, tuple[Path, Any]]:
    """Every selected plan, validated; every problem in every plan is reported at once."""

    paths = [project.plan_path(c) for c in clients] if clients else project.plan_paths()
    if not paths:
        raise InputError(f"no plans in {project.config.parameters}")
    plans, issues, cache = {}, [], PlanCache(project.root)
    for path in paths:
        try:
            plan = cache.load(path)  # validated plans are kept in .csnb/plans/ by content
            plans[path.stem] = (path, plan)
        except PlanError as exc:
            issues += exc.issues
    if issues:
        raise PlanError(issues)
    cache.save()  # only now: a batch refused for a bad plan writes nothing
    return plans


def select_jobs(
    project: Project,
    opts: BatchOptions,
    plans: dict[str, tuple[Path, Any]],
    states: dict[tuple[str, str, str], tuple[str, str]],
    at: dt.datetime,
) -> tuple[list[Job], list[dict]]:
    """The jobs a batch runs, and the reports it skips because they already succeeded."""

    wanted: list[tuple[str, str, str, dt.date]] = []  # client, ritual, audience, as_of
    if opts.due:
        every = due_reports([p for _, p in plans.values()], at, lambda *key: False, project.config.timezone)
        wanted = [(d.client, d.ritual, d.audience, d.as_of) for d in every]
    elif opts.all:
        as_of = opts.as_of or project.config.today()
        wanted = [(client, "", opts.audience, as_of) for client in plans]
    else:  # --retry-failed alone: each client's newest report, if its last attempt failed
        newest: dict[tuple[str, str], tuple[str, str]] = {}
        for (client, audience, as_of), (_, ritual) in sorted(states.items()):
            if client in plans:
                newest[(client, audience)] = (as_of, ritual)
        wanted = [(c, r, a, dt.date.fromisoformat(d)) for (c, a), (d, r) in newest.items()]
    jobs, skipped = [], []
    for client, ritual, audience, as_of in wanted:
        state = states.get((client, audience, as_of.isoformat()), ("", ""))[0]
        reason = _skip_reason(state, opts)
        if reason:
            skipped.append(
                {
                    "client": client,
                    "ritual": ritual,
                    "audience": audience,
                    "as_of": as_of.isoformat(),
                    "reason": reason,
                }
            )
            continue
        path = plans[client][0]
        jobs.append(
            _job(
                project,
                client,
                path,
                as_of,
                audience,
                opts.out_dir,
                opts.static,
                opts.store_url,
                ritual,
            )
        )
    return jobs, skipped


def _skip_reason(state: str, opts: BatchOptions) -> str:
    if state == "running":
        return "running in another batch"
    if opts.retry_failed and state not in RETRYABLE:
        return "already succeeded" if state == "ok" else "did not fail"
    if state == "ok" and not opts.force:
        return "already succeeded"
    return ""


def run_batch(
    opts: BatchOptions,
    project: Project | None = None,
    on_start: Callable[[list[Job]], None] | None = None,
    on_result: Callable[[Result], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> BatchSummary:
    """Validate, pick the jobs, run them on the chosen executor, record them and write the portfolio page.

    One batch runs at a time in a project: another one waits (``on_wait`` is told) or, with
    ``opts.wait`` False, is refused with ``BusyError``. A dry run reads the store and takes no lock.
    """
    project = project or Project()
    check_options(opts)
    plans = _load_plans(project, opts.clients)
    at = resolve_at(project, opts.at)
    summary = BatchSummary(batch=uuid.uuid4().hex[:12], at=at if opts.due else None, dry_run=opts.dry_run)
    store_url = opts.store_url or project.config.store_url
    keys: dict[tuple[str, str, str, str], str] = {}  # a report -> its run key, for a copy that fails
    publish = publisher(  # --out URL: copies too
        opts.out_url,
        opts.out_dir or project.config.reports,
        store_url,
        lambda r: keys.get((r.client, r.audience, r.as_of, r.ritual)),
    )
    if opts.dry_run:
        _pick(project, opts, plans, summary, store_url, at)
        return summary
    with batch_lock(project.root / ".csnb", opts.wait, on_wait):
        jobs = _pick(project, opts, plans, summary, store_url, at)
        keys.update({(j.client, j.audience, j.as_of.isoformat(), j.ritual): j.run_key for j in jobs})
        executor = _executor(project, opts, summary.batch, len(jobs))
        if on_start:
            on_start(jobs)
        started = time.perf_counter()
        done = on_result or (lambda result: None)
        results = executor.run(jobs, publish.wrap(done) if publish else done) if jobs else []
        summary.results = publish.copied(results) if publish else results
        summary.duration = time.perf_counter() - started
        folder = Path(opts.out_dir or project.config.reports)
        shown = {c: p for c, (_, p) in plans.items()}
        try:
            summary.index = str(write_index(project, store_url, shown, folder))
        except OutputError as exc:  # the reports are made and recorded; only the page is missing
            summary.index_error = str(exc)
        if publish and summary.index:
            summary.index_error = publish.index(summary.index)
    return summary


def _pick(
    project: Project,
    opts: BatchOptions,
    plans: dict[str, tuple[Path, Any]],
    summary: BatchSummary,
    store_url: str,
    at: dt.datetime,
) -> list[Job]:
    """The batch's jobs, by the store's record (skips go to ``summary``); a dry run creates nothing."""
    states = _states(store_url, list(plans), create=not opts.dry_run)
    jobs, summary.skipped = select_jobs(project, opts, plans, states, at)
    summary.planned = [
        replace(
            j,
            store_url=store_url,
            batch=summary.batch,
            run_key=new_run_key(j),
            engine=opts.engine,
            cell_timeout=opts.cell_timeout,
            out_url=opts.out_url,
            pdf=opts.pdf,
        )
        for j in jobs
    ]
    return summary.planned


def _states(store_url: str, clients: list[str], create: bool) -> dict[tuple[str, str, str], tuple[str, str]]:
    """Report states from the store, after closing runs a killed batch left open on this machine."""
    if not create and not store_exists(store_url):
        return {}  # a dry run creates nothing
    store = Store(store_url)
    try:
        if create:
            store.interrupt_stale(socket.gethostname(), pid_alive)
        return store.report_states(clients)
    finally:
        store.dispose()


def _executor(project: Project, opts: BatchOptions, batch: str, count: int = 0) -> Any:

    reports = Path(opts.out_dir or project.config.reports)
    if reports.is_dir():
        sweep(reports)  # half-written files of a killed batch
    logs = project.root / ".csnb" / "logs"
    with cannot_write(logs):
        logs.mkdir(parents=True, exist_ok=True)
    small = runs_here(count, opts.jobs or default_jobs())
    # forked from a process whose Python threads hold locks, a report may hang (a progress bar's refresh)
    if opts.executor == "local" and is_warm(opts.engine) and small and threading.active_count() == 1:
        return HereExecutor(timeout=opts.timeout)  # no worker start to pay for
    cls = registry.get(opts.executor)
    log = logs / f"batch-{batch}.log"
    return cls(jobs=opts.jobs, timeout=opts.timeout, address=opts.address, log=log, engine=opts.engine)
