"""The ``papermill.engine`` entry points: light stand-ins that import the real engine when used.

Papermill loads every ``papermill.engine`` entry point when it is imported; pointing them at the
engine modules themselves would make ``import papermill`` import ipykernel (and, from inside those
modules, import them half-initialised). These stand-ins import nothing until a notebook runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any


class _Deferred:
    """A papermill engine that forwards to the class named by ``target`` (``"module:Class"``)."""

    target = ""

    @classmethod
    def real(cls) -> Any:
        """The engine class itself."""
        module, _, name = cls.target.partition(":")
        return getattr(import_module(module), name)

    @classmethod
    def execute_notebook(cls, *args: Any, **kwargs: Any) -> Any:
        """Papermill's entry: run the notebook with the real engine."""
        return cls.real().execute_notebook(*args, **kwargs)

    @classmethod
    def nb_kernel_name(cls, *args: Any, **kwargs: Any) -> Any:
        """The kernel name papermill records, as the real engine says."""
        return cls.real().nb_kernel_name(*args, **kwargs)

    @classmethod
    def nb_language(cls, *args: Any, **kwargs: Any) -> Any:
        """The notebook language, as the real engine says."""
        return cls.real().nb_language(*args, **kwargs)


class WarmShell(_Deferred):
    """``papermill --engine csnb-warm-shell``."""

    target = "csnb.run.engines.shell:ShellEngine"


class WarmKernel(_Deferred):
    """``papermill --engine csnb-warm-kernel``."""

    target = "csnb.run.engines.kernel:WarmKernelEngine"
