"""Atomic file writes: a reader sees the old file or the whole new one, never half of one.

The new content goes to a hidden temporary file in the same folder (so the final ``os.replace`` is
an atomic rename on one file system) and replaces the target only once it is complete; a failure
removes the temporary file, so no half-written output is ever left behind. Temporary names carry
the writing process's id (``.<name>.<pid>.tmp``) so a later batch can sweep what a killed one left.
A folder that refuses the file (read-only, full, not a folder) is an ``OutputError`` naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from csnb.errors import OutputError

TEMP_MARK = ".tmp"


def temp_path(path: str | os.PathLike[str], owner: int | None = None, keep_suffix: bool = False) -> Path:
    """The hidden temporary name beside ``path`` for process ``owner`` (default: this one).

    ``keep_suffix`` keeps the extension last (``.report.123.tmp.ipynb``) for tools that look at it.
    """
    path = Path(path)
    pid = owner if owner is not None else os.getpid()
    if keep_suffix:
        return path.with_name(f".{path.stem}.{pid}{TEMP_MARK}{path.suffix}")
    return path.with_name(f".{path.name}.{pid}{TEMP_MARK}")


def _plain_mode() -> int:
    """The mode a plain ``open(..., "w")`` would give a new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], owner: int | None = None, keep_suffix: bool = False
) -> Iterator[Path]:
    """Yield a temporary path to write to; it replaces ``path`` when the block ends without an error."""
    path = Path(path)
    tmp = temp_path(path, owner, keep_suffix)
    try:
        with cannot_write(path, tmp):
            make_folder(path.parent)
            yield tmp
            os.chmod(tmp, _plain_mode())
            os.replace(tmp, path)
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # a folder that refused the file refuses its removal too; nothing was left
            pass


def make_folder(folder: str | os.PathLike[str]) -> None:
    """Create ``folder`` and its parents if missing; a file in the way is ``NotADirectoryError``, as it is."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # mkdir's own words, "File exists", would not say which one is wrong
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), exc.filename) from None


@contextlib.contextmanager
def cannot_write(path: str | os.PathLike[str], *ours: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an ``OSError`` of writing ``path`` (or its temporary files ``ours``) into an ``OutputError``.

    An error about any other file (one the block reads, say) passes through as it is.
    """
    try:
        yield
    except OSError as exc:
        named = exc.filename
        mine = {os.fspath(path), *(os.fspath(p) for p in ours)}
        if exc.errno is None:  # raised by a library, not the system (a cell's timeout is a TimeoutError)
            raise
        if named is not None and os.fspath(named) not in mine and not _above(named, path):
            raise
        raise OutputError(str(path), exc.strerror or str(exc)) from exc


def _above(folder: str | os.PathLike[str], path: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` is one of the folders ``path`` is written into (a failed mkdir names it)."""
    return Path(folder) in Path(path).parents


def write_atomic(path: str | os.PathLike[str], data: str | bytes, owner: int | None = None) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; return ``path``."""
    with atomic_path(path, owner) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


# A Unix socket's path holds at most 107 bytes; zmq's ipc sockets are "<folder>/k-<port>" (port < 65536).
SOCKET_PATH_MAX = 107 - len("/k-65535")


def socket_folder(prefix: str) -> Path:
    """A new private (0700) folder for ipc sockets, short enough for a Unix socket's path.

    The system's temporary folder can be deep (a Dask worker's or a test's own): then ``/tmp`` is used,
    where the path always fits, so a kernel never fails with "File name too long".
    """
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if len(os.fsencode(folder)) <= SOCKET_PATH_MAX:
        return folder
    folder.rmdir()
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
