"""Warm report execution: a fork server that imports the heavy modules once, and a fresh fork per report.

A report worker (``csnb.worker``) started for a warm engine is the fork server: it pins native thread
pools to one thread, imports csnb, pandas, Altair, papermill and the notebook's declared warm-up
modules (``metadata.csnb.warm_imports``), and then never runs report code itself. Each job runs in
a child forked from it (``run_forked``): own session, its parent's death kills it, inherited file
descriptors closed. In the child, papermill executes the notebook with the ``csnb-warm-shell``
engine (``csnb.warmshell``: a fresh IPython shell that records the outputs a kernel would send) or
the ``csnb-warm-kernel`` engine (``csnb.warmkernel``: a real ipykernel forked from the child).
Whatever a client's cells change (globals,
renderers, module attributes, environment, open files) dies with its child; a child that crashes or
calls ``os._exit`` is one failed client, and the fork server serves the next.

The fork server must never load ``vl_convert`` (it hangs in a forked child once the parent has used
it); ``csnb.render`` builds the Vega bundle in a throwaway process, and ``warm_up`` refuses a parent
that has loaded it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import select
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from csnb.errors import CsnbError
from csnb.run import process
from csnb.run.job import Job, Result, worker_failure
from csnb.run.process import CellClock, describe_exit, detach, killpg, saved_env

CELL_GRACE = 1.0  # seconds past a cell's timeout before its report process is stopped (see CellClock)
CLOCK_TICK = 0.25  # seconds between reads of the cell clock while no cell runs
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
WARM_MODULES = (
    "csnb.report.build",
    "csnb.report.sections",
    "csnb.render.exporter",
    "csnb.store.runs",
    "pandas",
    "altair",
    "papermill",
    "nbformat",
    "csnb.run.engines.shell",
    "csnb.run.engines.kernel",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",  # imports debugpy: a quarter of a second in every forked kernel otherwise
)


class WarmError(CsnbError):
    """The fork server cannot serve reports safely (a module it was asked to import is unsafe to fork)."""


def pin_native_threads() -> None:
    """One thread for OpenBLAS, OpenMP and MKL, none for Arrow's jemalloc; before numpy or pyarrow load."""
    pins = {**dict.fromkeys(THREAD_VARS, "1"), "JE_ARROW_MALLOC_CONF": "background_thread:false"}
    for name, value in pins.items():
        saved_env.setdefault(name, os.environ.get(name))
        os.environ[name] = value


def native_threads() -> list[str]:
    """Names of this process's threads besides the main one (a fork server should have none)."""
    names = []
    for task in sorted(os.listdir("/proc/self/task"))[1:] if os.path.isdir("/proc/self/task") else []:
        try:
            names.append(Path(f"/proc/self/task/{task}/comm").read_text().strip())
        except OSError:
            continue
    return names


def _pin_arrow() -> None:
    # Arrow's pools start threads lazily; a pool sized 1 keeps at most one thread to lose at fork
    try:
        import pyarrow
    except ImportError:
        return
    pyarrow.set_cpu_count(1)
    pyarrow.set_io_thread_count(1)


def warm_modules(notebook: str | Path) -> list[str]:
    """The modules a notebook declares for warm-up in its metadata (``csnb.warm_imports``)."""
    import nbformat

    try:
        nb = nbformat.read(notebook, as_version=4)
    except (OSError, ValueError):
        return []
    declared = nb.metadata.get("csnb", {}).get("warm_imports", [])
    return [m for m in declared if isinstance(m, str)]


def warm_up(modules: list[str] | tuple[str, ...] = (), *, server: bool = True) -> None:
    """Import csnb's report stack and ``modules`` in this (fork server) process, once; never vl_convert.

    ``server`` False: this is a command that forks its own reports (as ``csnb run CLIENT`` does),
    whose native thread pools started before the warm-up; it is not warned about them.
    """
    if "numpy" not in sys.modules:
        pin_native_threads()
    # debugpy warns on stderr about frozen modules when imported; reports do not debug
    saved_env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", os.environ.get("PYDEVD_DISABLE_FILE_VALIDATION"))
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    wanted = [m for m in (*WARM_MODULES, *modules) if m not in _warmed]
    for name in wanted:
        _warmed.add(name)
        if name.split(".")[0] == "vl_convert":
            continue  # see the module docstring
        try:
            importlib.import_module(name)
        except ImportError as exc:
            print(f"csnb: warm-up skips {name}: {exc}", file=sys.stderr)
    if wanted:
        _pin_arrow()
    if "render" not in _warmed:
        _warmed.add("render")
        _prerender()
    if wanted and server and native_threads():
        print(f"csnb: the fork server holds threads {native_threads()}; forks may hang", file=sys.stderr)
    if "vl_convert" in sys.modules:
        raise WarmError("a warm-up module imported vl_convert, which hangs in forked reports; remove it")


