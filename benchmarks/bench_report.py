"""How long does one client report take, where does the time go, and how big is the HTML?

Builds the demo project in a temporary folder and, for one demo client, measures in the same run:

* csnb in process: papermill executes the report notebook (the parameters ``csnb run`` passes), then
  ``csnb.render.exporter.render_notebook`` exports it: the two stages timed apart;
* ``csnb run CLIENT`` end to end (a fresh process, as a user or a scheduler runs it), for the
  operator and executive audiences and for ``--static``, with the size of each HTML file;
* the naive loop people write by hand: the ``papermill`` command, then
  ``jupyter nbconvert --to html --no-input``, each timed.

* the report's first cell (``csnb.report.prepare``: imports, plan, data, indicators) in a fresh stock
  kernel, as JupyterLab runs it, from papermill's cell timing;
* a cell printing 120,000 lines on each engine (output capture must stay linear; stock: ~0.7 s).

Goals: operator report <= 1.5 MB with interactive charts, executive <= 1.5 MB, ``--static`` <= 600 KB,
one report faster than the naive loop, the first cell under 3 s, 120,000 lines within 2x of stock.

    python benchmarks/bench_report.py [--client northwind] [--repeat 1]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

AS_OF = "2026-10-15"  # pinned in the demo's csnb.toml
MB = 1_000_000
GOALS = {"operator": 1.5 * MB, "executive": 1.5 * MB, "static": 0.6 * MB}


def tool(name: str) -> str:
    """A command installed next to this interpreter (csnb, papermill, jupyter), else on PATH."""
    local = Path(sys.executable).with_name(name)
    return str(local) if local.is_file() else (shutil.which(name) or name)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def run(*args: str, cwd: Path) -> None:
    done = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")


def build_demo(root: Path) -> None:
    """``csnb demo`` plus the report notebook, as a project folder has it."""
    from csnb.project.scaffold import bundled_notebooks

    run(tool("csnb"), "demo", "--dir", str(root), cwd=root)
    (root / "notebooks").mkdir(exist_ok=True)
    shutil.copyfile(bundled_notebooks() / "client_report.ipynb", root / "notebooks" / "client_report.ipynb")


def parameters(root: Path, client: str, audience: str) -> dict:
    """The parameters ``csnb run`` gives the notebook (no store: nothing recorded, nothing compared)."""
    return {
        "plan_path": str(root / "parameters" / f"{client}.yaml"),
        "as_of": AS_OF,
        "audience": audience,
        "store_url": None,
    }


def csnb_in_process(root: Path, client: str, audience: str, out: Path) -> dict:
    """papermill execute, then the csnb export, timed apart."""
    import nbformat
    import papermill as pm

    from csnb.render.exporter import render_notebook

    executed = out / f"{audience}.ipynb"
    execute, _ = timed(
        lambda: pm.execute_notebook(
            str(root / "notebooks" / "client_report.ipynb"),
            str(executed),
            parameters=parameters(root, client, audience),
            cwd=str(root),
            progress_bar=False,
            log_output=False,
            kernel_name="python3",
            shutdown_kernel="immediate",
        )
    )
    nb = nbformat.read(executed, as_version=4)
    export, html = timed(
        lambda: render_notebook(
            nb, title="Client success report", branding={"provider": "Cobalt Cloud Partners"}
        )
    )
    (out / f"{audience}.html").write_text(html, encoding="utf-8")
    first = first_cell(executed)
    return {"execute": execute, "export": export, "bytes": len(html.encode()), "first_cell": first}


def csnb_run(root: Path, client: str, audience: str, static: bool = False) -> dict:
    """``csnb run CLIENT`` in a fresh process, end to end."""
    args = [tool("csnb"), "run", client, "--audience", audience, "--out", str(root / "bench-reports")]
    if static:
        args += ["--static", "--out", str(root / "bench-static")]
    seconds, _ = timed(lambda: run(*args, cwd=root))
    folder = root / ("bench-static" if static else "bench-reports") / client / AS_OF
    return {"total": seconds, "bytes": (folder / f"{audience}.html").stat().st_size}


def naive_loop(root: Path, client: str, audience: str, out: Path) -> dict:
    """The ``papermill`` command, then ``jupyter nbconvert --to html --no-input``."""
    import yaml

    executed = out / f"naive-{audience}.ipynb"
    params = yaml.safe_dump(parameters(root, client, audience))
    execute, _ = timed(
        lambda: run(
            tool("papermill"),
            str(root / "notebooks" / "client_report.ipynb"),
            str(executed),
            "-y",
            params,
            "--cwd",
            str(root),
            "-k",
            "python3",
            "--no-progress-bar",
            cwd=root,
        )
    )
    export, _ = timed(
        lambda: run(tool("jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed), cwd=root)
    )
    html = executed.with_suffix(".html").read_text(encoding="utf-8")
    remote = len(re.findall(r"""<script[^>]+src=["']https?://""", html))
    return {"execute": execute, "export": export, "bytes": len(html.encode()), "remote_scripts": remote}


