"""What every command module shares: the Typer app, the consoles, and printing user text literally."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.console import Console

from csnb import __version__
from csnb.errors import InputError
from csnb.plan.fields import escape_controls

# pretty exceptions off: a traceback with locals could print a resolved secret
app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    help="Client success notebooks: run client success plans as code.",
)
# Plan text and paths are user input: printed literally, never read as rich markup ("[red]") or as
# emoji codes (":100:" in "plan.yaml:100:18" would print as an emoji).
out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def _say(text: str, style: str | None = None, console: Console = out) -> None:
    # a control character (a terminal escape in a plan value) is shown as an escape, never sent raw
    lines = (escape_controls(line) for line in str(text).split("\n"))
    console.print("\n".join(lines), markup=False, emoji=False, style=style)


def _version(value: bool) -> None:
    if value:
        _say(f"csnb {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Client success notebooks: run client success plans as code."""


def _date(value: str | None, option: str) -> dt.date | None:
    return _parsed(value, option, dt.date.fromisoformat, "a date (YYYY-MM-DD)")


def _datetime(value: str | None, option: str) -> dt.datetime | None:
    return _parsed(
        value, option, dt.datetime.fromisoformat, "a date-time (YYYY-MM-DDTHH:MM, optionally +HH:MM)"
    )


def _parsed(value: str | None, option: str, parse: Any, what: str) -> Any:
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError:
        raise InputError(f"{option}: not {what}: {value!r}") from None
