"""The ``csnb-warm-shell`` papermill engine: cells run in a fresh IPython shell in this process.

Meant for a process forked from a warm fork server (``csnb.warm``), which is what makes the shell
fresh for every report. The shell records exactly what papermill would record from a kernel:
display data (with display ids, updates and ``clear_output``), execute results with their execution
counts, stdout and stderr streams, and errors with their tracebacks; data goes through the same JSON
packing a kernel message does. Per-cell timeouts raise in the cell (SIGALRM); a cell stuck in native
code past a grace period ends the process, which the fork server reports as one failed client.
"""

from __future__ import annotations

import faulthandler
import io
import os
import signal
import sys
import threading
from typing import Any

from ipykernel.jsonutil import encode_images
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from jupyter_client.session import json_packer, json_unpacker
from nbclient.exceptions import CellTimeoutError
from nbformat import from_dict
from nbformat.v4 import new_output
from papermill.engines import Engine
from traitlets import Type

ENGINE = "csnb-warm-shell"  # the papermill engine name
LANGUAGE_INFO = {  # what ipykernel answers to kernel_info, recorded in the notebook's metadata
    "name": "python",
    "version": sys.version.split()[0],
    "mimetype": "text/x-python",
    "codemirror_mode": {"name": "ipython", "version": sys.version_info[0]},
    "pygments_lexer": "ipython3",
    "nbconvert_exporter": "python",
    "file_extension": ".py",
}
KILL_GRACE = 10.0  # seconds past a cell's timeout before a cell stuck in native code ends its process


