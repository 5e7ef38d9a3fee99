"""Batch of N demo clients: the naive loop against ``csnb run --all`` on each engine, in one run.

The naive loop is what a team scripts first: for each client, the ``papermill`` CLI, then
``jupyter nbconvert --to html --no-input``, one client after another (timed on ``--naive-clients``
of the N, since it costs the same per client). Then ``csnb run --all --jobs J --engine E`` for the
stock kernel pool and each warm engine, ``--rounds`` times. Every way produces each client's report
from the same notebook and plans; the benchmark checks that they agree report for report (the
executed notebooks' outputs, less the snapshot record the batch strips) and prints seconds per
client (min/median/max over rounds; over clients for the naive loop), the ratio to the naive loop,
seconds per report in each phase (start, cells, export, shutdown), and peak memory (RSS summed
over the process tree); then the cells' time per report by cell (``prepare``: load the plan, pull
the data and evaluate the indicators; one column per ``report.show`` section; ``record``), from
papermill's cell timings. Then a small batch: ``csnb run --all`` of 2 clients against two
``csnb run CLIENT`` runs, one after the other, wall time. At the end it checks that no worker or
report process is left running.

    python benchmarks/bench_batch.py --clients 50 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import nbformat
import psutil

from csnb.demo.build import AS_OF, build_demo
from csnb.report import SUMMARY_MIME

BIN = Path(sys.executable).parent


def build_portfolio(root: Path, n: int) -> list[str]:
    """The demo project with ``n`` clients: the demo plans repeated under new ids, with their data copied."""
    for _ in build_demo(root):  # a generator of progress lines
        pass
    params = root / "parameters"
    bases = sorted(p.stem for p in params.glob("*.yaml"))
    db = sqlite3.connect(root / ".csnb" / "demo" / "warehouse.db")
    clients = []
    for i in range(n):
        base = bases[i % len(bases)]
        client = f"{base}{i:03d}"
        text = (params / f"{base}.yaml").read_text(encoding="utf-8")
        # the client's id, in flow style (client: {id: acme, ...}) or block style (client:\n  id: acme)
        text = re.sub(rf"(^client:\s*\{{?\s*id:\s*){base}\b", rf"\g<1>{client}", text, count=1, flags=re.M)
        (params / f"{client}.yaml").write_text(text, encoding="utf-8")
        db.execute(
            "INSERT INTO observations SELECT ?, metric, date, value FROM observations WHERE client = ?",
            (client, base),
        )
        clients.append(client)
    db.commit()
    db.close()
    for base in bases:
        (params / f"{base}.yaml").unlink()
    return clients


class PeakMemory:
    """Samples the summed RSS of a process and its descendants until stopped."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak, self._pids, self._stop = interval, 0, set(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def watch(self, pid: int) -> None:
        """Include ``pid`` and its descendants from now on."""
        self._pids.add(pid)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            total = 0
            for pid in list(self._pids):
                try:
                    proc = psutil.Process(pid)
                    total += sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _run(cmd: list[str], cwd: Path, memory: PeakMemory) -> None:
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    memory.watch(proc.pid)
    _, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({proc.returncode}): {err[-2000:]}")


def naive_one(root: Path, notebook: Path, client: str, out: Path, memory: PeakMemory) -> tuple[Path, dict]:
    """papermill CLI, then nbconvert CLI, for one client; returns the executed notebook and its phases."""
    executed = out / f"{client}.ipynb"
    t0 = time.perf_counter()
    _run(
        [
            str(BIN / "papermill"),
            str(notebook),
            str(executed),
            "-p",
            "plan_path",
            str(root / "parameters" / f"{client}.yaml"),
            "-p",
            "as_of",
            AS_OF.isoformat(),
            "-p",
            "audience",
            "operator",
            "--cwd",
            str(root),
            "--no-progress-bar",
        ],
        root,
        memory,
    )
    t1 = time.perf_counter()
    _run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)], root, memory)
    from csnb.run.job import _execution_phases  # the split the batch reports, from papermill's stamps

    phases = _execution_phases(nbformat.read(executed, as_version=4), t1 - t0)
    return executed, {**phases, "export": time.perf_counter() - t1}


