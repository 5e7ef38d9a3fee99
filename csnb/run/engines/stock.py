"""The ``kernel`` engine: papermill's own nbclient engine with a stock ipykernel per report."""

from __future__ import annotations

from papermill.engines import NBClientEngine

from csnb.ipckernel import IpcKernelManager


class StockKernelEngine(NBClientEngine):  # type: ignore[misc]
    """A fresh ``python -m ipykernel_launcher`` per report, exactly as JupyterLab runs a notebook.

    Only the transport differs from JupyterLab's: ``ipc`` sockets in a private folder, not TCP ports.
    """

    papermill_name = "nbclient"  # papermill's built-in engine: nothing to register
    warm = False  # runs in the worker process itself, not in a fork of a warm process
    options = {
        "kernel_name": "python3",
        "shutdown_kernel": "immediate",
        "kernel_manager_class": IpcKernelManager,
    }
