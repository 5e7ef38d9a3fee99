"""A kernel manager for the retrospective notebook that talks to its kernel over ``ipc`` sockets.

ipykernel warns "Kernel is running over TCP without encryption" on stderr for every TCP kernel; a
retrospective runs on this machine only, so its kernel needs no port at all. The sockets are files in a
private temporary folder, removed when the kernel is cleaned up.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from csnb.fs import socket_folder


class IpcKernelManager(AsyncKernelManager):  # type: ignore[misc]
    """papermill's kernel, on ipc sockets in a folder of its own instead of localhost TCP ports."""

    def __init__(self, **kwargs: Any):
        folder = str(socket_folder("csnb-retro-"))
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", os.path.join(folder, "k"))
        super().__init__(**kwargs)
        self._ipc_folder = folder

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._ipc_folder, ignore_errors=True)
