"""The ``csnb-warm-kernel`` papermill engine: a real ipykernel forked from this warm process per report.

Meant for a report process forked from a warm fork server (``csnb.warm``): papermill and nbclient
drive the kernel exactly as they drive a stock one, but the kernel is not started with
``python -m ipykernel_launcher`` (which re-imports pandas and Altair, about half a second); it is a
fork of this process, which already imported them. The fork is made by a jupyter_client kernel
provisioner (``ForkProvisioner``), so the kernel manager, interrupts, per-cell timeouts and shutdown
are the stock ones. It is not registered as an entry point: forking is only safe from a process
with no other threads, such as a report process forked from the fork server (a Jupyter server is not).

The kernel talks over the ``ipc`` transport (sockets are files in a private folder), so parallel
reports never race for a TCP port. In the kernel: its own session (a kill hits only it and what its
cells start), killed with the report process, no inherited descriptors, its parent's pid passed to
ipykernel's parent poller explicitly (its default is frozen when ipykernel is imported, in the fork
server), and a fresh event loop. A kernel that dies before its first reply is started once more.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.provisioning import LocalProvisioner
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine
from papermill.utils import merge_kwargs, remove_args
from traitlets import DottedObjectName, Type

from csnb.ipckernel import IpcKernelManager
from csnb.run.engines.cells import bookkeep, runs
from csnb.run.process import describe_exit, detach

ENGINE = "csnb-warm-kernel"  # the papermill engine name
LAUNCHERS = ("ipykernel_launcher", "ipykernel")  # module names a forkable kernel spec runs with -m
POLL = 0.005  # seconds between checks for the kernel's exit; the stock provisioner polls every 0.1 s


class ForkedKernel:
    """The slice of ``subprocess.Popen`` a provisioner uses, for a kernel that is a fork of this process."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit code once the kernel has ended (reaping it), else None."""
        if self.returncode is None:
            try:
                done, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1  # reaped elsewhere: it is gone all the same
                return self.returncode
            if done:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the kernel to end, as ``Popen.wait`` does."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(["kernel", str(self.pid)], timeout or 0)
            time.sleep(POLL)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        """Signal the kernel if it still runs."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        """SIGTERM, as ``Popen.terminate``."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL, as ``Popen.kill``."""
        self.send_signal(signal.SIGKILL)


class ForkProvisioner(LocalProvisioner):  # type: ignore[misc]
    """A kernel provisioner whose kernels are forks of this process rather than new interpreters.

    A kernel spec whose command is not ``python -m ipykernel_launcher`` cannot be forked; it is
    started the stock way.
    """

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        """Fork the kernel with the command's arguments, environment and folder."""
        argv = kernel_argv(cmd)
        if argv is None:
            return await super().launch_kernel(cmd, **kwargs)
        cwd = kwargs.get("cwd")
        self.process = ForkedKernel(fork_kernel(argv, kwargs.get("env"), cwd))
        self.pid = self.pgid = self.process.pid  # the kernel leads its own process group
        self.cwd = cwd or Path.cwd()
        return self.connection_info

    async def poll(self) -> int | None:
        """The kernel's exit code once it ended (kept on the manager, to say how a dead kernel died)."""
        code = await super().poll()
        if code is not None and self.process is not None:
            self.parent.kernel_exit = code
        return code

    async def wait(self) -> int | None:
        """Wait for the kernel's exit, checking far more often than the stock provisioner."""
        if self.process is None:
            return 0
        while await self.poll() is None:
            await asyncio.sleep(POLL)
        code = self.process.returncode
        self.process = None
        return code


class ReadyClient(AsyncKernelClient):  # type: ignore[misc]
    """The async kernel client, ready as soon as the kernel has answered on shell and on IOPub.

    The stock ``wait_for_ready`` then waits for 0.2 s of IOPub silence to drop stale messages; a
    forked kernel has none, and the idle status of the ``kernel_info`` request is proof enough that
    IOPub is connected.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        """Ask for ``kernel_info`` until its reply and IOPub idle status arrive; fail if the kernel died."""
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            request = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply and reply["msg_type"] == "kernel_info_reply" and await self._idle(request, 0.5):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _idle(self, request: str, seconds: float) -> bool:
        """Whether IOPub brings the idle status of ``request`` within ``seconds`` (else: not connected)."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except Empty:
                return False
            if (
                msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
                and msg["parent_header"].get("msg_id") == request
            ):
                return True
        return False


