"""``csnb lab``: the parameterized exploration notebook, the JupyterLab command, a real server."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest
from commands import CSNB, free_port, wait_for
from typer.testing import CliRunner

from csnb.cli import app
from csnb.errors import PlanError
from csnb.explore import lab as cli_lab

# Each test writes into a demo project of its own (``fresh_demo``); it has no notebooks/ folder, so csnb lab
# starts from the bundled exploration notebook.


def parameters(notebook: Path) -> str:
    """The source of the cell papermill injected."""
    nb = nbformat.read(notebook, as_version=4)
    [cell] = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    return cell.source


def test_prepare_notebook_injects_the_client_without_running_it(fresh_demo):
    notebook, written = cli_lab.prepare_notebook(fresh_demo, "acme")
    assert written and notebook == fresh_demo / "notebooks" / "explore-acme.ipynb"
    assert 'client = "acme"' in parameters(notebook) and "as_of" not in parameters(notebook)
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert [p.name for p in (fresh_demo / "notebooks").iterdir()] == [
        "explore-acme.ipynb"
    ]  # no partial file left


def test_prepare_notebook_keeps_the_analysts_copy_unless_fresh(fresh_demo):
    notebook, _ = cli_lab.prepare_notebook(fresh_demo, "acme")
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("my_work = 1"))
    nbformat.write(nb, notebook)
    assert cli_lab.prepare_notebook(fresh_demo, "acme") == (notebook, False)
    assert "my_work = 1" in notebook.read_text()
    assert cli_lab.prepare_notebook(fresh_demo, "acme", fresh=True) == (notebook, True)
    assert "my_work = 1" not in notebook.read_text()


def test_prepare_notebook_starts_where_the_last_report_did(fresh_demo):
    for folder in ("2026-09-15", "2026-10-01", "not-a-date"):
        (fresh_demo / "reports" / "acme" / folder).mkdir(parents=True)
    notebook, _ = cli_lab.prepare_notebook(fresh_demo, "acme")
    assert 'as_of = "2026-10-01"' in parameters(notebook)
    notebook, _ = cli_lab.prepare_notebook(fresh_demo, "acme", as_of=dt.date(2026, 9, 1), fresh=True)
    assert 'as_of = "2026-09-01"' in parameters(notebook)


def test_prepare_notebook_prefers_the_projects_own_exploration_notebook(fresh_demo):
    (fresh_demo / "notebooks").mkdir()
    cells = [
        nbformat.v4.new_code_cell("client = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("tuned = True"),
    ]
    own = nbformat.v4.new_notebook(cells=cells)
    own.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(own, fresh_demo / "notebooks" / "exploration.ipynb")
    notebook, _ = cli_lab.prepare_notebook(fresh_demo, "fernhill")
    assert "tuned = True" in notebook.read_text() and 'client = "fernhill"' in parameters(notebook)


def test_unknown_client_names_the_known_ones(fresh_demo, monkeypatch):
    monkeypatch.chdir(fresh_demo)
    result = CliRunner().invoke(app, ["lab", "nobody", "--no-browser"])
    assert isinstance(result.exception, PlanError)
    assert "no plan for client 'nobody' (known: acme, fernhill, northwind)" in str(result.exception)
    assert not (fresh_demo / "notebooks" / "explore-nobody.ipynb").exists()


def test_lab_command_serves_the_project_on_localhost(tmp_path):
    notebook = tmp_path / "notebooks" / "explore-acme.ipynb"
    command = cli_lab.lab_command(tmp_path, notebook, 8890, False, ["--IdentityProvider.token=t"])
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path}" in command and "--ServerApp.ip=127.0.0.1" in command
    assert "--ServerApp.port=8890" in command and "--ServerApp.port_retries=0" in command
    assert "--no-browser" in command and "--IdentityProvider.token=t" in command
    assert command[-1] == os.path.join("notebooks", "explore-acme.ipynb")
    assert "--no-browser" not in cli_lab.lab_command(tmp_path, None, None, True, [])


def get(url: str, timeout: float = 2.0) -> int:
    """HTTP status of ``url`` (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # zombies (exited, not yet reaped by a parent outside this test) hold no port and run nothing
    return any(p.status() != psutil.STATUS_ZOMBIE for p in psutil.process_iter() if _pgid(p) == pgid)


def _pgid(proc: psutil.Process) -> int | None:
    try:
        return os.getpgid(proc.pid)
    except (ProcessLookupError, psutil.Error):
        return None


@pytest.mark.slow
def test_csnb_lab_serves_the_notebook_and_sigterm_stops_it(fresh_demo, tmp_path):
    port, token = free_port(), "csnb-test-token"
    extra = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
    }
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [
            *CSNB,
            "lab",
            "acme",
            "--no-browser",
            "--port",
            str(port),
            f"--IdentityProvider.token={token}",
            *extra,
        ],
        cwd=fresh_demo,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server_group = None

    def answering() -> bool:
        assert proc.poll() is None, (tmp_path / "lab.log").read_text()
        return get(f"http://127.0.0.1:{port}/api") == 200

    try:
        wait_for(answering, 60, f"JupyterLab to answer on port {port}", interval=0.5)
        [server] = psutil.Process(proc.pid).children()
        server_group = os.getpgid(server.pid)
        assert server_group != proc.pid  # its own group: the terminal's Ctrl-C reaches csnb only
        contents = f"http://127.0.0.1:{port}/api/contents/notebooks/explore-acme.ipynb"
        assert get(f"{contents}?token={token}") == 200
        assert get(contents) == 403  # not without the token

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0
        assert not group_alive(server_group)
        assert get(f"http://127.0.0.1:{port}/api", timeout=1) == 0
    finally:
        for group in (proc.pid, server_group):
            if group and group_alive(group):
                os.killpg(group, signal.SIGKILL)
        proc.wait(timeout=10)
        log.close()