class _Publisher(DisplayPublisher):
    """``display()`` and ``clear_output()`` become the cell's outputs, as a kernel would send them."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):  # type: ignore[no-untyped-def]
        self.shell.cell_outputs.display(data, metadata or {}, transient or {}, update)

    def clear_output(self, wait: bool = False) -> None:
        self.shell.cell_outputs.clear(wait)


class _ResultHook(DisplayHook):
    """The value of a cell's last expression becomes an ``execute_result`` with its execution count."""

    def start_displayhook(self) -> None:
        self.format = None

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict: dict, md_dict: dict | None = None) -> None:
        self.format = (format_dict, md_dict or {})

    def finish_displayhook(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        if self.format and self.format[0]:
            self.shell.cell_outputs.result(self.prompt_count, *self.format)
        self.format = None


class CellShell(InteractiveShell):
    """An IPython shell whose displays, results and tracebacks are recorded as notebook outputs."""

    displayhook_class = Type(_ResultHook)
    display_pub_class = Type(_Publisher)

    def init_virtualenv(self) -> None:
        pass  # a kernel does not warn about virtualenvs either

    def _showtraceback(self, etype: Any, evalue: Any, stb: list[str]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        self.cell_outputs.error(etype.__name__, str(evalue), stb)


class _Outputs:
    """The outputs of the running cell, built like nbclient builds them from a kernel's messages."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.clear_next = False
        self.display_ids: dict[str, list[Any]] = {}

    def _add(self, out: Any) -> Any:
        if self.clear_next:
            self.items.clear()
            self.clear_next = False
        self.items.append(out)
        return out

    def stream(self, name: str, text: str) -> None:
        last = self.items[-1] if self.items and not self.clear_next else None
        if last is not None and last.output_type == "stream" and last.name == name:
            last.text += text  # a kernel batches writes between flushes the same way
        else:
            self._add(new_output("stream", name=name, text=text))

    def display(self, data: dict, metadata: dict, transient: dict, update: bool) -> None:
        data = _wire(encode_images(data))
        display_id = transient.get("display_id")
        if update:
            for out in self.display_ids.get(display_id, []):
                out.data, out.metadata = from_dict(data), from_dict(_wire(metadata))
            return
        out = self._add(new_output("display_data", data=data, metadata=_wire(metadata)))
        if display_id:
            self.display_ids.setdefault(display_id, []).append(out)

    def result(self, count: int, data: dict, metadata: dict) -> None:
        data = _wire(encode_images(data))
        self._add(new_output("execute_result", data=data, metadata=_wire(metadata), execution_count=count))

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        self._add(new_output("error", ename=ename, evalue=evalue, traceback=traceback))

    def clear(self, wait: bool) -> None:
        if wait:
            self.clear_next = True
        else:
            self.items.clear()


def _wire(obj: Any) -> Any:
    """``obj`` as a kernel message carries it: through jupyter_client's JSON packer and back."""
    return json_unpacker(json_packer(obj))


class _Stream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` of a cell: text goes to the cell's outputs."""

    def __init__(self, outputs: _Outputs, name: str):
        self.outputs, self.name = outputs, name

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            self.outputs.stream(self.name, str(text))
        return len(text)


class _CellTimeout(BaseException):
    """Raised in a cell by SIGALRM past the per-cell timeout (a BaseException: cells catch Exception)."""


def _alarm(signum: int, frame: Any) -> None:
    raise _CellTimeout


def new_shell() -> CellShell:
    """A fresh shell for one notebook, set up like ipykernel sets up its shell."""
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # no shared history database between reports
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for name, value in (("TERM", "xterm-color"), ("CLICOLOR", "1"), ("PAGER", "cat"), ("GIT_PAGER", "cat")):
        os.environ[name] = value  # what ipykernel's shell sets for its cells
    CellShell.clear_instance()  # in a fork there is none; run in-process twice, no state is shared
    shell = CellShell.instance(config=config)
    shell.cell_outputs = _Outputs()
    return shell


class ShellEngine(Engine):
    """Papermill engine: run each code cell in this process's fresh ``CellShell`` (use it in a fork)."""

    papermill_name = ENGINE
    warm = True
    options = {"kernel_name": "python3"}

    @classmethod
    def execute_managed_notebook(  # type: ignore[override]
        cls, nb_man: Any, kernel_name: str, execution_timeout: float | None = None, **kwargs: Any
    ) -> Any:
        """Execute the notebook cell by cell, recording outputs and papermill's per-cell state."""
        shell = new_shell()
        if threading.current_thread() is not threading.main_thread():
            execution_timeout = None  # signals reach the main thread only; a batch always forks from it
        elif execution_timeout:
            signal.signal(signal.SIGALRM, _alarm)
        for index, cell in enumerate(nb_man.nb.cells):
            _unsaved(nb_man, nb_man.cell_start, cell, index, save=_runs(cell))
            try:
                failed, timed_out = _run_cell(shell, cell, execution_timeout)
                if failed:
                    nb_man.cell_exception(cell, cell_index=index)
            finally:
                _unsaved(nb_man, nb_man.cell_complete, cell, index)
            if timed_out:
                raise CellTimeoutError.error_from_timeout_and_cell(
                    "Cell execution timed out", execution_timeout, cell
                )
            if failed:
                break
        nb_man.nb.metadata["language_info"] = LANGUAGE_INFO
        return nb_man.nb


def _unsaved(nb_man: Any, step: Any, cell: Any, index: int, save: bool = False) -> None:
    """Papermill's bookkeeping for a cell, writing the notebook only if ``save``.

    Writing before each executed cell keeps what a killed report had done; the writes after each
    cell and around markdown cells add nothing to that and cost a full notebook serialisation each.
    """
    path = nb_man.output_path
    if not save:
        nb_man.output_path = None
    try:
        step(cell, cell_index=index)
    finally:
        nb_man.output_path = path


def _runs(cell: Any) -> bool:
    tags = set(cell.get("metadata", {}).get("tags", []))
    return cell.cell_type == "code" and bool(cell.source.strip()) and "skip-execution" not in tags


def _run_cell(shell: CellShell, cell: Any, timeout: float | None) -> tuple[bool, bool]:
    """Run one cell; return (it failed and errors are not allowed, it overran ``timeout``)."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    if not _runs(cell):
        return False, False
    outputs = shell.cell_outputs = _Outputs()
    cell.outputs = outputs.items
    cell.execution_count = shell.execution_count
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Stream(outputs, "stdout"), _Stream(outputs, "stderr")
    if timeout:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        faulthandler.dump_traceback_later(timeout + KILL_GRACE, exit=True, file=sys.__stderr__)
    try:
        result = shell.run_cell(cell.source, store_history=True, cell_id=cell.get("id"))
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
            faulthandler.cancel_dump_traceback_later()
        sys.stdout, sys.stderr = saved
    error = result.error_before_exec or result.error_in_exec
    timed_out = isinstance(error, _CellTimeout)
    return error is not None and "raises-exception" not in tags, timed_out
