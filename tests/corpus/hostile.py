"""Notebooks that stress an engine where it differs from a real kernel, built in code (one per case)."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

# name -> cells (source strings); every notebook starts with a parameters cell so papermill injects one
CASES: dict[str, list[str]] = {
    "matplotlib_inline": ["%matplotlib inline\nimport matplotlib\nmatplotlib.get_backend()"],
    "exit_builtin": ["print('before')", "exit()", "print('after')"],
    "update_display": [
        "from IPython.display import display, update_display\nh = display('first', display_id='d1')",
        "update_display('second', display_id='d1')\nprint('updated')",
    ],
    "clear_output_later": [
        "from IPython.display import display, clear_output\ndisplay('shown')",
        "clear_output()\nprint('cleared')",
    ],
    "asyncio_get_event_loop": ["import asyncio\nloop = asyncio.get_event_loop()\ntype(loop).__name__"],
    "asyncio_run": ["import asyncio\nasync def f():\n    return 1\nasyncio.run(f())"],
    "top_level_await": ["import asyncio\nawait asyncio.sleep(0)\n'awaited'"],
    "os_system": ["import os\nos.system('echo from-a-shell')"],
    "subprocess_output": [
        "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'print(42)']).returncode"
    ],
    "stdout_fileno": ["import sys\nsys.stdout.fileno() >= 0"],
    "fd_write": ["import os\nos.write(1, b'raw fd\\n')"],
    "logging_handler": [
        "import logging, sys\nlog = logging.getLogger('x')\n"
        "log.addHandler(logging.StreamHandler(sys.stdout))\nlog.warning('in cell one')",
        "log.warning('in cell two')",
    ],
    "bang_echo": ["!echo bang"],
    "time_magic": ["%%time\nx = sum(range(1000))"],
    "input_call": ["input('name? ')"],
    # threads print in turn (each waits for the one before), so the text does not depend on timing
    "threads_printing": [
        "import threading\nturns = [threading.Event() for _ in range(4)]\n"
        "def say(i):\n    turns[i].wait()\n    print(i)\n    turns[i + 1].set()\n"
        "ts = [threading.Thread(target=say, args=(i,)) for i in range(3)]\n"
        "[t.start() for t in ts]; turns[0].set(); [t.join() for t in ts]; 'joined'"
    ],
    "rich_output": [
        "from IPython.display import HTML, Markdown, display\ndisplay(HTML('<b>b</b>'))\nMarkdown('*m*')"
    ],
    "bad_repr_html": [
        "class Bad:\n    def _repr_html_(self):\n        raise ValueError('no html')\n"
        "    def __repr__(self):\n        return 'Bad()'\nBad()"
    ],
    "tqdm_progress": ["from tqdm.auto import tqdm\nfor _ in tqdm(range(3)):\n    pass\n'done'"],
    "many_lines": ["for i in range(20000):\n    print(i)"],  # 120,000 lines: benchmarks/bench_report.py
    "stderr_and_stdout": ["import sys\nprint('out')\nprint('err', file=sys.stderr)\nprint('out again')"],
    "raise_error": ["1 / 0", "print('not run')"],
    "system_exit": ["import sys\nsys.exit(3)", "print('not run')"],
    "keyboard_interrupt": ["raise KeyboardInterrupt", "print('not run')"],
    "os_exit": ["import os\nos._exit(1)", "print('not run')"],
    "segfault": ["import ctypes\nctypes.string_at(0)", "print('not run')"],
    "display_then_result": ["from IPython.display import display\ndisplay(1)\n2"],
    "semicolon_hides_result": ["x = 5\nx;"],
    "execution_count_gaps": ["1", "", "# only a comment", "4"],
    # a per-cell timeout (the test runs with one) that the cell swallows: the run still ends there
    "timeout_caught": [
        "import time\ntry:\n    time.sleep(60)\nexcept BaseException:\n    print('caught')\nprint('went on')",
        "print('not run')",
    ],
    # a hang no Python signal handler can end: the signals blocked, then a sleep in C
    "native_hang": [
        "import ctypes, signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGINT})\n"
        "ctypes.CDLL(None).sleep(60)",
        "print('not run')",
    ],
}


def build(name: str) -> nbformat.NotebookNode:
    """The notebook of case ``name``: a parameters cell, a markdown cell, then the case's cells."""
    cells = [new_code_cell("flag = 0", metadata={"tags": ["parameters"]}), new_markdown_cell(f"# {name}")]
    cells += [new_code_cell(source) for source in CASES[name]]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb
