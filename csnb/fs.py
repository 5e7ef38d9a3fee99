"""Atomic file writes: a reader sees the old file or the whole new one, never half of one.

The new content goes to a hidden temporary file in the same folder (so the final ``os.replace`` is
an atomic rename on the same file system) and replaces the target only once it is complete; a
failure removes the temporary file, so no half-written output is ever left behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

TEMP_MARK = ".tmp"  # every temporary file's name ends with this, so a sweep can find strays


def temp_path(path: str | os.PathLike[str], owner: int | None = None) -> Path:
    """A hidden temporary name beside ``path`` (``.<name>.<pid>.tmp``), unique per writing process."""
    path = Path(path)
    return path.with_name(f".{path.name}.{owner if owner is not None else os.getpid()}{TEMP_MARK}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], mode: int = 0o644, owner: int | None = None) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s new content to; it replaces ``path`` when the block ends."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path, owner)
    try:
        yield tmp
        if tmp.exists():
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike[str], data: str | bytes, mode: int = 0o644) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; return ``path``."""
    path = Path(path)
    with atomic_path(path, mode) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], text: bool = True, mode: int = 0o644) -> Iterator[IO]:
    """Open a temporary file for writing; it replaces ``path`` when the block ends without an error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_MARK, dir=path.parent)
    try:
        with os.fdopen(fd, "w" if text else "wb", **({"encoding": "utf-8"} if text else {})) as fh:
            yield fh
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
