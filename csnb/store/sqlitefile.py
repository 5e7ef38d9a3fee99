"""A store in a SQLite file: created whole, and refused when it is empty, damaged or not a database.

SQLite opens an empty (0-byte) file as a new database, so a store truncated to nothing by a full disk
or a bad copy would silently become a new, empty history, and csnb would make and send again every
report it had already sent. So csnb never leaves an empty store file: a new store is made in a hidden
temporary file beside it and linked into place complete (its WAL header written), and an existing
file that is empty, does not start with SQLite's header, or that SQLite finds malformed, is a
``StoreError`` naming the file and what to do, never a new store.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from csnb.errors import StoreError
from csnb.fs import temp_path

HEADER = b"SQLite format 3\x00"
DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")  # sqlite3's names of "malformed" and "not a database"
UNWRITABLE = ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR")  # and their variants


def prepare(path: Path) -> None:
    """Check an existing store file, or create a new one whole; ``StoreError`` if the file is not usable."""
    if path.exists():
        check(path)
    else:
        create(path)


def check(path: Path) -> None:
    """``StoreError`` when the file at ``path`` is empty (0 bytes) with no write-ahead log holding its pages.

    The file is never opened here: closing any descriptor of a database file drops every POSIX lock
    this process holds on it, so a store opened twice in one process (the report notebook reads the
    store while its runner records the run) would lose the lock that tells other processes it is in
    use, and one of them would delete the write-ahead log under it. A foreign file is found by SQLite
    itself ("not a database"), and ``damaged`` says so.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise StoreError(f"cannot read the store {path}: {exc.strerror or exc}") from None
    if not size and not _wal_holds_data(path):
        raise refused(path, "is empty (0 bytes): the run history it held is gone")


def create(path: Path) -> None:
    """A new, empty store at ``path``, linked into place whole; a store another process made first stands."""
    tmp = temp_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.touch()  # a folder that refuses files says so here, in the system's words
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # writes the header page: the file is never empty
        finally:
            conn.close()
        _put(tmp, path)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot create the store {path}: {getattr(exc, 'strerror', None) or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _put(tmp: Path, path: Path) -> None:
    """Move the new store into place unless another process put one there first (then theirs stands)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links: a rename, a little less careful
        if not path.exists():
            os.replace(tmp, path)


def _wal_holds_data(path: Path) -> bool:
    """Whether the write-ahead log beside ``path`` holds pages (a store in use, not yet checkpointed)."""
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return False


def damaged(path: Path, exc: BaseException) -> StoreError | None:
    """The ``StoreError`` for SQLite errors that make the store at ``path`` unusable; None for others.

    "Malformed" and "not a database" mean a damaged file; a full disk, a read-only file or folder or an
    I/O error mean it cannot be written. A busy database is none of these: SQLite waits for it.
    """
    name = getattr(exc, "sqlite_errorname", None) or ""
    if name == "SQLITE_NOTADB" and not _starts_with_header(path):
        return refused(path, "is not a SQLite database")
    if name in DAMAGED:
        return refused(path, f"is damaged or not a database ({exc})")
    if name.startswith(UNWRITABLE):
        return StoreError(f"cannot write the store {path}: {exc}")
    return None


def _starts_with_header(path: Path) -> bool:
    """Whether the file starts with SQLite's header (read only once SQLite has refused the file)."""
    try:
        with path.open("rb") as fh:
            return fh.read(len(HEADER)) == HEADER
    except OSError:
        return True  # unreadable: say what SQLite said


def refused(path: Path, what: str) -> StoreError:
    """The error for an unusable store file, with what to do about it."""
    return StoreError(
        f"the store {path} {what}. Restore it from a backup; or, to start a new, empty history (csnb "
        f"then knows of no report already made or sent), move it aside: mv {path} {path}.broken"
    )
