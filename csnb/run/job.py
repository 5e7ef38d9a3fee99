"""One report job: execute the report notebook for one client with papermill, export HTML, record the run."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import os
import socket
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from nbclient.exceptions import CellTimeoutError

from csnb.deadline import deadline
from csnb.errors import CsnbError, OutputError, RunError
from csnb.fs import cannot_write, make_folder, temp_path, write_atomic
from csnb.project.layout import ReportsFolder
from csnb.run.engines import DEFAULT_ENGINE, papermill_options
from csnb.store.runs import Store

REPORT_NOTEBOOK = "client_report.ipynb"


@dataclass(frozen=True)
class Job:
    """Everything one report run needs; plain values so it pickles to a worker process or a Dask worker."""

    client: str
    plan_path: str
    as_of: dt.date
    audience: str = "operator"
    out_dir: str = "reports"
    store_url: str | None = None
    notebook: str = ""
    project_root: str = "."
    ritual: str = ""
    static: bool = False
    branding: dict[str, Any] = field(default_factory=dict)
    run_key: str = ""  # set by a batch so that it can close the run row if the worker dies
    batch: str = ""
    engine: str = DEFAULT_ENGINE  # kernel: a stock ipykernel; warm-*: a fork of a warm process
    # the per-report limit (--timeout) is enforced by the worker that runs the job, as ``deadline``:
    deadline: float | None = None  # Unix time the batch stops the report at; its queries stop there too
    cell_timeout: float | None = None  # seconds per cell (--cell-timeout): it fails the run, as in Jupyter
    out_url: str | None = None  # fsspec URL the finished report is copied to (--out s3://...)
    pdf: bool = False  # also write the executive edition as PDF (--pdf)

    def result(self, status: str, duration: float, **details: Any) -> Result:
        """This job's outcome: ``ok`` or ``failed``, with the html, notebook, error or cell it has."""
        return Result(
            self.client,
            self.audience,
            self.as_of.isoformat(),
            status,
            duration,
            ritual=self.ritual,
            **details,
        )

    @property
    def folder(self) -> Path:
        """``reports/<client>/<as_of>/``."""
        return ReportsFolder(Path(self.out_dir)).folder(self.client, self.as_of)

    @property
    def html_path(self) -> Path:
        """Where the report HTML goes."""
        return ReportsFolder(Path(self.out_dir)).report(self.client, self.as_of, self.audience)

    @property
    def notebook_path(self) -> Path:
        """Where the executed notebook goes (kept for debugging, never sent)."""
        return ReportsFolder(Path(self.out_dir)).notebook(self.client, self.as_of, self.audience)


@dataclass
class Result:
    """The outcome of one job, as the batch summary and ``--json`` print it."""

    client: str
    audience: str
    as_of: str
    status: str  # ok | failed
    duration: float
    html: str | None = None
    notebook: str | None = None
    error: str | None = None
    cell: int | None = None
    ritual: str = ""
    phases: dict[str, float] = field(default_factory=dict)  # seconds: start, cells, export, shutdown

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def fingerprint(*paths: str | Path) -> str:
    """A short hash of files' contents (the notebook and plan a report was made from)."""
    h = hashlib.sha256()
    for p in paths:
        try:
            h.update(Path(p).read_bytes())
        except OSError:
            h.update(b"missing")
    return h.hexdigest()[:16]


def _execute(job: Job, tmp_nb: Path) -> Any:
    """Run the notebook into ``tmp_nb``; return the executed notebook (papermill wrote it there too)."""
    import papermill as pm

    parameters = {
        "plan_path": str(Path(job.plan_path).resolve()),
        "as_of": job.as_of.isoformat(),
        "audience": job.audience,
        "store_url": job.store_url,
    }
    try:
        with deadline(job.deadline), cannot_write(job.notebook_path, tmp_nb):
            return pm.execute_notebook(
                job.notebook,
                str(tmp_nb),
                parameters=parameters,
                cwd=job.project_root,
                progress_bar=False,
                log_output=False,
                execution_timeout=job.cell_timeout,
                **papermill_options(job.engine),
            )
    except pm.PapermillExecutionError as exc:
        raise RunError(
            f"client {job.client}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue}"[:2000],
            client=job.client,
            cell=exc.exec_count,
            notebook=str(job.notebook_path),
        ) from None
    except CellTimeoutError:
        cell = started_cell(tmp_nb)
        raise RunError(
            timeout_message(job, cell, job.cell_timeout or 0.0),
            client=job.client,
            cell=cell,
            notebook=str(job.notebook_path),
        ) from None
    except CsnbError:
        raise
    except Exception as exc:  # noqa: BLE001 - kernel death, papermill errors: one failed client
        first = str(exc).splitlines()[0][:500] if str(exc) else ""
        cell = running_cell(tmp_nb)
        raise RunError(
            f"client {job.client}: {type(exc).__name__}: {first}"
            + (f" while running cell {cell}" if cell else ""),
            client=job.client,
            cell=cell,
            notebook=str(job.notebook_path),
        ) from None


def running_cell(notebook: Path | None) -> int | None:
    """The execution count of the cell papermill marked running (or failed) in a saved partial notebook."""
    if not notebook:
        return None
    try:
        import nbformat

        nb = nbformat.read(notebook, as_version=4)
    except Exception:  # noqa: BLE001 - a notebook cut off mid-write tells us nothing more
        return None
    for index, cell in enumerate(nb.cells):
        if cell.get("metadata", {}).get("papermill", {}).get("status") in ("running", "failed"):
            return cell.get("execution_count") or index
    return None


def started_cell(notebook: Path | None) -> int | None:
    """The number of the last cell that started in a saved notebook (the one a timeout stopped).

    Its execution count, as Jupyter shows it (``[4]``), else its position among the code cells.
    """
    try:
        import nbformat

        nb = nbformat.read(notebook, as_version=4)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a notebook cut off mid-write tells us nothing more
        return None
    code = [c for c in nb.cells if c.cell_type == "code"]
    started = [i for i, c in enumerate(code) if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    if not started:
        return None
    return code[started[-1]].get("execution_count") or started[-1] + 1


def timeout_message(job: Job, cell: int | None, seconds: float) -> str:
    """``client acme: cell 4 timed out after 2 s and was stopped``."""
    where = f"cell {cell}" if cell else "a cell"
    return f"client {job.client}: {where} timed out after {seconds:g} s and was stopped (--cell-timeout)"


def _take_summary(nb: Any) -> dict[str, Any] | None:
    """Remove the snapshot summary output the notebook recorded, and return it."""
    # report and render import pandas and numpy: this module must stay light, since the fork
    # server imports it and pins native thread pools before numpy loads (see forkserver.warm_up)
    from csnb.report.build import SUMMARY_MIME

    found = None
    for cell in nb.cells:
        keep = []
        for out in cell.get("outputs", []):
            if SUMMARY_MIME in out.get("data", {}):
                found = dict(out["data"][SUMMARY_MIME])
            else:
                keep.append(out)
        if cell.cell_type == "code":
            cell.outputs = keep
    return found


def _export(job: Job, nb: Any, tmp_nb: Path, owner: int, phases: dict[str, float]) -> dict[str, Any] | None:
    import nbformat

    from csnb.render.exporter import render_notebook

    phases.update(_execution_phases(nb, phases.pop("execute")))
    started = time.perf_counter()
    summary = _take_summary(nb)
    with cannot_write(job.notebook_path, tmp_nb):
        nbformat.write(nb, tmp_nb)
    html = render_notebook(
        nb, title="Client success report", static=job.static, branding=job.branding or None
    )
    write_atomic(job.html_path, html, owner)
    phases["export"] = time.perf_counter() - started
    return summary


def _execution_phases(nb: Any, execute: float) -> dict[str, float]:
    """Split papermill's wall time into kernel start, cells and shutdown, from its cell timestamps."""
    stamps = [c.metadata.get("papermill", {}) for c in nb.cells]
    starts = [dt.datetime.fromisoformat(s["start_time"]) for s in stamps if s.get("start_time")]
    ends = [dt.datetime.fromisoformat(s["end_time"]) for s in stamps if s.get("end_time")]
    end = nb.metadata.get("papermill", {}).get("end_time")
    if not (starts and ends and end):
        return {"start": execute, "cells": 0.0, "shutdown": 0.0}
    cells = (max(ends) - min(starts)).total_seconds()
    shutdown = max(0.0, (dt.datetime.fromisoformat(end) - max(ends)).total_seconds())
    return {"start": max(0.0, execute - cells - shutdown), "cells": cells, "shutdown": shutdown}


def run_job(job: Job, owner_pid: int | None = None) -> Result:
    """Run one report in this process; a failing client becomes a failed ``Result``, its notebook kept.

    ``owner_pid`` names the temporary files: the worker a batch knows, when this is its forked child.
    A report whose files cannot be written fails with ``cannot write PATH: reason`` and leaves no file.
    """
    started = time.perf_counter()
    owner = owner_pid or os.getpid()
    tmp_nb = temp_path(job.notebook_path, owner, keep_suffix=True)
    try:
        store, run_id = _open_run(job)
    except CsnbError as exc:  # a store that cannot be opened: nothing ran, nothing to record it in
        return job.result("failed", time.perf_counter() - started, error=f"client {job.client}: {exc}")
    phases: dict[str, float] = {}
    try:
        with cannot_write(job.folder):
            make_folder(job.folder)
        executed = _execute(job, tmp_nb)
        phases["execute"] = time.perf_counter() - started
        summary = _export(job, executed, tmp_nb, owner, phases)
        with cannot_write(job.notebook_path, tmp_nb):
            os.replace(tmp_nb, job.notebook_path)
        if job.pdf and job.audience == "executive":
            from csnb.render.pdf import write_pdf  # Playwright loads only when a PDF is asked for

            printing = time.perf_counter()
            write_pdf(job.html_path, job.html_path.with_suffix(".pdf"))
            phases["pdf"] = time.perf_counter() - printing
        if store and summary:
            store.record_snapshot(job.client, job.audience, job.as_of, summary)
        done = {"html": str(job.html_path), "notebook": str(job.notebook_path), "phases": phases}
        result = job.result("ok", time.perf_counter() - started, **done)
    except Exception as exc:  # noqa: BLE001 - whatever broke, this client is failed and the batch goes on
        err = _as_run_error(job, exc)
        notebook = _keep_notebook(job, tmp_nb, written=not isinstance(exc, OutputError))
        result = job.result(
            "failed", time.perf_counter() - started, notebook=notebook, error=str(err), cell=err.cell
        )
    if store:
        result = _record_finish(store, run_id, result)
    return result


def _record_finish(store: Store, run_id: int, result: Result) -> Result:
    """Close the run's row; a store that refuses makes the report failed, saying it was not recorded.

    The report's files stay: only the history does not know of them, so the next due run makes it again.
    """
    try:
        store.finish_run(
            run_id,
            result.status,
            error=result.error,
            outputs={k: v for k, v in (("html", result.html), ("notebook", result.notebook)) if v},
        )
    except Exception as exc:  # noqa: BLE001 - a database error of any driver: this client, not the batch
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        reason = f"the run could not be recorded in the store: {first}"
        error = f"{result.error}; {reason}" if result.error else f"client {result.client}: {reason}"
        return replace(result, status="failed", error=error)
    finally:
        store.dispose()
    return result


def _as_run_error(job: Job, exc: Exception) -> RunError:
    """``exc`` as the error a failed report shows: csnb's own message, else the exception's name too."""
    if isinstance(exc, RunError):
        return exc
    if isinstance(exc, CsnbError):
        return RunError(f"client {job.client}: {exc}", client=job.client)
    return RunError(f"client {job.client}: {type(exc).__name__}: {exc}", client=job.client)


def _keep_notebook(job: Job, tmp_nb: Path, written: bool) -> str | None:
    """Keep a failed report's executed notebook for debugging; never a temporary file or a half-written one.

    ``written`` is False when writing itself failed: the partial notebook is removed, not kept.
    """
    try:
        if tmp_nb.exists():
            if written:
                os.replace(tmp_nb, job.notebook_path)
            else:
                tmp_nb.unlink()
    except OSError:  # the folder refuses the rename too: remove what we wrote, if it lets us
        with contextlib.suppress(OSError):
            tmp_nb.unlink(missing_ok=True)
    return str(job.notebook_path) if written and job.notebook_path.exists() else None


def _open_run(job: Job) -> tuple[Any, int]:
    if not job.store_url:
        return None, 0
    store = Store(job.store_url)
    run_id = store.start_run(job.run_key or new_run_key(job), **run_values(job), pid=os.getpid())
    # no SQLite connection stays open while the report runs: a kernel forked from this process would
    # inherit SQLite's in-memory lock and file records of it, and its own connection would trust them
    store.dispose()
    return store, run_id


def new_run_key(job: Job) -> str:
    """A unique key of one attempt at a job: client|ritual|audience|as_of|nanoseconds."""
    return f"{job.client}|{job.ritual}|{job.audience}|{job.as_of.isoformat()}|{time.time_ns()}"


def run_values(job: Job) -> dict[str, Any]:
    """The columns of a job's run row that do not depend on its outcome."""
    return {
        "client": job.client,
        "ritual": job.ritual,
        "audience": job.audience,
        "as_of": job.as_of.isoformat(),
        "batch": job.batch or None,
        "code_fingerprint": fingerprint(job.notebook),
        "data_fingerprint": fingerprint(job.plan_path),
        "user": _user(),
        "host": socket.gethostname(),
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def worker_failure(
    job: Job, reason: str, worker_pid: int, duration: float, timed_out: tuple[int, float] | None = None
) -> Result:
    """The failed result of a job whose worker never answered: keep its notebook and close its run row.

    ``timed_out``: (cell, seconds) when it was stopped because that cell overran its timeout.
    """
    notebook = salvage(job, worker_pid)
    if timed_out:
        cell = timed_out[0]
        error = timeout_message(job, cell, timed_out[1])
    else:
        cell = running_cell(notebook)
        error = f"client {job.client}: {reason}" + (f" while running cell {cell}" if cell else "")
    if job.store_url and job.run_key:
        store = Store(job.store_url)
        try:
            store.close_run(
                job.run_key,
                "failed",
                error=error,
                outputs={"notebook": str(notebook)} if notebook else None,
                duration=duration,
                **run_values(job),
            )
        finally:
            store.dispose()
    return job.result(
        "failed", duration, notebook=str(notebook) if notebook else None, error=error, cell=cell
    )


def salvage(job: Job, worker_pid: int) -> Path | None:
    """Keep a killed worker's partly executed notebook and remove its half-written HTML, if any."""
    tmp_nb = temp_path(job.notebook_path, worker_pid, keep_suffix=True)
    temp_path(job.html_path, worker_pid).unlink(missing_ok=True)
    if tmp_nb.exists():
        os.replace(tmp_nb, job.notebook_path)
        return job.notebook_path
    return None
