"""The ``csnb-warm-shell`` papermill engine: cells run in a fresh IPython shell in this process.

Meant for a process forked from a warm fork server (``csnb.warm``), which is what makes the shell
fresh for every report. The shell records what papermill would record from a kernel: display data
(with display ids, updates and ``clear_output``), execute results with their execution counts,
stdout and stderr streams (text gathered in chunks and joined once, so output capture is linear),
and errors with their tracebacks; data goes through the same JSON packing a kernel message does.

Only for csnb's own report notebooks: output written at the file-descriptor level, ``exit()``,
``input()``, asyncio and some displays differ from a kernel (tests/test_engine_equivalence.py lists
where). Per-cell timeouts are as stock: SIGALRM raises in the cell at its timeout, and a cell that
catches it, or hangs in native code, is stopped by the parent that forked this process (the shared
``CellClock``) a moment later; either way the run fails with ``CellTimeoutError`` naming the cell.
"""

from __future__ import annotations

import faulthandler
import io
import os
import signal
import sys
import threading
from typing import Any

from ipykernel.compiler import XCachingCompiler
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

from csnb.run import process
from csnb.run.engines.cells import bookkeep, runs

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
TIMEOUT_EXIT = 124  # exit status of a report process ended by a cell's timeout (as timeout(1) exits)
KILL_GRACE = 1.0  # seconds past a cell's timeout before a cell that caught it, or hangs in C, is stopped


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
    compiler_class = Type(XCachingCompiler)  # ipykernel's: cells are named as a kernel names them

    def init_virtualenv(self) -> None:
        pass  # a kernel does not warn about virtualenvs either

    def _showtraceback(self, etype: Any, evalue: Any, stb: list[str]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        self.cell_outputs.error(etype.__name__, str(evalue), stb)


class _Outputs:
    """The outputs of the running cell, built like nbclient builds them from a kernel's messages.

    ``display_ids`` is the notebook's (shared by every cell): a later cell's ``update_display``
    changes an earlier cell's output, as in Jupyter.
    """

    def __init__(self, display_ids: dict[str, list[Any]] | None = None) -> None:
        self.items: list[Any] = []
        self.clear_next = False
        self.display_ids: dict[str, list[Any]] = {} if display_ids is None else display_ids
        self._chunks: list[str] = []  # text written to the last stream output since it was joined
        self._open: str | None = None  # the name of the stream the last output is, while it takes text

    def _add(self, out: Any) -> Any:
        self.finish()
        if self.clear_next:
            self.items.clear()
            self.clear_next = False
        self.items.append(out)
        return out

    def finish(self) -> None:
        """Join the text written to the last stream output (once: appending to a str is quadratic)."""
        if self._chunks:
            last = self.items[-1]
            last["text"] = last["text"] + "".join(self._chunks)
            self._chunks.clear()
        self._open = None

    def stream(self, name: str, text: str) -> None:
        if name == self._open:  # the last output is this stream's: a kernel batches writes the same way
            self._chunks.append(text)
            return
        self._add(new_output("stream", name=name, text=text))
        self._open = name

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
        self.finish()
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
    """Raised in a cell by SIGALRM at its timeout when no parent watches; the run fails even if caught."""


class _Timer:
    """A cell's timeout, which the cell cannot catch: the report ends at it, as a kernel is killed at it.

    In a report process forked by csnb (``process.cell_clock`` set), SIGALRM at the timeout saves
    the notebook with the outputs so far and ends the process; the parent that forked it reads the
    shared ``CellClock`` and reports the timeout, and stops the process itself a moment later when
    the signal could not run (a cell blocked in native code). Without such a parent
    (``papermill --engine csnb-warm-shell``), SIGALRM raises in the cell and faulthandler's watchdog
    thread ends the process if the cell outlives its timeout by ``KILL_GRACE``.
    """

    def __init__(self, timeout: float | None, nb_man: Any):
        if threading.current_thread() is not threading.main_thread():
            timeout = None  # signals reach the main thread only; a batch always forks from it
        self.timeout, self.nb_man = timeout, nb_man
        self.expired = False
        self.cell: Any = None
        self.outputs: _Outputs | None = None
        if timeout:
            signal.signal(signal.SIGALRM, self._alarm)

    def _alarm(self, signum: int, frame: Any) -> None:
        if self.expired:
            return  # raised once already: the watchdog ends a cell that swallowed it
        self.expired = True
        if process.cell_clock is None:
            raise _CellTimeout
        try:  # keep what the cell showed before its timeout, as a kernel's client keeps it
            if self.outputs is not None:
                self.outputs.finish()
            self.nb_man.cell_exception(self.cell)
            self.nb_man.save()
        finally:
            os._exit(TIMEOUT_EXIT)  # never back into the cell: nothing it does can catch this

    def start(self, cell: Any, outputs: _Outputs) -> None:
        """``cell`` starts now, its outputs going to ``outputs``."""
        self.expired, self.cell, self.outputs = False, cell, outputs
        if not self.timeout:
            return
        if process.cell_clock is not None:
            process.cell_clock.start(cell.execution_count, self.timeout)
        else:
            faulthandler.dump_traceback_later(self.timeout + KILL_GRACE, exit=True, file=sys.__stderr__)
        signal.setitimer(signal.ITIMER_REAL, self.timeout)

    def stop(self) -> None:
        """The cell has ended (or raised)."""
        if not self.timeout:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        if process.cell_clock is not None:
            process.cell_clock.stop()
        else:
            faulthandler.cancel_dump_traceback_later()


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
        timer = _Timer(execution_timeout, nb_man)
        display_ids: dict[str, list[Any]] = {}
        for index, cell in enumerate(nb_man.nb.cells):
            if runs(cell):  # numbered before the notebook is saved: a killed report names the cell
                cell.execution_count = shell.execution_count
            bookkeep(nb_man, nb_man.cell_start, cell, index, save=runs(cell))
            try:
                failed = _run_cell(shell, cell, timer, display_ids)
                if failed or timer.expired:
                    nb_man.cell_exception(cell, cell_index=index)
            finally:
                bookkeep(nb_man, nb_man.cell_complete, cell, index)
            if timer.expired:
                raise CellTimeoutError.error_from_timeout_and_cell(
                    "Cell execution timed out", execution_timeout, cell
                )
            if failed:
                break
        nb_man.nb.metadata["language_info"] = LANGUAGE_INFO
        return nb_man.nb


def _run_cell(shell: CellShell, cell: Any, timer: _Timer, display_ids: dict[str, list[Any]]) -> bool:
    """Run one cell; return whether it failed and errors are not allowed (``timer.expired``: it overran)."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    if not runs(cell):
        return False
    outputs = shell.cell_outputs = _Outputs(display_ids)
    cell.outputs = outputs.items
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Stream(outputs, "stdout"), _Stream(outputs, "stderr")
    timer.start(cell, outputs)
    try:
        result = shell.run_cell(cell.source, store_history=True, cell_id=cell.get("id"))
    except _CellTimeout:  # raised outside the cell's code (in the shell's own bookkeeping)
        result = None
    finally:
        timer.stop()
        sys.stdout, sys.stderr = saved
        outputs.finish()
    if timer.expired:  # as a kernel's: the timeout is no error output of the cell, and nothing catches it
        cell.outputs = outputs.items = [o for o in outputs.items if o.get("ename") != "_CellTimeout"]
        return True
    error = result.error_before_exec or result.error_in_exec
    return error is not None and "raises-exception" not in tags
