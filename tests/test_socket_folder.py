"""Kernels' ipc sockets live in a private folder whose path fits a Unix socket, however deep TMPDIR is."""

from __future__ import annotations

import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from csnb.fs import SOCKET_PATH_MAX, socket_folder


@pytest.mark.parametrize("depth", [1, 12])
def test_the_socket_folder_is_private_and_short_enough(tmp_path: Path, monkeypatch, depth: int) -> None:
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * depth)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))  # a Dask worker's or a test's own TMPDIR
    folder = socket_folder("csnb-kernel-")
    try:
        assert folder.is_dir() and folder.name.startswith("csnb-kernel-")
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # nobody else reaches the kernel
        assert len(str(folder / "k-65535")) <= 107  # what the kernel's socket path may hold
        assert len(str(folder)) <= SOCKET_PATH_MAX
        if len(str(deep)) + len("/csnb-kernel-") + 8 <= SOCKET_PATH_MAX:  # mkdtemp adds 8 characters
            assert folder.parent == deep  # a TMPDIR that fits is used as it is
        else:
            assert folder.parent == Path("/tmp")
            assert not any(deep.iterdir())  # the too-deep attempt left nothing behind
    finally:
        shutil.rmtree(folder)
