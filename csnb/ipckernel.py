"""A kernel manager whose kernel talks over the ``ipc`` transport, in a private folder.

Sockets are files in a folder only this user can read (``tempfile.mkdtemp`` makes it 0700), so
parallel reports never race for a TCP port, no port is open to other users of the machine, and
ipykernel has no reason to warn "Kernel is running over TCP without encryption". Report runs
(``csnb.run.engines``) and retrospectives (``csnb.retro``) both start their kernels with it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from csnb.fs import socket_folder


class IpcKernelManager(AsyncKernelManager):  # type: ignore[misc]
    """The stock async kernel manager, on ``ipc`` sockets in a private folder removed with the kernel."""

    def __init__(self, **kwargs: Any):
        folder = str(socket_folder("csnb-kernel-"))
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", os.path.join(folder, "k"))
        super().__init__(**kwargs)
        self._ipc_folder = folder

    async def _async_post_start_kernel(self, **kw: Any) -> None:
        await self._sockets_bound()
        await super()._async_post_start_kernel(**kw)

    async def _sockets_bound(self, limit: float = 10.0) -> None:
        """Wait until the kernel has bound its sockets (their files exist), or died, or ``limit`` passed.

        A client that connects before the kernel binds is refused, and ZeroMQ tries again only after
        its reconnect interval (0.1 s): a tenth of a second lost on every kernel start.
        """
        ports = (self.shell_port, self.iopub_port, self.stdin_port, self.control_port, self.hb_port)
        paths = [f"{self.ip}-{port}" for port in ports]
        until = time.monotonic() + limit
        while not all(os.path.exists(path) for path in paths) and time.monotonic() < until:
            if self.provisioner is None or await self.provisioner.poll() is not None:
                return  # the kernel died: the client says so as it always did
            await asyncio.sleep(0.002)

    async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        """Shut the kernel down; ``now`` kills it without the interrupt jupyter_client sends first.

        That interrupt raises KeyboardInterrupt in the running cell a moment before the kill: a cell
        that catches it (``except BaseException``) runs on for that moment, so a cell stopped for its
        timeout could still write a file. A kill alone stops it where it stands.
        """
        if not (now and not restart and self.owns_kernel and self.has_kernel):
            await super()._async_shutdown_kernel(now=now, restart=restart)
            return
        self.shutting_down = True  # as the stock shutdown: the restarter must not start it again
        self.stop_restarter()
        await self._async_kill_kernel()
        await self._async_cleanup_resources(restart=False)

    # AsyncKernelManager binds the stock coroutine itself to this name: callers (nbclient) use it
    shutdown_kernel = _async_shutdown_kernel

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._ipc_folder, ignore_errors=True)