def outputs(path: Path) -> list[Any]:
    """What a report shows: every code cell's output data, without the snapshot record and volatile ids."""
    nb = nbformat.read(path, as_version=4)
    shown = []
    for cell in nb.cells:
        if cell.cell_type != "code" or {"parameters", "injected-parameters"} & set(
            cell.metadata.get("tags", [])
        ):
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if data and SUMMARY_MIME not in data:  # the batch strips the snapshot record before export
                shown.append(
                    re.sub(r"\b(view|param|selector)_\d+\b", r"\1_N", json.dumps(data, sort_keys=True))
                )
    return shown


class Row:
    """One way of running the batch: seconds per client per sample, phase seconds per report, memory."""

    def __init__(self, label: str):
        self.label, self.per_client, self.phases, self.peak = label, [], [], 0

    def line(self, naive: float) -> str:
        """The row of the results table."""
        s = self.per_client
        med = statistics.median(s)
        phase = {k: statistics.mean(p.get(k, 0.0) for p in self.phases) for k in PHASES}
        return (
            f"{self.label:<36}{min(s):7.2f}{med:7.2f}{max(s):7.2f}{naive / med:8.1f}x "
            + "".join(f"{phase[k]:9.2f}" for k in PHASES)
            + f"{self.peak / 2**20:9,.0f}"
        )


PHASES = ("start", "cells", "export", "shutdown")
_SHOW = re.compile(r"""report\.show\(["'](\w+)["']\)""")


def cell_phases(notebook: Path) -> dict[str, float]:
    """Seconds per report cell, from papermill's timings: prepare, one per shown section, record."""
    nb = nbformat.read(notebook, as_version=4)
    phases: dict[str, float] = {}
    for cell in nb.cells:
        seconds = cell.metadata.get("papermill", {}).get("duration")
        if cell.cell_type != "code" or seconds is None:
            continue
        shown = _SHOW.search(cell.source)
        if "prepare(" in cell.source:  # load, pull, evaluate (and whatever that cell shows)
            label = "prepare"
        elif shown:
            label = shown.group(1)
        elif "record(" in cell.source:
            label = "record"
        else:
            label = "other"
        phases[label] = phases.get(label, 0.0) + seconds
    return phases


def print_cell_phases(rows: list[Row], cells: dict[str, list[dict[str, float]]]) -> None:
    """The cells' seconds per report, by cell, for each way that ran the batch."""
    labels = sorted({k for runs in cells.values() for p in runs for k in p}, key=_cell_order)
    print(f"{'cells: seconds per report':<36}" + "".join(f"{k[:9]:>10}" for k in labels))
    for row in rows:
        runs = cells.get(row.label, [])
        if runs:
            means = [statistics.mean(p.get(k, 0.0) for p in runs) for k in labels]
            print(f"{row.label:<36}" + "".join(f"{m:10.3f}" for m in means))


def _cell_order(label: str) -> tuple[int, str]:
    return ({"prepare": 0, "record": 2, "other": 3}.get(label, 1), label)


def small_batch(root: Path, clients: list[str]) -> str:
    """``csnb run --all`` of two clients against two single ``csnb run CLIENT`` runs, wall seconds."""
    pair = ",".join(clients[:2])
    csnb = str(BIN / "csnb")
    quiet = {"cwd": root, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}
    t0 = time.perf_counter()
    subprocess.run([csnb, "run", "--all", "--clients", pair, "--force", "--json"], **quiet)
    batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    for client in clients[:2]:
        subprocess.run([csnb, "run", client], **quiet)
    singles = time.perf_counter() - t0
    return f"2 clients: csnb run --all {batch:.1f} s, two csnb run CLIENT {singles:.1f} s (wall)"