_warmed: set[str] = set()


def _prerender() -> None:
    """Export an empty notebook once, so regexes and CSS selectors compile here and not in every fork.

    No client data is involved, and the Vega bundle is read from its cache (built, if need be, by a
    throwaway process), so the fork server still never loads vl_convert.
    """
    import nbformat

    from csnb.render.exporter import render_notebook
    from csnb.render.vega import vega_bundle
    from csnb.templating import precompile

    precompile()  # the report's section templates, compiled once here instead of in every kernel
    render_notebook(nbformat.v4.new_notebook(), title="warm-up")
    vega_bundle()  # built here once if missing (never by several reports at once), then read from cache


def run_forked(
    job: Job, owner_pid: int | None = None, watch_fd: int | None = None, timeout: float | None = None
) -> Result:
    """Run ``job`` in a fresh child of this process; a child that dies is one failed ``Result``.

    ``owner_pid`` names the temporary files (the process a batch knows); when ``watch_fd`` (the
    worker's job pipe) reaches end of file, the batch is gone: the child is killed and this process exits.
    A report still running ``timeout`` seconds after it started is stopped (``csnb run --timeout``).
    """
    from csnb.run.job import new_run_key

    owner_pid = owner_pid or os.getpid()
    job = replace(job, run_key=job.run_key or new_run_key(job))
    if timeout:  # the report's queries are limited on their servers to the same moment
        job = replace(job, deadline=time.time() + timeout)
    read_fd, write_fd = os.pipe()
    clock = CellClock()
    started = time.perf_counter()
    parent = os.getpid()
    try:
        pid = _fork()
    except OSError as exc:
        os.close(read_fd)
        os.close(write_fd)
        return worker_failure(job, f"its report process could not start ({exc})", owner_pid, 0.0)
    if pid == 0:  # the child never returns from here
        os.close(read_fd)
        process.cell_clock = clock
        _child(job, owner_pid, write_fd, parent)
    os.close(write_fd)
    watch = _Watch(
        clock, CLOCK_TICK if job.cell_timeout else None, time.monotonic() + timeout if timeout else None
    )
    try:
        data, status = _collect(pid, read_fd, watch_fd, watch)
    finally:
        os.close(read_fd)
    spent = time.perf_counter() - started
    if watch.overran:  # a cell caught its timeout or hung in native code: stopped, as a kernel would be
        return worker_failure(job, "", owner_pid, spent, timed_out=watch.overran)
    if watch.late:
        return worker_failure(job, f"did not finish within {timeout:g} s and was stopped", owner_pid, spent)
    if data:
        try:
            result = pickle.loads(data)
        except (pickle.UnpicklingError, EOFError, ValueError):
            pass
        else:  # the fork and the hand-back count as the report's start
            overhead = spent - result.duration
            if result.phases:
                result.phases["start"] = result.phases.get("start", 0.0) + max(0.0, overhead)
            result.duration += max(0.0, overhead)
            return result
    reason = f"DeadKernelError: its report process died ({describe_exit(os.waitstatus_to_exitcode(status))})"
    return worker_failure(job, reason, owner_pid, spent)


class _Watch:
    """What the parent watches besides the child's pipe: the cell clock and the report's deadline."""

    def __init__(self, clock: CellClock, tick: float | None, until: float | None):
        self.clock, self.tick, self.until = clock, tick, until
        self.overran: tuple[int, float] | None = None  # (cell, timeout) the child was stopped for
        self.late = False  # stopped at the report's deadline

    def wait(self) -> float | None:
        """Seconds to the next check (None: none is needed)."""
        waits = []
        if self.tick:  # with cell timeouts: read the clock every tick while no cell runs
            cell = self.clock.wait(CELL_GRACE)
            waits.append(self.tick if cell is None else cell)
        if self.until is not None:
            waits.append(max(0.0, self.until - time.monotonic()))
        return min(waits) if waits else None

    def must_stop(self) -> bool:
        """Whether to stop the child now: a cell past its timeout, or the report past its deadline."""
        self.overran = self.clock.overdue(CELL_GRACE)
        self.late = self.overran is None and self.until is not None and time.monotonic() >= self.until
        return bool(self.overran) or self.late

    def ended(self) -> None:
        """The child exited: by its cell's timeout when the clock still shows the cell past its deadline."""
        self.overran = self.clock.overdue()


# CPU seconds, measured on the demo: a worker's start and warm-up, and one report on a warm fork. A
# batch runs here, in forks of this process warmed up once, when that costs less than starting workers.
WORKER_START = 5.0
WARM_REPORT = 2.0
MAX_HERE = 3  # larger batches show a progress bar, whose refresh thread a fork must not copy


def runs_here(count: int, slots: int) -> bool:
    """Whether ``count`` warm reports are quicker here, one after another, than on ``slots`` workers.

    Here: half a warm-up (this process has imported the store and the renderer already), then the
    reports in turn. On workers: a warm-up each, at once, then the reports ``slots`` at a time. So a
    small batch costs no more than as many single ``csnb run CLIENT`` runs, each a fork of its command.
    """
    if count > MAX_HERE:
        return False
    if slots <= 1 or count <= 1:  # nothing to share out (a batch may also have nothing left to run)
        return True
    here = WORKER_START / 2 + count * WARM_REPORT
    pool = WORKER_START + count * WARM_REPORT / min(slots, count)
    return here <= pool


class HereExecutor:
    """Runs a batch's jobs one after another, each in a fork of this process, which warms up once."""

    def __init__(self, timeout: float | None = None):
        self.timeout = timeout

    def run(self, jobs: list[Job], done: Callable[[Result], None]) -> list[Result]:
        """Run every job; call ``done`` once per finished job; return the results in order."""
        warm_up(warm_modules(jobs[0].notebook) if jobs else [], server=False)
        results = []
        for job in jobs:
            result = run_forked(job, timeout=self.timeout)
            results.append(result)
            done(result)
        return results


def _fork() -> int:
    """``os.fork``, tried a second time after a short pause when the system is out of processes or memory."""
    try:
        return os.fork()
    except OSError:
        time.sleep(0.5)
        return os.fork()


def _collect(pid: int, read_fd: int, watch_fd: int | None, watch: _Watch) -> tuple[bytes, int]:
    """Read the child's pickled result until it exits, or until ``watch`` says to stop it; return the
    bytes and its wait status."""
    chunks: list[bytes] = []
    exited = _pidfd(pid)
    fds = [read_fd] + [fd for fd in (watch_fd, exited) if fd is not None]
    try:
        while True:
            wait = watch.wait()
            if exited is None:
                wait = 0.05 if wait is None else min(wait, 0.05)
            ready, _, _ = select.select(fds, [], [], wait)
            if watch_fd is not None and watch_fd in ready:
                _kill(pid)
                os._exit(1)  # the batch closed our job pipe: it is gone, and so are we
            if watch.must_stop():
                return b"", _kill(pid)
            if read_fd in ready:
                chunk = os.read(read_fd, 1 << 20)
                if chunk:
                    chunks.append(chunk)
                    continue
                fds.remove(read_fd)  # end of file: the child is ending (or closed the pipe and lives on)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                watch.ended()
                return b"".join(chunks), status
    finally:
        if exited is not None:
            os.close(exited)


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits (Linux 5.3+), so nothing polls."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _kill(pid: int) -> int:
    """Kill the child's process group; return its wait status."""
    killpg(pid)
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def _child(job: Job, owner_pid: int, write_fd: int, parent: int) -> None:
    """In the forked child: detach, run the job with its warm engine, send the result, exit."""
    code = 0
    try:
        detach(parent, write_fd)
        from csnb.run.job import run_job

        result = run_job(job, owner_pid=owner_pid)
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_fd, "wb") as out:
            out.write(data)
    except BaseException:  # noqa: BLE001 - the parent turns a missing result into a failed client
        code = 70
        with contextlib.suppress(Exception):  # the batch log keeps why (stderr is the worker's log)
            traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)  # never run the parent's atexit handlers or finalizers here