def first_cell(executed: Path) -> float:
    """Seconds of the report's first cell (``prepare``) in an executed notebook, from papermill's timing."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    return next(c.metadata.papermill["duration"] for c in nb.cells if "prepare(" in c.source)


MANY_LINES = "for i in range(120000):\n    print(i)"
TIME_ENGINE = """\
import sys, time
from csnb.run.forkserver import warm_up
warm_up()  # the fork server's state; warm-kernel forks its kernel from here
import nbformat, papermill as pm
from csnb.run.engines import papermill_options
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(sys.argv[2])])
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbformat.write(nb, sys.argv[3])
pm.execute_notebook(sys.argv[3], sys.argv[3], progress_bar=False, **papermill_options(sys.argv[1]))
done = nbformat.read(sys.argv[3], as_version=4).cells[0]
print(done.metadata.papermill.duration, sum(len(o.get("text", "")) for o in done.outputs))
"""


def printed_lines(scratch: Path) -> dict[str, float]:
    """Seconds of a cell printing 120,000 lines on each engine (papermill's cell timing)."""
    from csnb.run.engines import engine_names

    seconds = {}
    for engine in engine_names():
        path = scratch / f"lines-{engine}.ipynb"
        done = subprocess.run(
            [sys.executable, "-c", TIME_ENGINE, engine, MANY_LINES, str(path)], capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"{engine}: {done.stderr[-2000:]}")
        duration, chars = done.stdout.split()
        if int(chars) != sum(len(f"{i}\n") for i in range(120000)):
            raise SystemExit(f"{engine}: {chars} characters captured, not every line")
        seconds[engine] = float(duration)
    return seconds


def median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", default="northwind", choices=["northwind", "acme", "fernhill"])
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each measurement (the median is shown)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="csnb-bench-report-") as tmp:
        root = Path(tmp)
        build_demo(root)
        scratch = root / "scratch"
        scratch.mkdir()
        inproc, naive, runs = [], [], {"operator": [], "executive": [], "static": []}
        for _ in range(args.repeat):
            inproc.append(csnb_in_process(root, args.client, "operator", scratch))
            naive.append(naive_loop(root, args.client, "operator", scratch))
            runs["operator"].append(csnb_run(root, args.client, "operator"))
            runs["executive"].append(csnb_run(root, args.client, "executive"))
            runs["static"].append(csnb_run(root, args.client, "operator", static=True))
        lines = printed_lines(scratch)

    print(f"client report benchmark: demo client {args.client}, as_of {AS_OF}, median of {args.repeat}")
    print("\noperator report, seconds        execute   export    total      HTML")
    for name, rows in (
        ("csnb (papermill + csnb export)", inproc),
        ("naive (papermill + nbconvert CLI)", naive),
    ):
        e, x = median(rows, "execute"), median(rows, "export")
        print(f"  {name:<32}{e:>7.1f}  {x:>7.1f}  {e + x:>7.1f}  {median(rows, 'bytes') / MB:>6.2f} MB")
    print(f"  naive HTML loads {naive[0]['remote_scripts']} script(s) from the network; csnb's loads none")
    print("\ncsnb run end to end             seconds      HTML   goal")
    for audience, rows in runs.items():
        size, goal = median(rows, "bytes"), GOALS[audience]
        verdict = "ok" if size <= goal else "OVER"
        seconds = median(rows, "total")
        print(f"  {audience:<30}{seconds:>7.1f}  {size / MB:>6.2f} MB  <= {goal / MB:.1f} MB {verdict}")
    naive_total = median(naive, "execute") + median(naive, "export")
    one = median(runs["operator"], "total")
    print(
        f"\none operator report: csnb run {one:.1f} s vs naive loop {naive_total:.1f} s "
        f"({'faster' if one < naive_total else 'SLOWER'}, {naive_total / one:.2f}x)"
    )
    first = median(inproc, "first_cell")
    print(
        f"first cell (prepare) in a fresh stock kernel, as JupyterLab runs it: {first:.2f} s "
        f"(goal < 3 s: {'ok' if first < 3 else 'OVER'})"
    )
    stock = lines["kernel"]
    print("a cell printing 120,000 lines: " + ", ".join(f"{e} {t:.2f} s" for e, t in lines.items()))
    slow = [e for e, t in lines.items() if t > 2 * stock]
    print(f"  within 2x of the stock kernel: {'ok' if not slow else 'OVER for ' + ', '.join(slow)}")


if __name__ == "__main__":
    main()