def run_batch(
    root: Path, engine: str, jobs: int, row: Row, n: int, cells: list[dict[str, float]]
) -> dict[str, Path]:
    """One ``csnb run --all --force`` round on ``engine``; returns each client's executed notebook."""
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [str(BIN / "csnb"), "run", "--all", "--force", "--jobs", str(jobs), "--engine", engine, "--json"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        mem.watch(proc.pid)
        stdout, stderr = proc.communicate()
        wall = time.perf_counter() - t0
    try:
        summary = json.loads(stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"the {engine} batch exited {proc.returncode}: {stderr[-3000:]}") from None
    failed = [r for r in summary["results"] if r["status"] != "ok"]
    if failed or proc.returncode:
        raise SystemExit(f"the {engine} batch failed: {failed[:3]}")
    row.per_client.append(wall / n)
    row.phases += [r["phases"] for r in summary["results"] if r.get("phases")]
    row.peak = max(row.peak, mem.peak)
    cells += [cell_phases(Path(r["notebook"])) for r in summary["results"]]
    return {r["client"]: Path(r["notebook"]) for r in summary["results"]}


def leftovers(root: Path) -> list[str]:
    """Worker, report or kernel processes still running in the benchmark's project folder."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            if ("csnb" in cmd or "ipykernel" in cmd) and str(root) in (proc.info["cwd"] or ""):
                found.append(f"{proc.info['pid']} {cmd[:80]}")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def main() -> None:
    """Parse options, run every way, compare and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="batch rounds per engine")
    ap.add_argument("--naive-clients", type=int, default=5, help="clients the naive loop is timed on")
    ap.add_argument(
        "--engines", default="kernel,warm-kernel,warm-shell", help="csnb run --engine values to time"
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary project folder")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="csnb-bench-"))
    try:
        clients = build_portfolio(root, args.clients)
        notebook = Path(__file__).resolve().parent.parent / "notebooks" / "client_report.ipynb"
        (root / "notebooks").mkdir()
        shutil.copy(notebook, root / "notebooks" / "client_report.ipynb")
        naive_out = root / "naive"
        naive_out.mkdir()
        sample = clients[: max(1, min(args.naive_clients, len(clients)))]
        print(
            f"{args.clients} demo clients, {os.cpu_count()} cores, jobs={args.jobs}, rounds={args.rounds}, "
            f"naive loop timed on {len(sample)} clients; warming up once (untimed)"
        )
        with PeakMemory() as warm:
            naive_one(root, notebook, clients[0], naive_out, warm)

        naive_row, naive = Row("naive loop (sequential)"), {}
        cells: dict[str, list[dict[str, float]]] = {naive_row.label: []}
        with PeakMemory() as naive_mem:
            for client in sample:
                t0 = time.perf_counter()
                naive[client], phases = naive_one(root, notebook, client, naive_out, naive_mem)
                naive_row.per_client.append(time.perf_counter() - t0)
                naive_row.phases.append(phases)
                cells[naive_row.label].append(cell_phases(naive[client]))
        naive_row.peak = naive_mem.peak

        rows, differ = [naive_row], []
        for engine in args.engines.split(","):
            row = Row(f"csnb run -j{args.jobs} --engine {engine}")
            cells[row.label] = []
            for _ in range(args.rounds):
                executed = run_batch(root, engine, args.jobs, row, args.clients, cells[row.label])
            differ += [f"{engine}:{c}" for c in sample if outputs(executed[c]) != outputs(naive[c])]
            rows.append(row)

        base = statistics.median(naive_row.per_client)
        print(
            f"{'seconds per client':<36}{'min':>7}{'median':>7}{'max':>7}{'speed-up':>9} "
            + "".join(f"{k:>9}" for k in PHASES)
            + f"{'peak MiB':>9}"
        )
        for row in rows:
            print(row.line(base))
        print_cell_phases(rows, cells)
        print(small_batch(root, clients))
        left = leftovers(root)
        print(
            "phases are seconds per report (each runs on one of the parallel slots); report contents: "
            + ("identical" if not differ else f"DIFFERENT for {', '.join(differ)}")
            + f"; processes left: {len(left)}; load average at the end: {os.getloadavg()[0]:.1f}"
        )
        if differ or left:
            sys.exit(1)
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
