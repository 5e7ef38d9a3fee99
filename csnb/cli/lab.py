"""``csnb lab``: JupyterLab in the project, opened on an exploration notebook for one client."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from csnb.cli.common import _date, _say, app
from csnb.explore.lab import lab_command, prepare_notebook, serve
from csnb.fs import socket_folder


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def lab(
    ctx: typer.Context,
    client: Annotated[str | None, typer.Argument(help="Client id: open an exploration notebook.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date to explore (default: the client's last report, else today)."),
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: 8888 or the next free one).")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Replace an existing explore notebook.")] = False,
) -> None:
    """Start JupyterLab in the project on a copy of the exploration notebook for CLIENT.

    Other options go to JupyterLab, e.g. `--IdentityProvider.token=...`. Ctrl-C stops it.

    Example: `csnb lab acme` · `csnb lab acme --no-browser --port 8890`
    """
    from csnb.project.folder import Project

    root = Project().root
    notebook = None
    if client:
        notebook, written = prepare_notebook(root, client, _date(as_of, "--as-of"), fresh)
        _say(f"{'wrote' if written else 'kept your'} {notebook.relative_to(root)}")
    _say(f"starting JupyterLab in {root}; Ctrl-C stops it")
    # kernels on ipc sockets in a folder of their own: no TCP warning, nothing left in the project
    sockets = socket_folder("csnb-lab-")
    try:
        command = lab_command(root, notebook, port, not no_browser, list(ctx.args), sockets)
        status = serve(command, root, on_ready=lambda url, seconds: _ready(url, seconds, root, notebook))
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    if status:
        raise typer.Exit(status)


def _ready(url: str, seconds: float, root: Path, notebook: Path | None) -> None:
    """Say where to open JupyterLab (on the client's notebook), and how long it took to answer."""
    where = notebook_url(url, root, notebook)
    _say(f"JupyterLab is ready (started in {seconds:.1f} s): open {where}", "green")


def notebook_url(url: str, root: Path, notebook: Path | None) -> str:
    """JupyterLab's address with its path on ``notebook`` (the token and port kept), or as it is."""
    from urllib.parse import quote, urlsplit, urlunsplit

    if notebook is None:
        return url
    parts = urlsplit(url)
    path = "/lab/tree/" + quote(notebook.relative_to(root).as_posix())
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
