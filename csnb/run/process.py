"""Process plumbing shared by workers, warm forks and forked kernels: detaching a fork, liveness, exits."""

from __future__ import annotations

import mmap
import os
import signal
import struct
import sys
import time
from pathlib import Path

# Variables the fork server changed for its own warm-up, with their original values; a fork restores them.
saved_env: dict[str, str | None] = {}


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` is running on this machine (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # where init does not reap orphans (some containers), a killed batch's workers linger as
    # zombies, which signal 0 still reaches; /proc tells their state
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): signal 0 is all we have
    return stat[stat.rfind(")") + 2 :][:1] not in ("Z", "X")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren), empty when it is gone."""
    try:
        import psutil

        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except Exception:  # noqa: BLE001 - gone already, or psutil missing: the process group kill still runs
        return []


def killpg(pid: int) -> None:
    """SIGKILL ``pid``'s process group, or ``pid`` alone when it leads none."""
    # kernels run in their own session (jupyter_client), so each descendant's group is killed too
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def describe_exit(status: int) -> str:
    """``killed by SIGSEGV`` for a negative exit code (``Popen.returncode`` style), else ``exit status N``."""
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


def detach(parent: int, keep_fd: int | None = None) -> None:
    """In a fork: own session, dies with ``parent``, no inherited descriptors but ``keep_fd``, user env."""
    freeze_inherited()
    os.setsid()  # a kill of this process's group hits only it and what it started
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)  # the parent died between fork and prctl
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the worker's job stream is not for report code
    os.close(null)
    if keep_fd is None:
        os.closerange(3, _max_fd())
    else:
        os.closerange(3, keep_fd)
        os.closerange(keep_fd + 1, _max_fd())
    for name, value in saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(signum, signal.SIG_DFL)
    forget_event_loops()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # the fork copied the parent's random state


def freeze_inherited() -> None:
    """Never collect what the fork copied: its finalizers belong to the parent.

    A report forked from a process where notebook clients had run once died of libzmq's abort
    "Bad file descriptor (src/epoll.cpp:86)": garbage zmq objects copied by the fork, finalized here
    on descriptors this fork has closed. Frozen objects are never collected in the fork.
    """
    import gc

    gc.freeze()


def forget_event_loops() -> None:
    """Drop the event loops a fork copied: their descriptors are closed and their threads did not follow."""
    import asyncio

    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    utils = sys.modules.get("jupyter_core.utils")
    if utils is not None:  # jupyter_core caches a loop per context and a runner thread per name
        utils._loop.set(None)
        utils._runner_map.clear()


def _max_fd() -> int:
    try:
        return max(int(fd) for fd in os.listdir("/proc/self/fd")) + 1
    except (OSError, ValueError):
        return os.sysconf("SC_OPEN_MAX")


class CellClock:
    """The running cell's number and deadline, in memory shared by a report process and its parent.

    An in-process engine (warm-shell) starts the clock for each cell; the parent that forked the
    report stops the report once the deadline has passed by ``grace`` seconds: a cell that caught the
    timeout, or that hangs in native code where no Python signal handler runs, ends all the same, and
    the parent still knows which cell it was and which timeout it overran.
    """

    _FORMAT = struct.Struct("qdd")  # cell number (0: none running), deadline (time.monotonic), timeout

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, self._FORMAT.size)  # anonymous and shared: a fork sees the same bytes

    def start(self, cell: int, timeout: float) -> None:
        """Cell ``cell`` starts and may run ``timeout`` seconds."""
        self._FORMAT.pack_into(self._memory, 0, cell, time.monotonic() + timeout, timeout)

    def stop(self) -> None:
        """No cell is running."""
        self._FORMAT.pack_into(self._memory, 0, 0, 0.0, 0.0)

    def running(self) -> tuple[int, float, float] | None:
        """(cell, deadline, timeout) of the running cell, or None."""
        cell, deadline, timeout = self._FORMAT.unpack_from(self._memory, 0)
        return (cell, deadline, timeout) if cell else None

    def overdue(self, grace: float = 0.0) -> tuple[int, float] | None:
        """(cell, timeout) when the running cell is past its deadline by ``grace`` seconds, else None."""
        state = self.running()
        if state is None or time.monotonic() < state[1] + grace:
            return None
        return state[0], state[2]

    def wait(self, grace: float = 0.0) -> float | None:
        """Seconds until the running cell is overdue by ``grace`` (0 when it is), or None when none runs."""
        state = self.running()
        return None if state is None else max(0.0, state[1] + grace - time.monotonic())


# The clock of the report process this is, set in a fork by the parent that watches it (else None).
cell_clock: CellClock | None = None
