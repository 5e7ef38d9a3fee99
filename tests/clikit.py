"""csnb's command line run in the test's own process, for checks of exit status and message that need no
fresh process (option and store checks): the console script's entry point, its stderr captured."""

from __future__ import annotations

import contextlib
import io

import pytest

from csnb.cli import main


def csnb_here(*args: str) -> tuple[int, str]:
    """Run ``csnb ARGS`` here, in the current folder: its exit status and what it printed on stderr."""
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(stderr):
        patch.setattr("sys.argv", ["csnb", *args])
        try:
            main()
        except SystemExit as exc:
            return int(exc.code or 0), stderr.getvalue()
    return 0, stderr.getvalue()
