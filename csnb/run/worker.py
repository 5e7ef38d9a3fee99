"""Report worker processes: each runs jobs one at a time, in its own session, and dies with its parent.

The parent side is ``Worker``: it starts ``python -m csnb.worker``, sends it a pickled ``Job`` and
waits for the pickled ``Result`` until the job's deadline. A job that overruns its deadline, or a
worker that dies (a kernel that kills its parent, an out-of-memory kill), becomes one failed
``Result``: the worker, its kernel and anything they started are killed, the partly executed
notebook is kept, and the run row is closed in the store. A fresh worker takes the next job.

The child side is ``main``: it asks Linux to SIGKILL it when its parent dies (so ``kill -9`` of a
batch leaves no worker behind; kernels notice their parent is gone through ipykernel's parent
poller and exit within a second), imports the heavy modules once, then serves jobs.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from csnb.errors import CsnbError
from csnb.project.layout import ReportsFolder
from csnb.run.engines import is_warm
from csnb.run.job import Job, Result, worker_failure
from csnb.run.process import descendants, describe_exit, killpg, pid_alive

HEADER = struct.Struct("!Q")
PARENT_ENV = "CSNB_WORKER_PARENT"
WARM_ENV = "CSNB_WORKER_WARM"  # the worker is a fork server for warm engines (see csnb.warm)
READY = "ready"
STARTUP_TIMEOUT = 120.0  # seconds for a worker to import its modules; not counted in any job's timeout


class WorkerDied(CsnbError):
    """The worker process ended without returning a result."""


def send(stream: IO[bytes], obj: Any) -> None:
    """Write one length-prefixed pickled message."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            raise TimeoutError
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def receive(fd: int, deadline: float | None = None) -> Any:
    """Read one message; ``TimeoutError`` past ``deadline`` (``time.monotonic``), ``EOFError`` at end."""
    (size,) = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    return pickle.loads(_read_exact(fd, size, deadline))


class Worker:
    """The parent's handle on one worker process."""

    def __init__(self, log: Path | None = None, warm: bool = False):
        self.log = log
        err = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
        env = {**os.environ, PARENT_ENV: str(os.getpid()), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        if warm:
            env[WARM_ENV] = "1"
        try:
            # own session: a timeout kills the worker's whole process group, never the batch
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "csnb.run.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                start_new_session=True,
            )
        finally:
            if log:
                err.close()
        self.ready = False

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.proc.pid

    def alive(self) -> bool:
        """Whether the worker can take another job."""
        return self.proc.poll() is None

    def run(self, job: Job, timeout: float | None = None) -> Result:
        """Run ``job`` in the worker; overrunning ``timeout`` seconds or a dying worker is a failed result."""
        try:
            self._wait_ready()
        except (TimeoutError, EOFError, OSError, pickle.UnpicklingError, struct.error):
            return worker_failure(
                job, f"its worker process did not start ({describe_exit(self.kill())})", self.pid, 0.0
            )
        started = time.perf_counter()
        deadline = time.monotonic() + timeout if timeout else None
        if timeout:  # the report's queries are limited on their servers to the same moment
            job = replace(job, deadline=time.time() + timeout)
        try:
            send(self.proc.stdin, job)  # type: ignore[arg-type]
            return receive(self.proc.stdout.fileno(), deadline)  # type: ignore[union-attr]
        except TimeoutError:
            self.kill()
            reason = f"did not finish within {timeout:g} s and was stopped"
        except (EOFError, OSError, pickle.UnpicklingError, struct.error):
            reason = f"its worker process died ({describe_exit(self.kill())})"
        return worker_failure(job, reason, self.pid, time.perf_counter() - started)

    def _wait_ready(self) -> None:
        if not self.ready:
            if receive(self.proc.stdout.fileno(), time.monotonic() + STARTUP_TIMEOUT) != READY:  # type: ignore[union-attr]
                raise EOFError
            self.ready = True

    def kill(self) -> int:
        """Kill the worker, its kernel and everything they started; return the worker's exit status."""
        started = descendants(self.proc.pid)  # found while the worker lives: its orphans are not its own
        # the worker first: one that outlived its report process would salvage the report's notebook
        # itself, racing the batch's own salvage of it
        killpg(self.proc.pid)
        for pid in started:
            killpg(pid)
        return self.proc.wait()

    def stop(self) -> None:
        """End the worker: close its input and, if it does not leave within a few seconds, kill it."""
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_isolated(job: Job, timeout: float | None = None, log: str | None = None) -> Result:
    """Run one job in a fresh worker process (how a Dask worker runs a job: isolated as locally)."""
    with Worker(Path(log) if log else None) as worker:
        return worker.run(job, timeout)


_warm_workers = threading.local()


def run_warm(job: Job, timeout: float | None = None, log: str | None = None) -> Result:
    """Run one job on this thread's fork server, started on first use and kept while it lives (Dask)."""
    worker = getattr(_warm_workers, "worker", None)
    if worker is None or not worker.alive():
        # started from the thread that keeps it: its parent-death signal follows that thread
        worker = _warm_workers.worker = Worker(Path(log) if log else None, warm=True)
    return worker.run(job, timeout)


def sweep(folder: Path) -> int:
    """Remove temporary files that dead workers left under ``folder`` (a batch killed with ``kill -9``)."""
    removed = 0
    for tmp in ReportsFolder(folder).temp_files():
        pid = next((int(p) for p in tmp.name.split(".") if p.isdigit()), 0)
        if pid and not pid_alive(pid):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit at once if it already has."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    expected = int(os.environ.get(PARENT_ENV, "0") or 0)
    if expected and os.getppid() != expected:
        os._exit(1)


def main() -> None:
    """Serve jobs from stdin until it closes; results go to the original stdout, everything else to stderr."""
    _die_with_parent()
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # papermill, kernels and plugins print; none of it may reach the result stream
    warm = os.environ.get(WARM_ENV) == "1"
    if warm:
        from csnb.run.forkserver import warm_up

        warm_up()  # pins native thread pools before numpy and pyarrow load
    import papermill  # noqa: F401

    from csnb.store import runs as store  # noqa: F401 - import once here, not once per job

    send(results, READY)
    while True:
        try:
            job = receive(sys.stdin.fileno())
        except EOFError:
            return
        send(results, _serve(job, warm))


def _serve(job: Job, warm: bool) -> Result:
    """One job: forked from this warm process for a warm engine, else run here on a stock kernel."""
    from csnb.run.job import run_job

    if not is_warm(job.engine):
        return run_job(job)
    from csnb.run.forkserver import run_forked, warm_modules, warm_up

    if warm:
        warm_up(warm_modules(job.notebook))  # the notebook's own warm-up modules, imported once
    return run_forked(job, owner_pid=os.getpid(), watch_fd=sys.stdin.fileno())


if __name__ == "__main__":
    main()