SLEEPER = "import time; print('up', flush=True); time.sleep(120)"
SERVE = f"import sys, csnb.explore.lab as lab; sys.exit(lab.serve([sys.executable, '-c', {SLEEPER!r}], '.'))"


@pytest.mark.slow
def test_ctrl_c_stops_the_server_group(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE], cwd=tmp_path, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert proc.stdout.readline().strip() == "up"
        [server] = psutil.Process(proc.pid).children()
        server_group = os.getpgid(server.pid)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert not group_alive(server_group)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow
def test_stop_kills_a_server_that_ignores_sigterm():
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, "
            "signal.SIG_IGN); print('up', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert stubborn.stdout.readline().strip() == "up"
    cli_lab.stop(stubborn, grace=1.0)
    assert stubborn.returncode == -signal.SIGKILL


def test_as_root_lab_passes_allow_root_once(tmp_path, monkeypatch):
    import csnb.explore.lab as explore_lab

    monkeypatch.setattr(explore_lab, "is_root", lambda: True)
    assert cli_lab.lab_command(tmp_path, None, None, False, []).count("--allow-root") == 1
    assert cli_lab.lab_command(tmp_path, None, None, False, ["--allow-root"]).count("--allow-root") == 1
    monkeypatch.setattr(explore_lab, "is_root", lambda: False)
    assert "--allow-root" not in cli_lab.lab_command(tmp_path, None, None, False, [])


def test_lab_kernels_talk_over_ipc_sockets_in_their_own_folder(tmp_path):
    command = cli_lab.lab_command(tmp_path, None, None, False, [], tmp_path / "sockets")
    assert "--KernelManager.transport=ipc" in command
    assert f"--KernelManager.ip={tmp_path / 'sockets' / 'k'}" in command


def test_the_first_address_jupyterlab_logs_is_announced_once_with_its_start_up_time(capsys):
    import io

    import csnb.explore.lab as explore_lab

    log = io.StringIO(
        "[I 2026-11-30 ServerApp] Serving notebooks from local directory: /p\n"
        "[I 2026-11-30 ServerApp] http://127.0.0.1:8890/lab?token=abc\n"
        "    http://127.0.0.1:8890/lab?token=abc\n"
    )
    told = []
    explore_lab._watch(log, 0.0, lambda url, seconds: told.append((url, seconds > 0)))
    assert told == [("http://127.0.0.1:8890/lab?token=abc", True)]
    assert capsys.readouterr().err == log.getvalue()  # the log itself still reaches stderr


def test_the_address_opens_the_clients_notebook(tmp_path):
    from csnb.cli.lab import notebook_url

    notebook = tmp_path / "notebooks" / "explore-acme.ipynb"
    url = notebook_url("http://127.0.0.1:8890/lab?token=abc", tmp_path, notebook)
    assert url == "http://127.0.0.1:8890/lab/tree/notebooks/explore-acme.ipynb?token=abc"
    assert notebook_url("http://127.0.0.1:8890/lab?token=abc", tmp_path, None).endswith("/lab?token=abc")
