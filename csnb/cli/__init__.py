"""The ``csnb`` command line: one module per command group, parsing and printing only."""

from __future__ import annotations

import sys

from csnb.cli import core, lab, lessons, runs, send, status  # each command group registers itself on `app`
from csnb.cli.common import _say, app, err
from csnb.errors import CsnbError, InputError

__all__ = ["app", "core", "lab", "lessons", "main", "runs", "send", "status"]


def main() -> None:
    """Entry point of the console script: map csnb errors to messages and exit codes."""
    try:
        app()
    except InputError as exc:
        for issue in exc.issues:
            _say(str(issue), "red", err)
        sys.exit(exc.exit_code)
    except CsnbError as exc:
        _say(f"error: {exc}", "red", err)
        sys.exit(exc.exit_code)
