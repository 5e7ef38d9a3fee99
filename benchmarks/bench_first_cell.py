"""Time each cell of the client report notebook in a fresh stock kernel (the first cell's imports dominate).

Usage: python benchmarks/bench_first_cell.py PROJECT [CLIENT] [--repeat N]

PROJECT is a csnb project (``csnb demo --dir PROJECT`` makes one). For each repetition a new ipykernel
starts, then each code cell of notebooks/client_report.ipynb runs with the parameters of CLIENT; the
figures are wall seconds per cell (median over the repetitions), and the modules the first cell left
loaded that cost most (Altair, jsonschema: the chart builders no longer need them).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "client_report.ipynb"
HEAVY = ("altair", "jsonschema", "vl_convert", "sqlalchemy", "pandas", "babel", "nbformat", "scipy")


def cells(client: str) -> list[str]:
    """The notebook's code cells, the parameters cell set for ``client``."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"] if c["cell_type"] == "code"]
    first = next(i for i, t in enumerate(tags) if "parameters" in t)
    values = [f'plan_path = "parameters/{client}.yaml"', "as_of = None", 'audience = "operator"']
    code[first] = "\n".join([*values, "store_url = None"])
    return code


def run_once(project: Path, client: str) -> tuple[list[float], list[str]]:
    """Seconds per code cell in a new kernel, and which heavy modules were loaded after the first cell."""
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(project))
    try:
        kc.execute_interactive("pass", timeout=60)  # the kernel is up: time the cells, not its start
        seconds = []
        loaded: list[str] = []
        for number, code in enumerate(cells(client)):
            start = time.perf_counter()
            reply = kc.execute_interactive(code, timeout=600, output_hook=lambda msg: None)
            seconds.append(time.perf_counter() - start)
            if reply["content"]["status"] != "ok":
                raise SystemExit(f"cell {number} failed: {reply['content'].get('ename')}")
            if number == 1:
                loaded = _loaded(kc)
        return seconds, loaded
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _loaded(kc) -> list[str]:
    """The heavy modules the kernel has imported so far."""
    out: list[str] = []

    def keep(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            out.append(msg["content"].get("text", ""))

    probe = f"import json, sys; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    kc.execute_interactive(probe, timeout=60, output_hook=keep)
    return json.loads("".join(out).strip() or "[]")


def main() -> None:
    """Print the median seconds of each cell over ``--repeat`` fresh kernels."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("client", nargs="?", default="acme")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = [run_once(args.project.resolve(), args.client) for _ in range(args.repeat)]
    names = [c.splitlines()[-1][:48] for c in cells(args.client)]
    for i, name in enumerate(names):
        times = [r[0][i] for r in runs]
        print(f"cell {i:2d}  {statistics.median(times):6.2f} s  (min {min(times):5.2f})  {name}")
    first = [r[0][0] + r[0][1] for r in runs]
    median = statistics.median(first)
    print(f"parameters + first cell: median {median:.2f} s over {args.repeat} fresh kernels")
    print(f"heavy modules loaded after the first cell: {', '.join(runs[-1][1]) or 'none'}")


if __name__ == "__main__":
    main()
