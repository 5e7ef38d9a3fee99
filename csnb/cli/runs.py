"""``csnb run`` and ``csnb history``: report runs for one client or the portfolio."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from csnb.cli.common import _date, _datetime, _say, app, err, out
from csnb.errors import InputError


def _clients(value: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in value.split(",") if c.strip()) if value else ()


# The options of `csnb run`, named once so the command's signature reads as a list.
ClientOpt = Annotated[str | None, typer.Argument(help="Client id (the plan's file name).")]
AllClientsOpt = Annotated[bool, typer.Option("--all", help="Every client's report for --as-of.")]
DueOpt = Annotated[bool, typer.Option("--due", help="The reports the plans' cadence asks for by --at.")]
AtOpt = Annotated[
    str | None,
    typer.Option(
        help="With --due: the moment to evaluate (default: now; a naive time is in csnb.toml's timezone)."
    ),
]
ClientsOpt = Annotated[str | None, typer.Option(help="Only these clients: a,b,c.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Re-run reports that already succeeded.")]
RetryFailedOpt = Annotated[bool, typer.Option("--retry-failed", help="Only reports whose last run failed.")]
JobsOpt = Annotated[int | None, typer.Option("--jobs", "-j", help="Parallel jobs (default: cores).")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="List what would run; run nothing.")]
ExecutorOpt = Annotated[str, typer.Option(help="local (process pool) or dask.")]
AddressOpt = Annotated[str | None, typer.Option(help="Dask scheduler, tcp://HOST:PORT.")]
AsJsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Report date (default: today).")]
AudienceOpt = Annotated[str, typer.Option(help="executive or operator.")]
OutDirOpt = Annotated[
    str | None,
    typer.Option(
        "--out",
        help="Output folder (default: reports/), or an fsspec URL (file://..., s3://...) the reports are "
        "copied to.",
    ),
]
CellTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--cell-timeout",
        help="Seconds allowed per cell, as Jupyter's timeout: the notebook cannot catch it and the run "
        "fails naming the cell.",
    ),
]
PdfOpt = Annotated[
    bool, typer.Option("--pdf", help="Also write the executive edition as a one-page PDF (print layout).")
]
StaticOpt = Annotated[bool, typer.Option("--static", help="Plain SVG charts, no JavaScript (for e-mail).")]
TimeoutOpt = Annotated[
    float | None,
    typer.Option(help="Seconds allowed per report; an overrunning one is stopped and recorded as failed."),
]
StoreOpt = Annotated[str | None, typer.Option(help="Store URL (default: csnb.toml or .csnb/store.db).")]
SendOpt = Annotated[
    bool,
    typer.Option("--send", help="E-mail each new report to its ritual's recipients (see csnb send)."),
]
NoWaitOpt = Annotated[
    bool,
    typer.Option(
        "--no-wait", help="If another batch is running in this project, exit 2 at once instead of waiting."
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        help="How cells run: warm-kernel (default: an ipykernel forked from a process that imported "
        "the report's libraries once; runs any notebook as Jupyter does), kernel (a stock ipykernel per "
        "report) or warm-shell (a fresh IPython shell in such a fork: faster, but only for csnb's own "
        "report notebooks, since output of shell commands and subprocesses, exit(), input(), asyncio, "
        "logging handlers, tqdm and crashes differ from a kernel)."
    ),
]


@app.command()
def run(
    client: ClientOpt = None,
    all_clients: AllClientsOpt = False,
    due: DueOpt = False,
    at: AtOpt = None,
    clients: ClientsOpt = None,
    force: ForceOpt = False,
    retry_failed: RetryFailedOpt = False,
    jobs: JobsOpt = None,
    dry_run: DryRunOpt = False,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    as_json: AsJsonOpt = False,
    as_of: AsOfOpt = None,
    audience: AudienceOpt = "operator",
    out_dir: OutDirOpt = None,
    static: StaticOpt = False,
    timeout: TimeoutOpt = None,
    store: StoreOpt = None,
    send: SendOpt = False,
    engine: EngineOpt = None,
    no_wait: NoWaitOpt = False,
    cell_timeout: CellTimeoutOpt = None,
    pdf: PdfOpt = False,
) -> None:
    """Run report notebooks: one client, or a batch (`--all`, `--due`, `--retry-failed`).

    Exit status: 0 all ok, 1 some failed, 2 bad plan, option or store, or (`--no-wait`) a batch running.

    Example: `csnb run acme --audience executive` ·
    `csnb run --due --json` (from cron) · `csnb run --all --jobs 4 --timeout 300`
    """
    if client is None and not (all_clients or due or retry_failed):
        raise InputError("name a client, or pass --all, --due or --retry-failed")
    if pdf:  # a missing Playwright or Chromium is exit 2 before anything runs
        from csnb.render.pdf import require_pdf

        require_pdf()
    if client is not None:
        if all_clients or due or retry_failed or clients:
            raise InputError("name one client, or use --all/--due/--retry-failed with --clients a,b")
        extra = _outputs(out_dir, cell_timeout, pdf)
        _run_one(client, as_of, audience, static, timeout, store, as_json, engine, extra)
        return
    from csnb.run.batch import BatchOptions

    opts = BatchOptions(
        all=all_clients,
        due=due,
        retry_failed=retry_failed,
        at=_datetime(at, "--at"),
        as_of=_date(as_of, "--as-of"),
        clients=_clients(clients),
        audience=audience,
        force=force,
        jobs=jobs,
        timeout=timeout,
        executor=executor,
        address=address,
        dry_run=dry_run,
        static=static,
        store_url=store,
        wait=not no_wait,
        **_outputs(out_dir, cell_timeout, pdf),
        **({"engine": engine} if engine else {}),
    )
    _run_batch(opts, as_json, send)


def _outputs(out: str | None, cell_timeout: float | None, pdf: bool) -> dict[str, Any]:
    """``--out`` as a folder or an fsspec URL, ``--cell-timeout`` and ``--pdf`` as run options."""
    values: dict[str, Any] = {"cell_timeout": cell_timeout, "pdf": pdf}
    if out and "://" in out:
        values["out_url"] = out
    elif out:
        values["out_dir"] = Path(out)
    return values


def _run_one(
    client: str,
    as_of: str | None,
    audience: str,
    static: bool,
    timeout: float | None,
    store: str | None,
    as_json: bool,
    engine: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    from csnb.project.folder import Project, display_path
    from csnb.run.batch import run_single

    project = Project()
    day = _date(as_of, "--as-of") or _today(project, client)
    result = run_single(
        client,
        as_of=day,
        audience=audience,
        **(extra or {}),
        static=static,
        timeout=timeout,
        store_url=store,
        **({"engine": engine} if engine else {}),
    )
    index, index_error = _refresh_portfolio(project, store, (extra or {}).get("out_dir"))
    out_url = (extra or {}).get("out_url")
    if out_url and index and not index_error:  # as after a batch: the page goes where the reports went
        from csnb.run.publish import publisher

        copier = publisher(out_url, project.config.reports)
        index_error = copier.index(index) if copier else None
    if as_json:
        sys.stdout.write(json.dumps({**result.to_dict(), "index": index}, indent=2) + "\n")
    elif result.status == "ok":
        where = display_path(Path(result.html)) if result.html else "(no file)"
        _say(
            f"ok {result.client}: {audience} report for {result.as_of} -> {where} ({result.duration:.1f} s)",
            "green",
        )
    else:
        _say(f"failed {result.error}", "red", err)
        if result.notebook:
            _say(f"executed notebook kept for debugging: {result.notebook}", None, err)
    if not as_json and index:
        _say(f"portfolio: {display_path(Path(index))}")
    if index_error:
        _say(f"portfolio page not written: {index_error}", "red", err)
    if result.status != "ok" or index_error:
        raise typer.Exit(1)


def _today(project: Any, client: str) -> Any:
    """Today in the client's time zone (its plan's, else csnb.toml's) or the project's pinned date."""
    from csnb.project.clock import today

    return today(project.config, project.plan(client))


def _refresh_portfolio(
    project: Any, store: str | None, out_dir: Path | None
) -> tuple[str | None, str | None]:
    """Rewrite ``reports/index.html`` as a batch does, so a one-client run shows on it at once.

    Plans that do not load are left off the page (``csnb validate`` names their problems).
    """
    from csnb.errors import CsnbError, OutputError
    from csnb.plan.load import load_plan
    from csnb.render.portfolio import write_index

    plans = {}
    for path in project.plan_paths():
        try:
            plans[path.stem] = load_plan(path)
        except CsnbError:
            continue
    folder = Path(out_dir or project.config.reports)
    try:
        return str(write_index(project, store or project.config.store_url, plans, folder)), None
    except OutputError as exc:  # the report is made and recorded; only the page is missing
        return None, str(exc)


def _run_batch(opts: Any, as_json: bool, send: bool = False) -> None:
    from csnb.run.batch import run_batch

    live = err.is_terminal and not opts.dry_run
    with _Progress(enabled=live, quiet=as_json) as progress:
        summary = run_batch(
            opts,
            on_start=progress.start,
            on_result=progress.advance,
            on_wait=lambda message: _say(message + " ...", "yellow", err),
        )
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2, default=str) + "\n")
    else:
        _print_summary(summary)
    code = summary.exit_code
    if send and not opts.dry_run:
        code = max(code, _send(summary.results, opts.store_url, as_json))
    raise typer.Exit(code)


def _send(results: Any, store_url: str | None, as_json: bool) -> int:
    """E-mail the batch's successful reports; 1 when a message failed (the batch's reports are kept)."""
    from csnb.cli.send import report
    from csnb.delivery.send import deliver
    from csnb.project.folder import Project

    try:
        report(deliver(results, Project(), store_url=store_url), as_json)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    return 0


def _print_summary(summary: Any) -> None:
    if summary.dry_run:
        for job in summary.planned:
            _say(
                f"would run {job.client} {job.audience} {job.as_of.isoformat()}"
                + (f" ({job.ritual})" if job.ritual else "")
            )
    for skip in summary.skipped:
        _say(f"skipped {skip['client']} {skip['audience']} {skip['as_of']}: {skip['reason']}", "dim")
    if summary.dry_run:
        _say(f"{len(summary.planned)} to run, {len(summary.skipped)} skipped", "bold")
        return
    for r in summary.failed:
        _say(f"failed {r.error}", "red", err)
        if r.notebook:
            _say(f"  executed notebook kept: {r.notebook}", None, err)
    if summary.index_error:
        _say(f"portfolio page not written: {summary.index_error}", "red", err)
    ok = len(summary.results) - len(summary.failed)
    _say(
        f"{ok} ok, {len(summary.failed)} failed, {len(summary.skipped)} skipped in {summary.duration:.1f} s"
        + (f"; portfolio: {summary.index}" if summary.index else ""),
        "red" if summary.failed else "bold",
    )


PROGRESS_MIN_REPORTS = 4  # a bar for fewer reports only flickers; their one line each says enough


class _Progress:
    """A rich progress bar on a terminal's stderr for batches of PROGRESS_MIN_REPORTS or more; one plain line
    per report otherwise. ``--json`` prints no per-report lines, so stdout holds only the JSON summary."""

    def __init__(self, enabled: bool, quiet: bool):
        self.enabled, self.quiet, self.bar, self.task = enabled, quiet, None, None

    def __enter__(self) -> _Progress:
        return self

    def start(self, jobs: list[Any]) -> None:
        """Show the bar once the batch size is known and large enough."""
        if not self.enabled or len(jobs) < PROGRESS_MIN_REPORTS:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.bar.__enter__()
        self.task = self.bar.add_task("reports", total=len(jobs))

    def advance(self, result: Any) -> None:
        """Count one finished report."""
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, advance=1, description=f"{result.status} {result.client}")
        if not self.quiet:
            style = "green" if result.status == "ok" else "red"
            line = (
                f"{result.status} {result.client} {result.audience} {result.as_of} ({result.duration:.1f} s)"
            )
            (
                self.bar.console.print(line, style=style, markup=False)
                if self.bar is not None
                else _say(line, style)
            )

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@app.command()
def history(
    client: Annotated[str | None, typer.Argument(help="Only this client's runs.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="How many runs, newest first.")] = 50,
    store: Annotated[
        str | None, typer.Option(help="Store URL (default: csnb.toml or .csnb/store.db).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print past report runs as a table: when, what, status, duration, error.

    Example: `csnb history acme --limit 10`
    """
    from csnb.run.history import past_runs

    rows = past_runs(client, limit, store)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
    else:
        from rich.console import Console

        # a pipe or a log file has no width; give the table room instead of rich's 80 columns
        console = out if out.is_terminal else Console(width=160, highlight=False)
        console.print(runs_table(rows))


COLUMNS = ("started", "client", "ritual", "audience", "as_of", "status", "duration", "error")


def runs_table(rows: list[dict[str, Any]]) -> Any:
    """A rich table of runs, newest first; errors cut to their first line."""
    table = Table(title=f"{len(rows)} runs, newest first" if rows else "no runs recorded yet")
    for name in COLUMNS:
        table.add_column(
            name.replace("_", " "),
            overflow="fold",
            justify="right" if name == "duration" else "left",
            ratio=3 if name == "error" else None,
        )
    style = {"ok": "green", "failed": "red", "interrupted": "red", "running": "yellow"}
    for row in rows:
        cells = [_cell(name, row.get(name)) for name in COLUMNS]
        # Text(...) so plan and error text is never read as rich markup
        table.add_row(
            *(
                Text(c, style=style.get(row.get("status"), "")) if n == "status" else Text(c)
                for n, c in zip(COLUMNS, cells, strict=True)
            )
        )
    return table


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "duration":
        return f"{float(value):.1f} s"
    if name == "started":
        return str(value)[:16].replace("T", " ")
    if name == "error":
        return str(value).strip().splitlines()[0][:120] if str(value).strip() else ""
    return str(value)
