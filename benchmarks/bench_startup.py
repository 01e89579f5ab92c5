"""Benchmarks: `streamlit run dashboard.py` until GET /_stcore/health answers ok, once the database exists.

    python benchmarks/bench_startup.py [--db /tmp/perf10m.duckdb] [--repeat 5]

Also times the imports the first page view pays for (dashboard.py's modules), each in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pages import _free_port, start_server
from common import DEFAULT_DB, ROOT, load_now, machine, save

IMPORTS = ("streamlit", "pandas", "altair", "pydeck", "duckdb", "app.widgets", "kpi.charts", "kpi.maps")


def import_seconds(module: str) -> float:
    """Seconds to import `module` in a fresh interpreter (python -X importtime would list every module)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(DEFAULT_DB))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--name", default="startup")
    args = ap.parse_args()
    if not Path(args.db).exists():
        sys.exit(f"{args.db} does not exist: build it first (python -m etl build --db {args.db})")
    result: dict[str, Any] = {"machine": machine(), "db": args.db, "health_s": [], "loads": []}
    for _ in range(args.repeat):
        proc, seconds = start_server(args.db, _free_port())
        proc.terminate()
        proc.wait(timeout=30)
        result["health_s"].append(round(seconds, 2))
        result["loads"].append(load_now())
        print(f"healthy in {seconds:.2f} s (load {result['loads'][-1]})", flush=True)
    result["health_median_s"] = statistics.median(result["health_s"])
    # the floor: the same command on a one-line script, in the same minutes (the machine is shared)
    result["bare_health_s"] = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "dashboard.py").write_text("import streamlit as st\nst.write('ok')\n", encoding="utf-8")
        for _ in range(args.repeat):
            proc, seconds = start_server(args.db, _free_port(), cwd=Path(tmp))
            proc.terminate()
            proc.wait(timeout=30)
            result["bare_health_s"].append(round(seconds, 2))
    result["bare_health_median_s"] = statistics.median(result["bare_health_s"])
    print(f"bare Streamlit server: {result['bare_health_s']} (median {result['bare_health_median_s']} s)")
    result["imports_s"] = {m: round(import_seconds(m), 2) for m in IMPORTS}
    print(f"median {result['health_median_s']} s; imports (fresh interpreter): {result['imports_s']}")
    print(f"saved {save(args.name, result)}")


if __name__ == "__main__":
    main()
