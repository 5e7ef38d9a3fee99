"""Batch executors behind one registry: ``local`` (a pool of worker processes) and ``dask`` (a cluster).

An executor takes report jobs and calls ``done(result)`` once per job, in completion order, from
the calling thread or a helper thread (never concurrently). Both built-ins run every job in a worker
process of its own session, so a hanging, failing or crashing client is one failed ``Result`` and
the batch goes on; a new kind is one class with ``run(jobs, done)`` and one ``register`` line.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from csnb.errors import ConfigError, CsnbError
from csnb.run.engines import is_warm
from csnb.run.job import Job, Result, worker_failure
from csnb.run.portable import Packer, deliver, receive
from csnb.run.worker import Worker

Done = Callable[[Result], None]
SCATTER_BYTES = 64 * 1024  # a file at least this large is sent to the cluster once per batch


def _is_warm(engine: str) -> bool:
    return is_warm(engine)


def default_jobs() -> int:
    """The default number of parallel jobs: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class LocalExecutor:
    """Runs jobs on ``jobs`` worker processes of this machine; each worker is reused until a job kills it."""

    def __init__(
        self,
        jobs: int | None = None,
        timeout: float | None = None,
        log: Path | None = None,
        engine: str = "kernel",
        **_: Any,
    ):
        self.jobs = jobs or default_jobs()
        self.timeout = timeout
        self.log = log
        self.warm = _is_warm(engine)

    def run(self, jobs: Sequence[Job], done: Done) -> list[Result]:
        """Run every job; call ``done`` once per finished job; return the results in completion order."""
        pending: queue.Queue[Job] = queue.Queue()
        for job in jobs:
            pending.put(job)
        results: list[Result] = []
        lock = threading.Lock()

        def finish(result: Result) -> None:
            with lock:  # one `done` at a time: progress bars and summaries are not thread-safe
                results.append(result)
                done(result)

        # Each slot thread starts its own workers: Linux's parent-death signal follows the thread that
        # forked, and a slot thread outlives every worker it starts.
        slots = [
            threading.Thread(target=self._slot, args=(pending, finish), daemon=True)
            for _ in range(min(self.jobs, len(jobs)))
        ]
        for slot in slots:
            slot.start()
        for slot in slots:
            slot.join()
        return results

    def _slot(self, pending: queue.Queue[Job], finish: Done) -> None:

        worker: Worker | None = None
        try:
            while True:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                if worker is None or not worker.alive():
                    worker = Worker(self.log, warm=self.warm)
                finish(worker.run(job, self.timeout))
        finally:
            if worker is not None:
                worker.stop()


class DaskExecutor:
    """Sends jobs to a Dask distributed scheduler; the workers need not see the project folder.

    Each job travels with the files it reads (``csnb.run.portable``); a worker runs it in a scratch
    folder of its own, in a worker process as locally, and sends the report files and the run record
    back. This process writes the files into the reports folder and records the run in the store.
    """

    def __init__(
        self,
        address: str | None = None,
        timeout: float | None = None,
        log: Path | None = None,
        connect_timeout: float = 20,
        engine: str = "kernel",
        **_: Any,
    ):
        if not address:
            raise ConfigError("--executor dask needs --address tcp://HOST:PORT of a Dask scheduler")
        self.address, self.timeout, self.connect_timeout = address, timeout, connect_timeout
        self.log = None  # a worker machine does not share this folder; kernels log to the Dask worker
        self.warm = _is_warm(engine)

    def _client(self) -> Any:
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError(
                "--executor dask needs Dask: pip install 'csnb[dask]' (or pip install 'dask[distributed]')"
            ) from None
        try:
            return Client(self.address, timeout=self.connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"--address: no Dask scheduler answers at {self.address} ({exc})") from None

    def run(self, jobs: Sequence[Job], done: Done) -> list[Result]:
        """Run every job on the cluster; a task that fails or loses its worker is one failed result."""
        from distributed import as_completed

        client = self._client()
        results: list[Result] = []

        def finish(result: Result) -> None:
            results.append(result)
            done(result)

        scattered: dict[str, Any] = {}

        def shared(data: bytes) -> Any:
            """Large files (a warehouse, a CSV of every client) go to the cluster once, not once per job."""
            if len(data) < SCATTER_BYTES:
                return data
            digest = hashlib.sha256(data).hexdigest()
            if digest not in scattered:
                scattered[digest] = client.scatter(data, hash=False)
            return scattered[digest]

        try:
            packer = Packer(jobs[0].store_url if jobs else None)
            futures = {}
            for job in jobs:
                try:
                    parcel = packer.pack(job)
                except (OSError, CsnbError) as exc:  # a file the job needs cannot be read here
                    finish(worker_failure(job, f"its files could not be sent to a worker: {exc}", 0, 0.0))
                    continue
                # warm: one fork server per Dask worker thread, kept while it lives
                key = f"csnb-{job.client}-{job.audience}-{time.time_ns()}"
                files = {rel: shared(data) for rel, data in parcel.files.items()}
                parcel = replace(parcel, files={})  # the files go beside it, large ones as scattered data
                task = client.submit(deliver, parcel, self.timeout, self.warm, files, pure=False, key=key)
                futures[task] = job
            for future in as_completed(futures, loop=client.loop):  # the client is not the default one
                finish(self._result(future, futures[future]))
        finally:
            client.close()
        return results

    @staticmethod
    def _result(future: Any, job: Job) -> Result:
        try:
            delivery = future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker (KilledWorker) or an unexpected error
            first = str(exc).splitlines()[0][:300] if str(exc) else ""
            reason = f"the Dask task failed: {type(exc).__name__}: {first}"
            return worker_failure(job, reason, 0, 0.0)
        return receive(delivery, job)
