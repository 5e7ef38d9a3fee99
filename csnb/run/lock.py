"""One batch at a time per project: a lock on ``.csnb/batch.lock`` that a second batch waits for.

Two batches running at once on one project would both find the same reports not done yet, run them
twice and record them twice. So a batch holds an advisory lock (``fcntl.flock``) on the lock file
from reading the store until its last report is recorded; a second batch waits for it, saying so,
or, asked not to wait, stops with exit status 2. The operating system releases the lock when its
holder exits, however it exits (``kill -9`` included), so a crashed batch never leaves the project
locked. The file names the holder (process id, host, start time) for the message of the one waiting.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

from csnb.errors import BusyError
from csnb.fs import cannot_write

LOCK_FILE = "batch.lock"


@contextlib.contextmanager
def batch_lock(
    folder: Path, wait: bool = True, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the project's batch lock in ``folder`` (``.csnb/``) for the block; wait for it, or ``BusyError``.

    ``on_wait`` is told, once, that this batch waits and for whom.
    """
    path = Path(folder) / LOCK_FILE
    with cannot_write(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            holder = _holder(fd)
            if not wait:
                raise BusyError(
                    f"another batch is running in this project ({holder}); "
                    "wait for it to end, or run again without --no-wait to wait for it"
                )
            if on_wait:
                on_wait(f"waiting for the batch already running in this project ({holder}) to end")
            fcntl.flock(fd, fcntl.LOCK_EX)
        _name_holder(fd)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _name_holder(fd: int) -> None:
    """Write this process's id, host and start time into the lock file (after taking the lock)."""
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {socket.gethostname()} {stamp}\n".encode(), 0)


def _holder(fd: int) -> str:
    """Who holds the lock, as the lock file names it: ``pid 123 on host, since 2026-10-15T09:00:00+00:00``."""
    try:
        pid, host, since = os.pread(fd, 512, 0).decode("utf-8", "replace").split()[:3]
    except (OSError, ValueError):
        return "it has not said which"
    return f"pid {pid} on {host}, since {since}"