class ForkKernelManager(IpcKernelManager):  # type: ignore[misc]
    """An async kernel manager that forks its kernel (``ForkProvisioner``) and talks to it over ipc."""

    client_class = DottedObjectName("csnb.run.engines.kernel.ReadyClient")
    client_factory = Type(ReadyClient, klass=AsyncKernelClient)

    kernel_exit: int | None = None  # the kernel's exit code (negative: the signal) once it ended

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        if self.provisioner is None:  # set here, the kernel spec needs no provisioner metadata
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = ForkProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
        return await super()._async_pre_start_kernel(**kw)

    async def _async_wait(self, pollinterval: float = POLL) -> None:
        await super()._async_wait(pollinterval=POLL)  # the stock manager checks every 0.1 s


def kernel_argv(cmd: list[str]) -> list[str] | None:
    """The kernel application's arguments in a ``python -m ipykernel_launcher ...`` command, else None."""
    for index, word in enumerate(cmd[:-1]):
        if word == "-m" and cmd[index + 1] in LAUNCHERS:
            return cmd[index + 2 :]
    return None


def fork_kernel(argv: list[str], env: dict[str, str] | None, cwd: str | None) -> int:
    """Fork this process into an ipykernel running with ``argv``; return the kernel's pid."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child never returns from here
        code = 1
        try:
            _become_kernel(argv, env, cwd, parent)
            code = 0
        except BaseException:  # noqa: BLE001 - the client sees a dead kernel and says so
            import traceback

            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)  # never the report process's atexit handlers
    return pid


def _become_kernel(argv: list[str], env: dict[str, str] | None, cwd: str | None, parent: int) -> None:
    detach(parent)  # the report process's sockets, pipes and event loop are not the kernel's
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    if cwd:
        os.chdir(cwd)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as in a Python started from the command line
    asyncio.set_event_loop(asyncio.new_event_loop())
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel.kernelapp import IPKernelApp
    from IPython.core.interactiveshell import InteractiveShell

    # a shell singleton this process inherited (an in-process warm-shell run) would make the
    # kernel's own shell refuse to start: a second singleton of the same family
    for singleton in (InteractiveShell, IPKernelApp):
        if singleton.initialized():
            type(singleton.instance()).clear_instance()

    IPKernelApp.launch_instance(argv=[*argv, f"--IPKernelApp.parent_handle={parent}"])


class _Client(PapermillNotebookClient):  # type: ignore[misc]
    """Papermill's client with a forked kernel, started a second time if it dies before its first reply."""

    _manager: ForkKernelManager | None = None

    def create_kernel_manager(self) -> Any:
        """The stock manager creation, remembering the manager to report how its kernel ended."""
        self._manager = super().create_kernel_manager()
        return self._manager

    async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kwargs: Any) -> Any:
        """Execute one cell; if its kernel dies or it times out, mark it failed (the report names it)."""
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        except (DeadKernelError, CellTimeoutError):
            self.nb_man.cell_exception(cell, cell_index=cell_index)
            raise

    execute_cell = run_sync(async_execute_cell)  # the stock one is bound to the stock coroutine

    def papermill_execute_cells(self) -> None:
        """Papermill's loop over the cells, writing the notebook only before each executed cell."""
        for index, cell in enumerate(self.nb.cells):
            ended = False  # a cell that fails (or whose kernel dies) is written with what it showed
            try:
                bookkeep(self.nb_man, self.nb_man.cell_start, cell, index, save=runs(cell))
                self.execute_cell(cell, index)
                ended = True
            except CellExecutionError as ex:
                self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=ex)
                break
            finally:
                bookkeep(self.nb_man, self.nb_man.cell_complete, self.nb.cells[index], index, save=not ended)

    def execute(self, **kwargs: Any) -> Any:
        """Execute; a kernel death names the signal or exit code that ended the kernel."""
        try:
            return super().execute(**kwargs)
        except DeadKernelError as exc:
            code = self._manager.kernel_exit if self._manager else None
            if code is None:
                raise
            raise DeadKernelError(f"{exc} ({describe_exit(code)})") from None

    async def async_start_new_kernel_client(self) -> Any:
        try:
            return await super().async_start_new_kernel_client()
        except RuntimeError as exc:  # "Kernel died before replying to kernel_info"
            self.log.warning("the forked kernel died before it answered (%s); starting it once more", exc)
        if self.km is None:
            self.km = self.create_kernel_manager()
        await self.async_start_new_kernel()
        return await super().async_start_new_kernel_client()

    # the stock sync wrapper is bound to the stock coroutine
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


class WarmKernelEngine(NBClientEngine):  # type: ignore[misc]
    """Papermill's nbclient engine, with the kernel forked from this process (use it in a warm fork)."""

    papermill_name = ENGINE
    warm = True
    options = {"kernel_name": "python3", "shutdown_kernel": "immediate"}

    @classmethod
    def execute_managed_notebook(  # type: ignore[override]
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Execute the notebook as papermill's stock engine does, on a forked kernel."""
        from papermill.log import logger

        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name or "python3",
            kernel_manager_class=ForkKernelManager,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        return _Client(nb_man, **final).execute()
