"""The progress bar of `csnb run` batches: a terminal only, more than a few reports, never on stdout."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from rich.console import Console

import csnb.cli.runs as runs


def _result(client: str) -> SimpleNamespace:
    return SimpleNamespace(status="ok", client=client, audience="operator", as_of="2026-10-15", duration=1.0)


@pytest.fixture
def consoles(monkeypatch: pytest.MonkeyPatch) -> tuple[io.StringIO, io.StringIO]:
    """csnb's stdout and a terminal's stderr, captured."""
    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr(runs, "out", Console(file=stdout, force_terminal=False, width=120))
    monkeypatch.setattr(runs, "err", Console(file=stderr, force_terminal=True, width=120))
    return stdout, stderr


def _batch(clients: list[str], enabled: bool, quiet: bool) -> runs._Progress:
    with runs._Progress(enabled=enabled, quiet=quiet) as progress:
        progress.start(clients)
        shown = progress.bar is not None
        for client in clients:
            progress.advance(_result(client))
    progress.shown = shown
    return progress


def test_a_batch_of_a_few_reports_gets_no_bar(consoles) -> None:
    assert not _batch(["a", "b", "c"], enabled=True, quiet=False).shown


def test_a_larger_batch_on_a_terminal_gets_a_bar(consoles) -> None:
    assert _batch(["a", "b", "c", "d", "e"], enabled=True, quiet=False).shown


def test_no_terminal_no_bar(consoles) -> None:
    assert not _batch(["a", "b", "c", "d", "e"], enabled=False, quiet=False).shown


def test_json_keeps_stdout_for_the_summary(consoles, capsys) -> None:
    stdout, _ = consoles
    _batch(["a", "b", "c", "d", "e"], enabled=True, quiet=True)
    assert stdout.getvalue() == "" and capsys.readouterr().out == ""
